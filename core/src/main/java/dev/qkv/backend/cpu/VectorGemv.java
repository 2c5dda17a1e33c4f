package dev.qkv.backend.cpu;

import dev.qkv.backend.Gemm;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * GEMM with a single row or a single column of C (m = 1 or n = 1: a vector times a matrix, as in
 * token-by-token decoding). There every element of the matrix is used once, so the product is
 * bound by reading it; packing it first ({@link VectorGemm}) would read it twice and the
 * register tile would be mostly padding. Instead the matrix is streamed in the direction it is
 * contiguous:
 *
 * <ul>
 *   <li>rows contiguous along C's columns: {@code out[j] += v[p]·M[p, j]}, one axpy per p into a
 *       chunk of accumulators;
 *   <li>columns contiguous along p: {@code out[j] = Σ_p v[p]·M[p, j]}, one dot product per j.
 * </ul>
 *
 * n = 1 is the m = 1 problem transposed: Cᵀ (1×m) = op(B)ᵀ (1×k) · op(A)ᵀ (k×m). Chunks of C are
 * fixed in size and each is computed by one task, so results do not depend on the thread count.
 */
final class VectorGemv {
    private VectorGemv() {
    }

    private static final VectorSpecies<Float> S = VectorKernels.S;
    /** Elements of the output row per task. */
    private static final int CHUNK = 1024;

    /** One vector-times-matrix problem for one batch, in the terms above. */
    private record Problem(float[] v, float[] m, int mBase, int ld, boolean rowsAlongJ, int k, int n,
                           float[] c, int cBase, int cStep) {
        /** Matrix element (p, j). */
        int at(int p, int j) {
            return rowsAlongJ ? mBase + p * ld + j : mBase + j * ld + p;
        }
    }

    static boolean applies(Gemm g) {
        return g.m() == 1 || g.n() == 1;
    }

    static void gemv(Gemm g) {
        int len = g.m() == 1 ? g.n() : g.m();
        int chunks = (len + CHUNK - 1) / CHUNK;
        Parallel.forRange(g.batch() * chunks, 1, (t0, t1) -> {
            float[] v = new float[g.k()];                        // per task range, not per element
            float[] acc = new float[CHUNK];
            int loaded = -1;
            Problem pr = null;
            for (int t = t0; t < t1; t++) {
                int bt = t / chunks;
                if (bt != loaded) {
                    pr = problem(g, bt, v);
                    loaded = bt;
                }
                int j0 = (t % chunks) * CHUNK;
                chunk(pr, j0, Math.min(len, j0 + CHUNK), (float) g.alpha(), (float) g.beta(), acc);
            }
        });
    }

    /** Batch bt as v·M: copies the vector operand into v (contiguous) and describes the matrix. */
    private static Problem problem(Gemm g, int bt, float[] v) {
        float[] a = ((CpuStorage.F32) g.a()).data;
        float[] b = ((CpuStorage.F32) g.b()).data;
        float[] c = ((CpuStorage.F32) g.c()).data;
        if (g.m() == 1) {                                        // C[0, j] = Σ_p op(A)[0, p]·op(B)[p, j]
            for (int p = 0; p < g.k(); p++) {
                v[p] = a[g.aIndex(bt, 0, p)];
            }
            int base = g.bOffset() + bt * g.bBatchStride();
            return new Problem(v, b, base, g.ldb(), !g.transB(), g.k(), g.n(), c, g.cIndex(bt, 0, 0), 1);
        }
        for (int p = 0; p < g.k(); p++) {                        // C[i, 0] = Σ_p op(B)[p, 0]·op(A)[i, p]
            v[p] = b[g.bIndex(bt, p, 0)];
        }
        int base = g.aOffset() + bt * g.aBatchStride();
        return new Problem(v, a, base, g.lda(), g.transA(), g.k(), g.m(), c, g.cIndex(bt, 0, 0), g.ldc());
    }

