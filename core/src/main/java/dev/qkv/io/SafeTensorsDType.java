package dev.qkv.io;

import dev.qkv.tensor.DType;

/**
 * The element types of a safetensors file that qkv reads, with the qkv dtype each loads as.
 * F16 and BF16 have no qkv dtype: they load as FLOAT32 (exactly, see {@link HalfFloats}).
 *
 * <p>Declared in the reference implementation's order, which sorts types by alignment; the
 * writer lays tensors out in descending order of this so that wider elements come first and
 * stay aligned to their size.
 */
public enum SafeTensorsDType {
    BOOL(1, DType.BOOL),
    U8(1, DType.UINT8),
    I8(1, DType.INT8),
    F16(2, DType.FLOAT32),
    BF16(2, DType.FLOAT32),
    I32(4, DType.INT32),
    F32(4, DType.FLOAT32),
    F64(8, DType.FLOAT64),
    I64(8, DType.INT64);

    private final int byteSize;
    private final DType loadsAs;

    SafeTensorsDType(int byteSize, DType loadsAs) {
        this.byteSize = byteSize;
        this.loadsAs = loadsAs;
    }

    /** Bytes per element in the file. */
    public int byteSize() {
        return byteSize;
    }

    /** The dtype of the tensor that reading this type produces. */
    public DType loadsAs() {
        return loadsAs;
    }

    /** The type named in a header ("F32", ...), or null if qkv does not read it. */
    static SafeTensorsDType fromName(String name) {
        for (SafeTensorsDType t : values()) {
            if (t.name().equals(name)) {
                return t;
            }
        }
        return null;
    }

    /** The type qkv writes for a tensor of this dtype (each qkv dtype has exactly one). */
    static SafeTensorsDType forWriting(DType dtype) {
        return switch (dtype) {
            case BOOL -> BOOL;
            case UINT8 -> U8;
            case INT8 -> I8;
            case INT32 -> I32;
            case INT64 -> I64;
            case FLOAT32 -> F32;
            case FLOAT64 -> F64;
        };
    }
}
