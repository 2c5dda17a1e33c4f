package dev.qkv.backend.cuda;

/**
 * The kinds of kernel parameter qkv's kernels take, with the PTX type each one compiles to.
 * {@code DIMS} and {@code STRIDES} are the {@code Dims} and {@code Strides} structs of
 * {@code common.cuh}, passed by value.
 */
enum ParamKind {
    /** A device pointer ({@code const float*}, {@code void*}, ...); 0 is a null pointer. */
    PTR(8, ".u64"),
    /** {@code int}. */
    I32(4, ".u32"),
    /** {@code unsigned long long} (a seed). */
    U64(8, ".u64"),
    /** {@code double}. */
    F64(8, ".f64"),
    /** {@code struct Dims { int rank; int numel; int shape[8]; }}. */
    DIMS(4 * (2 + ViewMerge.MAX_DIMS), ".b8"),
    /** {@code struct Strides { int offset; int stride[8]; }}. */
    STRIDES(4 * (1 + ViewMerge.MAX_DIMS), ".b8");

    /** Bytes of the parameter's value. */
    final int bytes;
    /** How the parameter appears in the kernel's PTX signature. */
    final String ptxType;

    ParamKind(int bytes, String ptxType) {
        this.bytes = bytes;
        this.ptxType = ptxType;
    }

    boolean isStruct() {
        return ptxType.equals(".b8");
    }
}
