package dev.qkv.backend.cpu;

import dev.qkv.backend.Gemm;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * float32 batched GEMM with the Vector API, blocked for the caches in the usual way (Goto / BLIS):
 *
 * <pre>
 * for each block of C, MC rows × NC cols (one task; the blocks are split across the pool)
 *   for pc in 0..K step KC                      (C accumulates one KC-deep slab at a time)
 *     pack B[pc:pc+KC, block cols] into slivers of KC×NR   ({@link GemmPacking#packB})
 *     pack A[block rows, pc:pc+KC] into slivers of KC×MR   ({@link GemmPacking#packA})
 *     for each NR-wide sliver of B                (stays in L1)
 *       for each MR-high sliver of A              (streams from L2)
 *         micro-kernel: C[MR×NR] += A sliver · B sliver, in MR·2 vector registers
 * </pre>
 *
 * Packing makes every operand layout look the same to the micro-kernel (transA/transB are
 * handled there, edges are padded with zeros), and lays out exactly the values the micro-kernel
 * reads, in the order it reads them. The micro-kernel holds a 6 × 2-vector tile of C in
 * registers (12 accumulators, 2 B vectors, 1 A broadcast: 15 of AVX2's 16 registers) and does
 * 12 FMAs for every 2 vector loads.
 *
 * <p>Every C element is computed by exactly one task, over the same KC slabs in the same order,
 * whatever the thread count: results are reproducible. alpha and beta are applied when a tile is
 * stored; with beta = 0, C is never read (NaN in C does not leak), as in BLAS.
 *
 * <p>A single row or column of C (m = 1 or n = 1) goes to {@link VectorGemv} instead: there each
 * matrix element is used once and packing would only add a second pass over it.
 *
 * <p>The reference is {@link ReferenceKernels#gemm}, the textbook triple loop. Block sizes are a
 * reasonable default for AVX2/AVX-512 cores with 32+ KiB L1 and 512+ KiB L2, not tuned.
 */
final class VectorGemm {
    private VectorGemm() {
    }

    private static final VectorSpecies<Float> S = VectorKernels.S;
    private static final int L = S.length();
    /** Rows of a register tile of C. */
    static final int MR = 6;
    /** Columns of a register tile of C: two vectors. */
    static final int NR = 2 * L;
    /** Depth of a packed slab: a KC×NR sliver of B is 16 KiB with 8 lanes, L1-resident. */
    static final int KC = 256;
    /** Rows of C per task (16 register tiles): the packed A block is 96 KiB, L2-resident. */
    static final int MC = 16 * MR;
    /** Columns of C per task. */
    static final int NC = 256 / NR * NR;

    /** Per-thread packing buffers, reused across calls. */
    private static final ThreadLocal<float[][]> BUFFERS = ThreadLocal.withInitial(() -> new float[][] {
            new float[MC * KC], new float[KC * NC], new float[MR * NR]});

    static void gemm(Gemm g) {
        int m = g.m();
        int n = g.n();
        if (g.batch() == 0 || m == 0 || n == 0) {
            return;
        }
        if (g.k() == 0) {
            scaleOnly(g);
            return;
        }
        if (VectorGemv.applies(g)) {                             // a single row or column of C
            VectorGemv.gemv(g);
            return;
        }
        int mBlocks = (m + MC - 1) / MC;
        int nBlocks = (n + NC - 1) / NC;
        int perBatch = mBlocks * nBlocks;
        Parallel.forRange(g.batch() * perBatch, 1, (t0, t1) -> {
            float[][] buf = BUFFERS.get();
            for (int t = t0; t < t1; t++) {
                int bt = t / perBatch;
                int ic = (t % perBatch) / nBlocks * MC;
                int jc = (t % nBlocks) * NC;
                block(g, bt, ic, Math.min(MC, m - ic), jc, Math.min(NC, n - jc), buf);
            }
        });
    }

    /** C[ic:ic+mc, jc:jc+nc] of batch bt. */
    private static void block(Gemm g, int bt, int ic, int mc, int jc, int nc, float[][] buf) {
        float[] ap = buf[0];
        float[] bp = buf[1];
        float[] c = ((CpuStorage.F32) g.c()).data;
        float alpha = (float) g.alpha();
        for (int pc = 0; pc < g.k(); pc += KC) {
            int kc = Math.min(KC, g.k() - pc);
            GemmPacking.packB(g, bt, pc, kc, jc, nc, bp);
            GemmPacking.packA(g, bt, ic, mc, pc, kc, ap);
            // The first slab applies beta to the old C; later slabs add onto what it stored.
            float beta = pc == 0 ? (float) g.beta() : 1f;
            for (int jr = 0; jr < nc; jr += NR) {
                for (int ir = 0; ir < mc; ir += MR) {
                    microKernel(kc, ap, ir * kc, bp, jr * kc, c, g.cIndex(bt, ic + ir, jc + jr), g.ldc(),
                            Math.min(MR, mc - ir), Math.min(NR, nc - jr), alpha, beta, buf[2]);
                }
            }
        }
    }

    /**
     * C[0:rows, 0:cols] (at ci, leading dim ldc) = alpha·(Ap·Bp) + beta·C, where Ap is a packed
     * kc×MR sliver (MR values per step p) and Bp a packed kc×NR sliver (NR values per step).
     */
    private static void microKernel(int kc, float[] ap, int ao, float[] bp, int bo, float[] c, int ci, int ldc,
                                    int rows, int cols, float alpha, float beta, float[] tile) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S), c41 = FloatVector.zero(S);
        FloatVector c50 = FloatVector.zero(S), c51 = FloatVector.zero(S);
        for (int p = 0; p < kc; p++, ao += MR, bo += NR) {
            FloatVector b0 = FloatVector.fromArray(S, bp, bo);
            FloatVector b1 = FloatVector.fromArray(S, bp, bo + L);
            FloatVector a = FloatVector.broadcast(S, ap[ao]);
            c00 = a.fma(b0, c00);
            c01 = a.fma(b1, c01);
            a = FloatVector.broadcast(S, ap[ao + 1]);
            c10 = a.fma(b0, c10);
            c11 = a.fma(b1, c11);
            a = FloatVector.broadcast(S, ap[ao + 2]);
            c20 = a.fma(b0, c20);
            c21 = a.fma(b1, c21);
            a = FloatVector.broadcast(S, ap[ao + 3]);
            c30 = a.fma(b0, c30);
            c31 = a.fma(b1, c31);
            a = FloatVector.broadcast(S, ap[ao + 4]);
            c40 = a.fma(b0, c40);
            c41 = a.fma(b1, c41);
            a = FloatVector.broadcast(S, ap[ao + 5]);
            c50 = a.fma(b0, c50);
            c51 = a.fma(b1, c51);
        }
        if (rows == MR && cols == NR) {
            store(c00, c, ci, alpha, beta);
            store(c01, c, ci + L, alpha, beta);
            store(c10, c, ci + ldc, alpha, beta);
            store(c11, c, ci + ldc + L, alpha, beta);
            store(c20, c, ci + 2 * ldc, alpha, beta);
            store(c21, c, ci + 2 * ldc + L, alpha, beta);
            store(c30, c, ci + 3 * ldc, alpha, beta);
            store(c31, c, ci + 3 * ldc + L, alpha, beta);
            store(c40, c, ci + 4 * ldc, alpha, beta);
            store(c41, c, ci + 4 * ldc + L, alpha, beta);
            store(c50, c, ci + 5 * ldc, alpha, beta);
            store(c51, c, ci + 5 * ldc + L, alpha, beta);
            return;
        }
        // Edge tile: spill the registers, then store only the rows × cols that exist.
        c00.intoArray(tile, 0);
        c01.intoArray(tile, L);
        c10.intoArray(tile, NR);
        c11.intoArray(tile, NR + L);
        c20.intoArray(tile, 2 * NR);
        c21.intoArray(tile, 2 * NR + L);
        c30.intoArray(tile, 3 * NR);
        c31.intoArray(tile, 3 * NR + L);
        c40.intoArray(tile, 4 * NR);
        c41.intoArray(tile, 4 * NR + L);
        c50.intoArray(tile, 5 * NR);
        c51.intoArray(tile, 5 * NR + L);
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < cols; j++) {
                int i = ci + r * ldc + j;
                float v = tile[r * NR + j] * alpha;          // the same operations as store()
                c[i] = beta == 0f ? v : v + c[i] * beta;
            }
        }
    }

    /** C[i, i + L) = alpha·acc + beta·C (C not read when beta is 0). */
    private static void store(FloatVector acc, float[] c, int i, float alpha, float beta) {
        FloatVector v = acc.mul(alpha);
        if (beta != 0f) {
            v = v.add(FloatVector.fromArray(S, c, i).mul(beta));
        }
        v.intoArray(c, i);
    }

    /** K = 0: op(A)·op(B) is all zeros, so C = beta·C (or 0 when beta is 0). */
    private static void scaleOnly(Gemm g) {
        float[] c = ((CpuStorage.F32) g.c()).data;
        float beta = (float) g.beta();
        for (int bt = 0; bt < g.batch(); bt++) {
            for (int i = 0; i < g.m(); i++) {
                for (int j = 0; j < g.n(); j++) {
                    int ci = g.cIndex(bt, i, j);
                    c[ci] = beta == 0f ? 0f : c[ci] * beta;
                }
            }
        }
    }
}