    /** out[j] for j in [j0, j1), then C = alpha·out + beta·C (C not read when beta is 0). */
    private static void chunk(Problem pr, int j0, int j1, float alpha, float beta, float[] acc) {
        int w = j1 - j0;
        if (pr.rowsAlongJ()) {
            java.util.Arrays.fill(acc, 0, w, 0f);
            int p = 0;
            for (; p <= pr.k() - 4; p += 4) {                    // four rows per pass over acc
                axpy4(pr.v(), p, pr.m(), pr.at(p, j0), pr.ld(), acc, w);
            }
            for (; p < pr.k(); p++) {
                axpy(pr.v()[p], pr.m(), pr.at(p, j0), acc, w);
            }
        } else {
            for (int j = 0; j < w; j++) {
                acc[j] = dot(pr.v(), pr.m(), pr.at(0, j0 + j), pr.k());
            }
        }
        for (int j = 0; j < w; j++) {
            int ci = pr.cBase() + (j0 + j) * pr.cStep();
            float out = acc[j] * alpha;
            pr.c()[ci] = beta == 0f ? out : out + pr.c()[ci] * beta;
        }
    }

    /** acc[0, w) += s·m[mi, mi + w). */
    private static void axpy(float s, float[] m, int mi, float[] acc, int w) {
        FloatVector vs = FloatVector.broadcast(S, s);
        int j = 0;
        for (; j <= w - S.length(); j += S.length()) {
            FloatVector.fromArray(S, m, mi + j).fma(vs, FloatVector.fromArray(S, acc, j)).intoArray(acc, j);
        }
        for (; j < w; j++) {
            acc[j] = Math.fma(m[mi + j], s, acc[j]);
        }
    }

    /** acc[0, w) += v[p]·m[mi, ...) + v[p+1]·m[mi + ld, ...) + ... for four rows p..p+3. */
    private static void axpy4(float[] v, int p, float[] m, int mi, int ld, float[] acc, int w) {
        FloatVector s0 = FloatVector.broadcast(S, v[p]);
        FloatVector s1 = FloatVector.broadcast(S, v[p + 1]);
        FloatVector s2 = FloatVector.broadcast(S, v[p + 2]);
        FloatVector s3 = FloatVector.broadcast(S, v[p + 3]);
        int j = 0;
        for (; j <= w - S.length(); j += S.length()) {
            FloatVector a = FloatVector.fromArray(S, acc, j);
            a = FloatVector.fromArray(S, m, mi + j).fma(s0, a);
            a = FloatVector.fromArray(S, m, mi + ld + j).fma(s1, a);
            a = FloatVector.fromArray(S, m, mi + 2 * ld + j).fma(s2, a);
            a = FloatVector.fromArray(S, m, mi + 3 * ld + j).fma(s3, a);
            a.intoArray(acc, j);
        }
        for (; j < w; j++) {
            float a = acc[j];
            a = Math.fma(m[mi + j], v[p], a);
            a = Math.fma(m[mi + ld + j], v[p + 1], a);
            a = Math.fma(m[mi + 2 * ld + j], v[p + 2], a);
            a = Math.fma(m[mi + 3 * ld + j], v[p + 3], a);
            acc[j] = a;
        }
    }

    /** Σ_p v[p]·m[mi + p], four accumulators of float lanes, lanes summed in order. */
    private static float dot(float[] v, float[] m, int mi, int k) {
        FloatVector a0 = FloatVector.zero(S);
        FloatVector a1 = FloatVector.zero(S);
        FloatVector a2 = FloatVector.zero(S);
        FloatVector a3 = FloatVector.zero(S);
        int step = 4 * S.length();
        int p = 0;
        for (; p <= k - step; p += step) {
            a0 = FloatVector.fromArray(S, v, p).fma(FloatVector.fromArray(S, m, mi + p), a0);
            a1 = FloatVector.fromArray(S, v, p + S.length()).fma(FloatVector.fromArray(S, m, mi + p + S.length()), a1);
            a2 = FloatVector.fromArray(S, v, p + 2 * S.length()).fma(FloatVector.fromArray(S, m, mi + p + 2 * S.length()), a2);
            a3 = FloatVector.fromArray(S, v, p + 3 * S.length()).fma(FloatVector.fromArray(S, m, mi + p + 3 * S.length()), a3);
        }
        double sum = VectorRows.sumLanes(a0.add(a1).add(a2.add(a3)));
        for (; p < k; p++) {
            sum += v[p] * m[mi + p];
        }
        return (float) sum;
    }
}
