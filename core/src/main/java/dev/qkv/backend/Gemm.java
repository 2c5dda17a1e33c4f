package dev.qkv.backend;

/**
 * Arguments of a batched, strided matrix product in row-major BLAS terms:
 * {@code C[b] = alpha · op(A[b]) · op(B[b]) + beta · C[b]} for {@code b < batch}, where op(A) is
 * M×K and op(B) is K×N.
 *
 * <p>Element (i, p) of op(A) in batch b sits at {@code aOffset + b·aBatchStride + i·lda + p}, or
 * {@code ... + p·lda + i} when {@code transA}; likewise for B. C is row-major with leading
 * dimension {@code ldc}. A batch stride of 0 reuses one matrix for every batch (broadcasting).
 */
public record Gemm(int batch, int m, int n, int k,
                   Storage a, int aOffset, int aBatchStride, int lda, boolean transA,
                   Storage b, int bOffset, int bBatchStride, int ldb, boolean transB,
                   Storage c, int cOffset, int cBatchStride, int ldc,
                   double alpha, double beta) {

    /** Storage position of op(A)[batch][i][p]. */
    public int aIndex(int batchIndex, int i, int p) {
        return aOffset + batchIndex * aBatchStride + (transA ? p * lda + i : i * lda + p);
    }

    /** Storage position of op(B)[batch][p][j]. */
    public int bIndex(int batchIndex, int p, int j) {
        return bOffset + batchIndex * bBatchStride + (transB ? j * ldb + p : p * ldb + j);
    }

    /** Storage position of C[batch][i][j]. */
    public int cIndex(int batchIndex, int i, int j) {
        return cOffset + batchIndex * cBatchStride + i * ldc + j;
    }
}
