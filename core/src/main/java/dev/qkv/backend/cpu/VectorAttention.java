package dev.qkv.backend.cpu;

import dev.qkv.backend.AttentionArgs;
import dev.qkv.backend.AttentionDropout;
import dev.qkv.backend.Gemm;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Fused attention for float32 with the Vector API: the fast twin of {@link ReferenceAttention}.
 *
 * <p>Queries are taken in blocks of {@link #BR} rows. For one block and one head, the scores
 * against every key the block may see are one small matrix product, so the work runs on the
 * packed GEMM micro-kernel ({@link VectorGemm}) instead of one dot product at a time:
 *
 * <pre>
 * forward, per (batch·head, query block):
 *   S  = scale · Q_blk · Kᵀ                 [BR × n]   n = keys visible to the block's last row
 *   P  = softmax(S + mask), row by row      (exp in SIMD lanes; lse = max + log Σ saved)
 *   O_blk = P̃ · V                           P̃ = P with dropout applied
 * backward, per (batch, key/value head) — one task owns dK and dV of that head:
 *   per query head of the group, per query block:
 *     S, P recomputed from Q, K and the saved lse
 *     dV += P̃ᵀ · dO_blk
 *     dP  = dO_blk · Vᵀ
 *     dS  = P ⊙ (drop ⊙ dP − rowsum(dO ⊙ O)) · scale
 *     dQ_blk += dS · K,   dK += dSᵀ · Q_blk
 * </pre>
 *
 * Kᵀ and Vᵀ, the B operands of S and dP, are packed for the micro-kernel once per head
 * ({@link VectorGemm#packWholeB}) rather than once per query block: a transposed pack is a
 * scalar gather, and the products it feeds are small (BR × n × 64).
 *
 * <p>The scores of one block live in a reusable [BR × Tk] buffer per thread: memory is
 * O(BR·T) per thread, never a T×T matrix. Causal blocks stop at the last visible key, and the
 * entries past each row's own last visible key are zero in P and dS.
 */
final class VectorAttention {
    private VectorAttention() {
    }

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    /** Query rows per block: enough rows for the GEMM micro-kernel to reuse each key many times. */
    static final int BR = 64;

    /** Per-thread scratch buffers, grown on demand and reused across calls. */
    private static final class Scratch {
        float[] s = new float[0];
        float[] dp = new float[0];
        float[] pd = new float[0];
        float[] kt;                             // Kᵀ of one head, packed as a GEMM B operand (or null)
        float[] vt;                             // Vᵀ likewise

        static float[] ensure(float[] a, int n) {
            return a.length >= n ? a : new float[n];
        }
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /** Keys visible to query i: [0, jEnd). */
    private static int visibleEnd(AttentionArgs a, int i) {
        return a.causal() ? Math.max(0, Math.min(a.tk(), i + a.causalOffset() + 1)) : a.tk();
    }

    /** C (m×n, ldc) = alpha·op(A)·op(B) + beta·C on this thread, for row-major float arrays. */
    private static void gemm(int m, int n, int k, float[] a, int aOff, int lda, boolean ta,
                             float[] b, int bOff, int ldb, boolean tb, float[] c, int cOff, int ldc,
                             float alpha, float beta) {
        VectorGemm.gemmOnThisThread(new Gemm(1, m, n, k, new CpuStorage.F32(a), aOff, 0, lda, ta,
                new CpuStorage.F32(b), bOff, 0, ldb, tb, new CpuStorage.F32(c), cOff, 0, ldc, alpha, beta));
    }

    /** Xᵀ as the B operand of A·Xᵀ, X being n rows of width k at off in x. */
    private static Gemm timesTransposed(int m, int n, int k, float[] a, int aOff, float[] x, int off, float[] c,
                                        float alpha) {
        return new Gemm(1, m, n, k, new CpuStorage.F32(a), aOff, 0, k, false, new CpuStorage.F32(x), off, 0, k, true,
                new CpuStorage.F32(c), 0, 0, n, alpha, 0.0);
    }

    /**
     * Xᵀ (X: n rows of width k at off in x) packed once for {@link #gemmTransposed}, into
     * {@code into} when it is large enough; null when k is deeper than one slab, and each product
     * then packs it for itself.
     */
    private static float[] packTransposed(float[] x, int off, int n, int k, float[] into) {
        if (k > VectorGemm.KC) {
            return null;
        }
        return VectorGemm.packWholeB(timesTransposed(1, n, k, x, 0, x, off, x, 1f), into == null ? new float[0] : into);
    }

    /** c[m×n] = alpha·A·Xᵀ (A: m rows of width k at aOff), with Xᵀ from packTransposed (xt) when not null. */
    private static void gemmTransposed(int m, int n, int k, float[] a, int aOff, float[] x, int off, float[] xt,
                                       float[] c, float alpha) {
        Gemm g = timesTransposed(m, n, k, a, aOff, x, off, c, alpha);
        if (xt != null) {
            VectorGemm.gemmPackedB(g, xt);
        } else {
            VectorGemm.gemmOnThisThread(g);
        }
    }

    /** Adds the mask (if any) to s[0, jEnd) of query i and returns its max. */
    private static float addMaskAndMax(AttentionArgs a, float[] mask, int b, int h, int i, float[] s, int so,
                                       int jEnd) {
        if (mask != null) {
            var ml = a.maskLayout();
            int base = ml.offset() + b * ml.stride(0) + h * ml.stride(1) + i * ml.stride(2);
            int st = ml.stride(3);
            for (int j = 0; j < jEnd; j++) {
                s[so + j] += mask[base + j * st];
            }
        }
        return VectorRows.max(s, so, jEnd);                    // −∞ for an empty row
    }

    /** s[so, so+n) = e^(s − shift), in SIMD lanes; returns the sum (lanes added in a fixed order). */
    private static float expShifted(float[] s, int so, int n, float shift) {
        VectorRows.minus(s, so, shift, s, so, n);
        VectorMath.exp(s, so, s, so, n);
        return (float) VectorRows.sum(s, so, n);
    }

    /**
     * ds[j] = p[j]·(ds[j] − di)·scale for j in [so, so+n): the softmax backward of one row, dP
     * in, dS out. The same operations, in the same order, as the dropout loop with factor 1.
     */
    private static void softmaxGrad(float[] p, float[] ds, int so, int n, float di, float scale) {
        int j = 0;
        for (; j <= n - L; j += L) {
            FloatVector pv = FloatVector.fromArray(S, p, so + j);
            pv.mul(FloatVector.fromArray(S, ds, so + j).sub(di)).mul(scale).intoArray(ds, so + j);
        }
        for (; j < n; j++) {
            ds[so + j] = p[so + j] * (ds[so + j] - di) * scale;
        }
    }

    private static void scale(float[] s, int so, int n, float w) {
        int j = 0;
        for (; j <= n - L; j += L) {
            FloatVector.fromArray(S, s, so + j).mul(w).intoArray(s, so + j);
        }
        for (; j < n; j++) {
            s[so + j] *= w;
        }
    }

    static void forward(AttentionArgs a) {
        float[] q = ((CpuStorage.F32) a.q()).data;
        float[] k = ((CpuStorage.F32) a.k()).data;
        float[] v = ((CpuStorage.F32) a.v()).data;
        float[] mask = a.mask() == null ? null : ((CpuStorage.F32) a.mask()).data;
        float[] out = ((CpuStorage.F32) a.out()).data;
        float[] lse = ((CpuStorage.F32) a.lse()).data;
        int tq = a.tq();
        int tk = a.tk();
        int hd = a.headDim();
        int vd = a.valueDim();
        float scale = (float) a.scale();
        int qBlocks = (tq + BR - 1) / BR;
        // Tasks are (head, block of queries), in order, so a thread's range holds consecutive
        // blocks of a head: Kᵀ, the B operand of S = Q·Kᵀ, is packed once per head and range.
        Parallel.forRange(a.batch() * a.numHeads() * qBlocks, 1, (start, end) -> {
            Scratch sc = SCRATCH.get();
            sc.s = Scratch.ensure(sc.s, BR * tk);
            float[] s = sc.s;
            int packedKv = -1;                                       // whose Kᵀ sc.kt holds
            for (int t = start; t < end; t++) {
                int bh = t / qBlocks;
                int i0 = (t % qBlocks) * BR;
                int rows = Math.min(BR, tq - i0);
                int b = bh / a.numHeads();
                int h = bh % a.numHeads();
                int kv = b * a.numKvHeads() + h / a.group();
                int row0 = bh * tq + i0;
                int n = visibleEnd(a, i0 + rows - 1);                // keys the block's last row sees
                if (n == 0) {                                        // no key visible to any row
                    java.util.Arrays.fill(out, row0 * vd, (row0 + rows) * vd, 0f);
                    java.util.Arrays.fill(lse, row0, row0 + rows, Float.NEGATIVE_INFINITY);
                    continue;
                }
                if (kv != packedKv) {
                    sc.kt = packTransposed(k, kv * tk * hd, tk, hd, sc.kt);
                    packedKv = kv;
                }
                gemmTransposed(rows, n, hd, q, row0 * hd, k, kv * tk * hd, sc.kt, s, scale);
                for (int r = 0; r < rows; r++) {
                    int i = i0 + r;
                    int so = r * n;
                    int jEnd = visibleEnd(a, i);
                    float max = addMaskAndMax(a, mask, b, h, i, s, so, jEnd);
                    if (max == Float.NEGATIVE_INFINITY) {
                        java.util.Arrays.fill(s, so, so + n, 0f);   // every key masked: output 0
                        lse[row0 + r] = Float.NEGATIVE_INFINITY;
                        continue;
                    }
                    float sum = expShifted(s, so, jEnd, max);
                    scale(s, so, jEnd, 1f / sum);
                    java.util.Arrays.fill(s, so + jEnd, so + n, 0f);  // keys after this row's last
                    if (a.dropoutP() > 0) {
                        for (int j = 0; j < jEnd; j++) {
                            s[so + j] *= (float) AttentionDropout.factor(a.dropoutSeed(), a.dropoutP(), b, h, i, j,
                                    a.numHeads(), tq, tk);
                        }
                    }
                    lse[row0 + r] = max + (float) Math.log(sum);
                }
                gemm(rows, vd, n, s, 0, n, false, v, kv * tk * vd, vd, false, out, row0 * vd, vd, 1f, 0f);
            }
        });
    }

    static void backward(AttentionArgs a, float[] dout, float[] dq, float[] dk, float[] dv) {
        float[] q = ((CpuStorage.F32) a.q()).data;
        float[] k = ((CpuStorage.F32) a.k()).data;
        float[] v = ((CpuStorage.F32) a.v()).data;
        float[] mask = a.mask() == null ? null : ((CpuStorage.F32) a.mask()).data;
        float[] out = ((CpuStorage.F32) a.out()).data;
        float[] lse = ((CpuStorage.F32) a.lse()).data;
        int tq = a.tq();
        int tk = a.tk();
        int hd = a.headDim();
        int vd = a.valueDim();
        float scale = (float) a.scale();
        boolean dropout = a.dropoutP() > 0;
        // One task per (batch, kv head): it owns dK and dV of that head, so no two threads add
        // into the same rows.
        Parallel.forRange(a.batch() * a.numKvHeads(), 1, (start, end) -> {
            Scratch sc = SCRATCH.get();
            sc.s = Scratch.ensure(sc.s, BR * tk);
            sc.dp = Scratch.ensure(sc.dp, BR * tk);
            if (dropout) {
                sc.pd = Scratch.ensure(sc.pd, BR * tk);
            }
            float[] p = sc.s;
            float[] ds = sc.dp;
            float[] pd = dropout ? sc.pd : p;                        // P̃: P with dropout applied
            for (int bkv = start; bkv < end; bkv++) {
                int b = bkv / a.numKvHeads();
                int kvh = bkv % a.numKvHeads();
                int kOff = bkv * tk * hd;
                int vOff = bkv * tk * vd;
                // Kᵀ and Vᵀ are the B operands of S = Q·Kᵀ and dP = dO·Vᵀ in every block of
                // queries: packed once per head (a transposed pack is a scalar gather).
                sc.kt = packTransposed(k, kOff, tk, hd, sc.kt);
                sc.vt = packTransposed(v, vOff, tk, vd, sc.vt);
                for (int g = 0; g < a.group(); g++) {
                    int h = kvh * a.group() + g;
                    int bh = b * a.numHeads() + h;
                    for (int i0 = 0; i0 < tq; i0 += BR) {
                        int rows = Math.min(BR, tq - i0);
                        int row0 = bh * tq + i0;
                        int n = visibleEnd(a, i0 + rows - 1);
                        if (n == 0) {
                            continue;
                        }
                        // P, recomputed from the scores and the saved log-sum-exp; dP = dO·Vᵀ.
                        gemmTransposed(rows, n, hd, q, row0 * hd, k, kOff, sc.kt, p, scale);
                        gemmTransposed(rows, n, vd, dout, row0 * vd, v, vOff, sc.vt, ds, 1f);
                        for (int r = 0; r < rows; r++) {
                            int i = i0 + r;
                            int so = r * n;
                            float rowLse = lse[row0 + r];
                            int jEnd = rowLse == Float.NEGATIVE_INFINITY ? 0 : visibleEnd(a, i);
                            addMaskAndMax(a, mask, b, h, i, p, so, jEnd);
                            expShifted(p, so, jEnd, rowLse);
                            java.util.Arrays.fill(p, so + jEnd, so + n, 0f);
                            float di = (float) VectorRows.dot(dout, (row0 + r) * vd, out, (row0 + r) * vd, vd);
                            if (!dropout) {
                                softmaxGrad(p, ds, so, jEnd, di, scale);
                            } else {
                                for (int j = 0; j < jEnd; j++) {
                                    float drop = (float) AttentionDropout.factor(a.dropoutSeed(), a.dropoutP(), b, h,
                                            i, j, a.numHeads(), tq, tk);
                                    pd[so + j] = p[so + j] * drop;
                                    ds[so + j] = p[so + j] * (drop * ds[so + j] - di) * scale;
                                }
                                java.util.Arrays.fill(pd, so + jEnd, so + n, 0f);
                            }
                            java.util.Arrays.fill(ds, so + jEnd, so + n, 0f);
                        }
                        // dV += P̃ᵀ·dO,  dQ += dS·K,  dK += dSᵀ·Q
                        gemm(n, vd, rows, pd, 0, n, true, dout, row0 * vd, vd, false, dv, vOff, vd, 1f, 1f);
                        gemm(rows, hd, n, ds, 0, n, false, k, kOff, hd, false, dq, row0 * hd, hd, 1f, 1f);
                        gemm(n, hd, rows, ds, 0, n, true, q, row0 * hd, hd, false, dk, kOff, hd, 1f, 1f);
                    }
                }
            }
        });
    }
}
