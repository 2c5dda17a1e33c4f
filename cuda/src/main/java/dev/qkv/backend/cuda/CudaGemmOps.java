package dev.qkv.backend.cuda;

import dev.qkv.backend.Gemm;
import dev.qkv.tensor.DType;

import java.util.List;

/**
 * Matrix products: float32 and float64 on cuBLAS (through {@link CublasGemm}'s row-major
 * mapping), everything else, and anything cuBLAS cannot express, on the plain gemm_any kernel.
 */
final class CudaGemmOps {
    private final CudaBackend be;
    private final Blas blas;

    CudaGemmOps(CudaBackend be, Blas blas) {
        this.be = be;
        this.blas = blas;
    }

    void gemm(Gemm g, boolean allowTf32) {
        CudaStorage a = be.cuda(g.a(), "gemm");
        CudaStorage b = be.cuda(g.b(), "gemm");
        CudaStorage c = be.cuda(g.c(), "gemm");
        DType t = c.dtype();
        boolean cublasType = (t == DType.FLOAT32 || t == DType.FLOAT64) && a.dtype() == t && b.dtype() == t;
        List<CublasGemm.Call> calls = blas != null && cublasType ? CublasGemm.map(g) : null;
        if (calls != null) {
            be.driver().makeCurrent();                        // cuBLAS runs in the calling thread's context
            long e = t.byteSize();
            for (CublasGemm.Call k : calls) {
                // Row-major trick (see CublasGemm): cuBLAS's A operand is our B, its B is our A.
                long aAddress = b.address() + k.aOffset() * e;
                long bAddress = a.address() + k.bOffset() * e;
                long cAddress = c.address() + k.cOffset() * e;
                if (t == DType.FLOAT32) {
                    blas.sgemmStridedBatched(k.transA(), k.transB(), k.m(), k.n(), k.k(), (float) k.alpha(),
                            aAddress, k.lda(), k.strideA(), bAddress, k.ldb(), k.strideB(), (float) k.beta(),
                            cAddress, k.ldc(), k.strideC(), k.batch());
                } else {
                    blas.gemmStridedBatchedEx(k.transA(), k.transB(), k.m(), k.n(), k.k(), k.alpha(),
                            aAddress, Blas.DataType.R_64F, k.lda(), k.strideA(),
                            bAddress, Blas.DataType.R_64F, k.ldb(), k.strideB(), k.beta(),
                            cAddress, Blas.DataType.R_64F, k.ldc(), k.strideC(), k.batch(), Blas.ComputeType.COMPUTE_64F);
                }
            }
            java.lang.ref.Reference.reachabilityFence(a);
            java.lang.ref.Reference.reachabilityFence(b);
            java.lang.ref.Reference.reachabilityFence(c);
            return;
        }
        long total = (long) g.batch() * g.m() * g.n();
        if (total == 0) {
            return;
        }
        if (total > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("gemm: " + total + " output elements are too many for the plain kernel");
        }
        be.launch(Kernels.GEMM, LaunchShapes.elementwise((int) total), new KernelArgs()
                .i32(g.batch()).i32(g.m()).i32(g.n()).i32(g.k())
                .ptr(a).i32(CudaBackend.code(a)).i32(g.aOffset()).i32(g.aBatchStride()).i32(g.lda()).flag(g.transA())
                .ptr(b).i32(CudaBackend.code(b)).i32(g.bOffset()).i32(g.bBatchStride()).i32(g.ldb()).flag(g.transB())
                .ptr(c).i32(CudaBackend.code(c)).i32(g.cOffset()).i32(g.cBatchStride()).i32(g.ldc())
                .f64(g.alpha()).f64(g.beta()));
    }
}
