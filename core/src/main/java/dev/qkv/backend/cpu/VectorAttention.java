package dev.qkv.backend.cpu;

import dev.qkv.backend.AttentionArgs;
import dev.qkv.backend.AttentionDropout;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Fused attention for float32 with the Vector API: the fast twin of {@link ReferenceAttention}.
 *
 * <p>Per (batch, head) the keys (and, for backward, the values) are first transposed into a
 * [D, Tk] panel so that one query row's scores against many keys are SIMD lanes:
 * {@code s[j..j+L) += q[i,d] · kᵀ[d, j..j+L)}. A query row's scores live in one reusable buffer of
 * length Tk — memory is O(T·d) per thread, never a T×T matrix. Work is split across the pool by
 * (batch, key/value head), so dK and dV of a shared head are written by one thread only.
 */
final class VectorAttention {
    private VectorAttention() {
    }

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    /** Per-thread scratch buffers, grown on demand and reused across calls. */
    private static final class Scratch {
        float[] kT = new float[0];
        float[] vT = new float[0];
        float[] s = new float[0];
        float[] dp = new float[0];
        float[] acc = new float[0];

        static float[] ensure(float[] a, int n) {
            return a.length >= n ? a : new float[n];
        }
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /** panel[d * tk + j] = src[base + j * dim + d]: a [tk, dim] block transposed. */
    private static void transpose(float[] src, int base, int tk, int dim, float[] panel) {
        for (int j = 0; j < tk; j++) {
            int row = base + j * dim;
            for (int d = 0; d < dim; d++) {
                panel[d * tk + j] = src[row + d];
            }
        }
    }

    /** s[j] = scale · Σ_d q[qBase + d] · kT[d·tk + j] for j in [0, jEnd). */
    private static void scores(float[] q, int qBase, float[] kT, int tk, int dim, int jEnd, float scale, float[] s) {
        int j = 0;
        for (; j <= jEnd - 4 * L; j += 4 * L) {
            FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
            for (int d = 0; d < dim; d++) {
                FloatVector qd = FloatVector.broadcast(S, q[qBase + d]);
                int p = d * tk + j;
                a0 = FloatVector.fromArray(S, kT, p).fma(qd, a0);
                a1 = FloatVector.fromArray(S, kT, p + L).fma(qd, a1);
                a2 = FloatVector.fromArray(S, kT, p + 2 * L).fma(qd, a2);
                a3 = FloatVector.fromArray(S, kT, p + 3 * L).fma(qd, a3);
            }
            a0.mul(scale).intoArray(s, j);
            a1.mul(scale).intoArray(s, j + L);
            a2.mul(scale).intoArray(s, j + 2 * L);
            a3.mul(scale).intoArray(s, j + 3 * L);
        }
        for (; j <= jEnd - L; j += L) {
            FloatVector a0 = FloatVector.zero(S);
            for (int d = 0; d < dim; d++) {
                a0 = FloatVector.fromArray(S, kT, d * tk + j).fma(FloatVector.broadcast(S, q[qBase + d]), a0);
            }
            a0.mul(scale).intoArray(s, j);
        }
        for (; j < jEnd; j++) {                                   // scalar tail
            float acc = 0;
            for (int d = 0; d < dim; d++) {
                acc += q[qBase + d] * kT[d * tk + j];
            }
            s[j] = acc * scale;
        }
    }

    /** Adds the mask (if any) and returns the row max over [0, jEnd). */
    private static float addMaskAndMax(AttentionArgs a, float[] mask, int b, int h, int i, int jEnd, float[] s) {
        if (mask != null) {
            var ml = a.maskLayout();
            int base = ml.offset() + b * ml.stride(0) + h * ml.stride(1) + i * ml.stride(2);
            int st = ml.stride(3);
            for (int j = 0; j < jEnd; j++) {
                s[j] += mask[base + j * st];
            }
        }
        float max = Float.NEGATIVE_INFINITY;
        for (int j = 0; j < jEnd; j++) {
            max = Math.max(max, s[j]);
        }
        return max;
    }

    /** dst[dBase..+n) += w · src[sBase..+n). */
    private static void axpy(float w, float[] src, int sBase, float[] dst, int dBase, int n) {
        FloatVector vw = FloatVector.broadcast(S, w);
        int d = 0;
        for (; d <= n - L; d += L) {
            FloatVector.fromArray(S, src, sBase + d).fma(vw, FloatVector.fromArray(S, dst, dBase + d)).intoArray(dst, dBase + d);
        }
        for (; d < n; d++) {
            dst[dBase + d] += w * src[sBase + d];
        }
    }

    private static float dot(float[] x, int xBase, float[] y, int yBase, int n) {
        FloatVector acc = FloatVector.zero(S);
        int d = 0;
        for (; d <= n - L; d += L) {
            acc = FloatVector.fromArray(S, x, xBase + d).fma(FloatVector.fromArray(S, y, yBase + d), acc);
        }
        float r = acc.reduceLanes(VectorOperators.ADD);
        for (; d < n; d++) {
            r += x[xBase + d] * y[yBase + d];
        }
        return r;
    }

    /** Keys visible to query i: [0, jEnd). */
    private static int visibleEnd(AttentionArgs a, int i) {
        return a.causal() ? Math.max(0, Math.min(a.tk(), i + a.causalOffset() + 1)) : a.tk();
    }

