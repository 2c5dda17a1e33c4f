// A plain batched matrix product for the dtypes cuBLAS is not used for (integer and mixed
// dtypes): C[b] = alpha·op(A[b])·op(B[b]) + beta·C[b], with the row-major, strided addressing of
// dev.qkv.backend.Gemm. float32 and float64 products go to cuBLAS instead (CudaBackend.gemm).
//
// CPU reference: ReferenceKernels.gemm, the triple loop with a double accumulator; this kernel
// is the same loop with one thread per element of C. It is slow and exists for completeness.
//
// Thread layout: one thread per (batch, i, j), grid-stride loop over batch·m·n.
#include "common.cuh"

extern "C" __global__ void gemm_any(int batch, int m, int n, int k,
                                    const void* a, int adtype, int aOffset, int aBatchStride, int lda, int transA,
                                    const void* b, int bdtype, int bOffset, int bBatchStride, int ldb, int transB,
                                    void* c, int cdtype, int cOffset, int cBatchStride, int ldc,
                                    double alpha, double beta) {
    const int total = batch * m * n;                       // the host checks this fits in an int
    QKV_FOR_EACH(e, total) {
        const int j = e % n;
        const int i = (e / n) % m;
        const int bt = e / (m * n);
        double acc = 0;
        for (int p = 0; p < k; p++) {
            // op(A)[i][p] and op(B)[p][j], as Gemm.aIndex / Gemm.bIndex
            const int ai = aOffset + bt * aBatchStride + (transA ? p * lda + i : i * lda + p);
            const int bi = bOffset + bt * bBatchStride + (transB ? j * ldb + p : p * ldb + j);
            acc += load_as_double(a, adtype, ai) * load_as_double(b, bdtype, bi);
        }
        const int ci = cOffset + bt * cBatchStride + i * ldc + j;
        const double r = beta == 0 ? alpha * acc : alpha * acc + beta * load_as_double(c, cdtype, ci);
        store_from_double(c, cdtype, ci, r);
    }
}
