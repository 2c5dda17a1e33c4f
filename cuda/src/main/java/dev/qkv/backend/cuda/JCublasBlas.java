package dev.qkv.backend.cuda;

import jcuda.Pointer;
import jcuda.driver.CUstream;
import jcuda.jcublas.JCublas2;
import jcuda.jcublas.cublasHandle;
import jcuda.runtime.cudaStream_t;

/**
 * {@link Blas} through JCublas2 (JCuda's cuBLAS binding), whose native library links
 * libcublas.so.12. Loaded only when {@link BlasSelector} found that library.
 */
final class JCublasBlas implements Blas {
    private final cublasHandle handle = new cublasHandle();
    private boolean closed;

    JCublasBlas(Object stream) {
        Blas.check(JCublas2.cublasCreate(handle), "cublasCreate");
        Blas.check(JCublas2.cublasSetStream(handle, new cudaStream_t((CUstream) stream)), "cublasSetStream");
        setAllowTf32(false);
    }

    private static Pointer device(long address) {
        return new Pointer().withByteOffset(address);
    }

    private static int op(boolean trans) {
        return trans ? 1 : 0;                                 // CUBLAS_OP_T : CUBLAS_OP_N
    }

    @Override
    public String describe() {
        return "cuBLAS through JCublas 12.6.0 (libcublas.so.12)";
    }

    @Override
    public void setAllowTf32(boolean allow) {
        Blas.check(JCublas2.cublasSetMathMode(handle, allow ? TF32_TENSOR_OP_MATH : DEFAULT_MATH), "cublasSetMathMode");
    }

    @Override
    public void sgemmStridedBatched(boolean transA, boolean transB, int m, int n, int k, float alpha,
                                    long a, int lda, long strideA, long b, int ldb, long strideB, float beta,
                                    long c, int ldc, long strideC, int batch) {
        Blas.check(JCublas2.cublasSgemmStridedBatched(handle, op(transA), op(transB), m, n, k,
                Pointer.to(new float[] {alpha}), device(a), lda, strideA, device(b), ldb, strideB,
                Pointer.to(new float[] {beta}), device(c), ldc, strideC, batch), "cublasSgemmStridedBatched");
    }

    @Override
    public void gemmStridedBatchedEx(boolean transA, boolean transB, int m, int n, int k, double alpha,
                                     long a, DataType aType, int lda, long strideA,
                                     long b, DataType bType, int ldb, long strideB, double beta,
                                     long c, DataType cType, int ldc, long strideC, int batch, ComputeType compute) {
        boolean f64 = compute == ComputeType.COMPUTE_64F;
        Pointer al = f64 ? Pointer.to(new double[] {alpha}) : Pointer.to(new float[] {(float) alpha});
        Pointer be = f64 ? Pointer.to(new double[] {beta}) : Pointer.to(new float[] {(float) beta});
        Blas.check(JCublas2.cublasGemmStridedBatchedEx(handle, op(transA), op(transB), m, n, k, al,
                device(a), aType.code, lda, strideA, device(b), bType.code, ldb, strideB, be,
                device(c), cType.code, ldc, strideC, batch, compute.code, GEMM_DEFAULT), "cublasGemmStridedBatchedEx");
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            JCublas2.cublasDestroy(handle);
        }
    }
}