    static void forward(AttentionArgs a) {
        float[] q = ((CpuStorage.F32) a.q()).data;
        float[] k = ((CpuStorage.F32) a.k()).data;
        float[] v = ((CpuStorage.F32) a.v()).data;
        float[] mask = a.mask() == null ? null : ((CpuStorage.F32) a.mask()).data;
        float[] out = ((CpuStorage.F32) a.out()).data;
        float[] lse = ((CpuStorage.F32) a.lse()).data;
        int tk = a.tk();
        int hd = a.headDim();
        int vd = a.valueDim();
        float scale = (float) a.scale();
        Parallel.forRange(a.batch() * a.numHeads(), 1, (start, end) -> {
            Scratch sc = SCRATCH.get();
            sc.kT = Scratch.ensure(sc.kT, hd * tk);
            sc.s = Scratch.ensure(sc.s, tk);
            float[] s = sc.s;
            int lastKv = -1;
            for (int bh = start; bh < end; bh++) {
                int b = bh / a.numHeads();
                int h = bh % a.numHeads();
                int kv = b * a.numKvHeads() + h / a.group();
                if (kv != lastKv) {                                   // query heads of a group share kᵀ
                    transpose(k, kv * tk * hd, tk, hd, sc.kT);
                    lastKv = kv;
                }
                for (int i = 0; i < a.tq(); i++) {
                    int row = bh * a.tq() + i;
                    int jEnd = visibleEnd(a, i);
                    scores(q, row * hd, sc.kT, tk, hd, jEnd, scale, s);
                    float max = addMaskAndMax(a, mask, b, h, i, jEnd, s);
                    java.util.Arrays.fill(out, row * vd, row * vd + vd, 0f);
                    if (max == Float.NEGATIVE_INFINITY) {
                        lse[row] = Float.NEGATIVE_INFINITY;           // every key masked: output 0
                        continue;
                    }
                    float sum = 0;
                    for (int j = 0; j < jEnd; j++) {
                        float p = (float) Math.exp(s[j] - max);
                        s[j] = p;
                        sum += p;
                    }
                    float inv = 1f / sum;
                    for (int j = 0; j < jEnd; j++) {
                        float w = s[j] * inv;
                        if (a.dropoutP() > 0) {
                            w *= (float) AttentionDropout.factor(a.dropoutSeed(), a.dropoutP(), b, h, i, j,
                                    a.numHeads(), a.tq(), tk);
                        }
                        if (w != 0f) {
                            axpy(w, v, (kv * tk + j) * vd, out, row * vd, vd);
                        }
                    }
                    lse[row] = max + (float) Math.log(sum);
                }
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
        int tk = a.tk();
        int hd = a.headDim();
        int vd = a.valueDim();
        float scale = (float) a.scale();
        // One task per (batch, kv head): it owns dK and dV of that head, so no two threads add
        // into the same rows.
        Parallel.forRange(a.batch() * a.numKvHeads(), 1, (start, end) -> {
            Scratch sc = SCRATCH.get();
            sc.kT = Scratch.ensure(sc.kT, hd * tk);
            sc.vT = Scratch.ensure(sc.vT, vd * tk);
            sc.s = Scratch.ensure(sc.s, tk);
            sc.dp = Scratch.ensure(sc.dp, tk);
            float[] s = sc.s;
            float[] dp = sc.dp;
            for (int bkv = start; bkv < end; bkv++) {
                int b = bkv / a.numKvHeads();
                int kvh = bkv % a.numKvHeads();
                transpose(k, bkv * tk * hd, tk, hd, sc.kT);
                transpose(v, bkv * tk * vd, tk, vd, sc.vT);
                for (int g = 0; g < a.group(); g++) {
                    int h = kvh * a.group() + g;
                    int bh = b * a.numHeads() + h;
                    for (int i = 0; i < a.tq(); i++) {
                        int row = bh * a.tq() + i;
                        float rowLse = lse[row];
                        if (rowLse == Float.NEGATIVE_INFINITY) {
                            continue;                                 // fully masked row: no gradient
                        }
                        int jEnd = visibleEnd(a, i);
                        scores(q, row * hd, sc.kT, tk, hd, jEnd, scale, s);
                        addMaskAndMax(a, mask, b, h, i, jEnd, s);
                        scores(dout, row * vd, sc.vT, tk, vd, jEnd, 1f, dp);   // dp_j = dO_i · v_j
                        float di = dot(dout, row * vd, out, row * vd, vd);
                        for (int j = 0; j < jEnd; j++) {
                            float p = (float) Math.exp(s[j] - rowLse);
                            float drop = a.dropoutP() > 0 ? (float) AttentionDropout.factor(a.dropoutSeed(),
                                    a.dropoutP(), b, h, i, j, a.numHeads(), a.tq(), tk) : 1f;
                            int kvRow = bkv * tk + j;
                            if (p * drop != 0f) {
                                axpy(p * drop, dout, row * vd, dv, kvRow * vd, vd);   // dV_j += P̃_ij dO_i
                            }
                            float ds = p * (drop * dp[j] - di) * scale;
                            if (ds != 0f) {
                                axpy(ds, k, kvRow * hd, dq, row * hd, hd);            // dQ_i += dS_ij k_j
                                axpy(ds, q, row * hd, dk, kvRow * hd, hd);            // dK_j += dS_ij q_i
                            }
                        }
                    }
                }
            }
        });
    }
}
