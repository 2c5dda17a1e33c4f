package dev.qkv.backend.cpu;

import dev.qkv.backend.AttentionArgs;
import dev.qkv.backend.AttentionDropout;

/**
 * Fused attention, the readable version: for each query row, one pass over the keys with an
 * online softmax (FlashAttention's idea), so memory stays O(T·d) — no T×T score matrix is ever
 * stored. The backward pass recomputes the scores from q, k and the saved log-sum-exp.
 * Plain loops in double precision over any float dtype; {@link VectorAttention} is the fast
 * float32 twin that tests hold equal to this.
 */
final class ReferenceAttention {
    private ReferenceAttention() {
    }

    /** Score s[b,h,i,j] = scale·q·k + mask, or −∞ where masked. */
    private static double score(AttentionArgs a, CpuStorage q, CpuStorage k, CpuStorage mask,
                                int b, int h, int i, int j) {
        if (a.hidden(i, j)) {
            return Double.NEGATIVE_INFINITY;
        }
        int kvh = h / a.group();
        int qBase = ((b * a.numHeads() + h) * a.tq() + i) * a.headDim();
        int kBase = ((b * a.numKvHeads() + kvh) * a.tk() + j) * a.headDim();
        double dot = 0;
        for (int d = 0; d < a.headDim(); d++) {
            dot += q.get(qBase + d) * k.get(kBase + d);
        }
        double s = a.scale() * dot;
        if (mask != null) {
            s += mask.get(a.maskLayout().offsetOf(b, h, i, j));
        }
        return s;
    }

    static void forward(AttentionArgs a) {
        CpuStorage q = (CpuStorage) a.q();
        CpuStorage k = (CpuStorage) a.k();
        CpuStorage v = (CpuStorage) a.v();
        CpuStorage mask = (CpuStorage) a.mask();
        CpuStorage out = (CpuStorage) a.out();
        CpuStorage lse = (CpuStorage) a.lse();
        int dv = a.valueDim();
        double[] acc = new double[dv];
        for (int b = 0; b < a.batch(); b++) {
            for (int h = 0; h < a.numHeads(); h++) {
                int kvh = h / a.group();
                for (int i = 0; i < a.tq(); i++) {
                    double m = Double.NEGATIVE_INFINITY;   // running max of the scores seen so far
                    double l = 0;                          // running Σ exp(s − m)
                    java.util.Arrays.fill(acc, 0);         // running Σ exp(s − m)·drop·v
                    for (int j = 0; j < a.tk(); j++) {
                        double s = score(a, q, k, mask, b, h, i, j);
                        if (s == Double.NEGATIVE_INFINITY) {
                            continue;
                        }
                        if (s > m) {                       // a new max: rescale what we have
                            double correction = Math.exp(m - s);
                            l *= correction;
                            for (int d = 0; d < dv; d++) {
                                acc[d] *= correction;
                            }
                            m = s;
                        }
                        double p = Math.exp(s - m);
                        l += p;
                        double w = p * AttentionDropout.factor(a.dropoutSeed(), a.dropoutP(), b, h, i, j,
                                a.numHeads(), a.tq(), a.tk());
                        int vBase = ((b * a.numKvHeads() + kvh) * a.tk() + j) * dv;
                        for (int d = 0; d < dv; d++) {
                            acc[d] += w * v.get(vBase + d);
                        }
                    }
                    int row = (b * a.numHeads() + h) * a.tq() + i;
                    for (int d = 0; d < dv; d++) {
                        out.set(row * dv + d, l > 0 ? acc[d] / l : 0.0);   // all masked: output 0
                    }
                    lse.set(row, l > 0 ? m + Math.log(l) : Double.NEGATIVE_INFINITY);
                }
            }
        }
    }

    /**
     * With P = exp(s − lse) (the softmax), P̃ = P·drop and D_i = dO_i·O_i:
     * dV_j += Σ_i P̃_ij dO_i;  dP_ij = drop_ij (dO_i·v_j);  dS_ij = P_ij (dP_ij − D_i);
     * dQ_i += scale Σ_j dS_ij k_j;  dK_j += scale Σ_i dS_ij q_i.
     * dK and dV of a shared key/value head sum over its query heads.
     */
    static void backward(AttentionArgs a, CpuStorage dout, CpuStorage dq, CpuStorage dk, CpuStorage dv) {
        CpuStorage q = (CpuStorage) a.q();
        CpuStorage k = (CpuStorage) a.k();
        CpuStorage v = (CpuStorage) a.v();
        CpuStorage mask = (CpuStorage) a.mask();
        CpuStorage out = (CpuStorage) a.out();
        CpuStorage lse = (CpuStorage) a.lse();
        int hd = a.headDim();
        int vd = a.valueDim();
        for (int b = 0; b < a.batch(); b++) {
            for (int h = 0; h < a.numHeads(); h++) {
                int kvh = h / a.group();
                for (int i = 0; i < a.tq(); i++) {
                    int row = (b * a.numHeads() + h) * a.tq() + i;
                    double rowLse = lse.get(row);
                    if (rowLse == Double.NEGATIVE_INFINITY) {
                        continue;                          // all keys masked: no gradient
                    }
                    double di = 0;
                    for (int d = 0; d < vd; d++) {
                        di += dout.get(row * vd + d) * out.get(row * vd + d);
                    }
                    for (int j = 0; j < a.tk(); j++) {
                        double s = score(a, q, k, mask, b, h, i, j);
                        if (s == Double.NEGATIVE_INFINITY) {
                            continue;
                        }
                        double p = Math.exp(s - rowLse);
                        double drop = AttentionDropout.factor(a.dropoutSeed(), a.dropoutP(), b, h, i, j,
                                a.numHeads(), a.tq(), a.tk());
                        int kvRow = (b * a.numKvHeads() + kvh) * a.tk() + j;
                        double dp = 0;
                        for (int d = 0; d < vd; d++) {
                            double g = dout.get(row * vd + d);
                            dp += g * v.get(kvRow * vd + d);
                            dv.set(kvRow * vd + d, dv.get(kvRow * vd + d) + p * drop * g);
                        }
                        double ds = p * (drop * dp - di);
                        for (int d = 0; d < hd; d++) {
                            dq.set(row * hd + d, dq.get(row * hd + d) + a.scale() * ds * k.get(kvRow * hd + d));
                            dk.set(kvRow * hd + d, dk.get(kvRow * hd + d) + a.scale() * ds * q.get(row * hd + d));
                        }
                    }
                }
            }
        }
    }
}
