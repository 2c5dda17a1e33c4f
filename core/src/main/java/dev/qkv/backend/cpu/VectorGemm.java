package dev.qkv.backend.cpu;

import dev.qkv.backend.Gemm;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * float32 batched GEMM with the Vector API. Each C row is computed as
 * {@code C[i, :] = Σ_p A[i, p] · B[p, :]}: one broadcast of A[i, p] times a contiguous row of B,
 * fused-multiply-added into the C row. Operands whose rows are not contiguous (transposed B) are
 * first copied into a row-major panel. Rows of C are split across the pool.
 *
 * <p>The reference is {@link ReferenceKernels#gemm}, the textbook triple loop.
 */
final class VectorGemm {
    private VectorGemm() {
    }

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    static void gemm(Gemm g) {
        float[] a = ((CpuStorage.F32) g.a()).data;
        float[] b = ((CpuStorage.F32) g.b()).data;
        float[] c = ((CpuStorage.F32) g.c()).data;
        int m = g.m();
        int n = g.n();
        int k = g.k();
        int rowsPerTask = Math.max(1, 65536 / Math.max(1, n * Math.max(k, 1) / 16));
        int tasksPerBatch = (m + rowsPerTask - 1) / rowsPerTask;
        Parallel.forRange(g.batch() * tasksPerBatch, 1, (s, e) -> {
            float[] bRow = g.transB() ? new float[k * n] : null;
            int packedBatch = -1;
            float[] acc = new float[n];
            for (int t = s; t < e; t++) {
                int bt = t / tasksPerBatch;
                int i0 = (t % tasksPerBatch) * rowsPerTask;
                int i1 = Math.min(m, i0 + rowsPerTask);
                float[] bm = b;
                int bBase;
                int ldb;
                if (g.transB()) {
                    if (packedBatch != bt) {                     // B[p][j] = Bt[j][p], packed row-major
                        for (int p = 0; p < k; p++) {
                            for (int j = 0; j < n; j++) {
                                bRow[p * n + j] = b[g.bIndex(bt, p, j)];
                            }
                        }
                        packedBatch = bt;
                    }
                    bm = bRow;
                    bBase = 0;
                    ldb = n;
                } else {
                    bBase = g.bOffset() + bt * g.bBatchStride();
                    ldb = g.ldb();
                }
                for (int i = i0; i < i1; i++) {
                    java.util.Arrays.fill(acc, 0f);
                    for (int p = 0; p < k; p++) {
                        float aip = a[g.aIndex(bt, i, p)];
                        FloatVector va = FloatVector.broadcast(S, aip);
                        int rowStart = bBase + p * ldb;
                        int j = 0;
                        for (; j <= n - S.length(); j += S.length()) {
                            FloatVector.fromArray(S, bm, rowStart + j).fma(va, FloatVector.fromArray(S, acc, j))
                                    .intoArray(acc, j);
                        }
                        for (; j < n; j++) {
                            acc[j] += aip * bm[rowStart + j];
                        }
                    }
                    int ci = g.cIndex(bt, i, 0);
                    float alpha = (float) g.alpha();
                    float beta = (float) g.beta();
                    for (int j = 0; j < n; j++) {
                        c[ci + j] = beta == 0f ? alpha * acc[j] : alpha * acc[j] + beta * c[ci + j];
                    }
                }
            }
        });
    }
}
