package dev.qkv.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * float32 softmax, log-softmax and cross-entropy, forward and backward: one task per block of
 * rows, a few SIMD sweeps per row (the row stays in cache between them), no allocation. The
 * scalar definitions are in {@link ReferenceRowKernels}; the buffer conventions are
 * {@link dev.qkv.backend.Backend}'s (dense [rows, cols]).
 */
final class VectorSoftmax {
    private VectorSoftmax() {
    }

    private static final VectorSpecies<Float> S = VectorKernels.S;
    /** Elements per parallel work unit. */
    private static final int UNIT = 16384;

    static int grain(int cols) {
        return Math.max(1, UNIT / Math.max(cols, 1));
    }

    static void softmax(float[] x, float[] out, int rows, int cols, boolean log) {
        Parallel.forRange(rows, grain(cols), (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int row = r * cols;
                float max = VectorRows.max(x, row, cols);
                // sweep 2: out = exp(x − max), summed; sweep 3 scales it (or rewrites log-softmax)
                double sum = VectorRows.sumExp(x, row, max, log ? null : out, row, cols);
                if (log) {
                    float logSum = (float) Math.log(sum);
                    int j = 0;
                    for (; j <= cols - S.length(); j += S.length()) {
                        FloatVector.fromArray(S, x, row + j).sub(max).sub(logSum).intoArray(out, row + j);
                    }
                    for (; j < cols; j++) {
                        out[row + j] = x[row + j] - max - logSum;
                    }
                } else {
                    float inv = (float) (1.0 / sum);
                    int j = 0;
                    for (; j <= cols - S.length(); j += S.length()) {
                        FloatVector.fromArray(S, out, row + j).mul(inv).intoArray(out, row + j);
                    }
                    for (; j < cols; j++) {
                        out[row + j] *= inv;
                    }
                }
            }
        });
    }

    /** dx = y·(dy − Σ dy·y), or for log-softmax dx = dy − exp(y)·Σ dy. */
    static void softmaxBackward(float[] y, float[] dy, float[] dx, int rows, int cols, boolean log) {
        Parallel.forRange(rows, grain(cols), (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int row = r * cols;
                float s = (float) (log ? VectorRows.sum(dy, row, cols) : VectorRows.dot(dy, row, y, row, cols));
                int j = 0;
                for (; j <= cols - S.length(); j += S.length()) {
                    FloatVector yv = FloatVector.fromArray(S, y, row + j);
                    FloatVector g = FloatVector.fromArray(S, dy, row + j);
                    FloatVector d = log ? g.sub(VectorMath.exp(yv).mul(s)) : yv.mul(g.sub(s));
                    d.intoArray(dx, row + j);
                }
                for (; j < cols; j++) {
                    float yc = y[row + j];
                    float g = dy[row + j];
                    dx[row + j] = log ? g - (float) Math.exp(yc) * s : yc * (g - s);
                }
            }
        });
    }

    /** Per row: lse = max + log Σ exp(x − max); loss = (1−ε)(lse − x[t]) + ε(lse − mean(x)), 0 if ignored. */
    static void crossEntropy(float[] x, CpuStorage targets, float[] loss, float[] lse, int rows, int cols,
                             int ignoreIndex, double smoothing) {
        Parallel.forRange(rows, grain(cols), (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int row = r * cols;
                float max = VectorRows.max(x, row, cols);
                double l = max + Math.log(VectorRows.sumExp(x, row, max, null, 0, cols));
                lse[r] = (float) l;
                long t = (long) targets.get(r);
                if (t == ignoreIndex) {
                    loss[r] = 0f;
                    continue;
                }
                int target = IndexCheck.index("crossEntropy", t, cols);
                double nll = l - x[row + target];
                double uniform = smoothing == 0 ? 0 : l - VectorRows.sum(x, row, cols) / cols;
                loss[r] = (float) ((1 - smoothing) * nll + smoothing * uniform);
            }
        });
    }

    /** dlogits = dloss·(exp(x − lse) − ε/C), minus dloss·(1−ε) at the target; 0 for ignored rows. */
    static void crossEntropyBackward(float[] x, CpuStorage targets, float[] lse, float[] dloss, float[] dx,
                                     int rows, int cols, int ignoreIndex, double smoothing) {
        float uniform = (float) (smoothing / cols);
        Parallel.forRange(rows, grain(cols), (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int row = r * cols;
                long t = (long) targets.get(r);
                if (t == ignoreIndex) {
                    java.util.Arrays.fill(dx, row, row + cols, 0f);
                    continue;
                }
                int target = IndexCheck.index("crossEntropy", t, cols);
                float l = lse[r];
                float d = dloss[r];
                int j = 0;
                for (; j <= cols - S.length(); j += S.length()) {
                    FloatVector p = VectorMath.exp(FloatVector.fromArray(S, x, row + j).sub(l));
                    p.sub(uniform).mul(d).intoArray(dx, row + j);
                }
                for (; j < cols; j++) {
                    dx[row + j] = ((float) Math.exp(x[row + j] - l) - uniform) * d;
                }
                // The target's p − (1−ε) cancels when p ≈ 1: recompute it in double rather than
                // subtracting from the float just stored.
                double p = Math.exp((double) x[row + target] - l);
                dx[row + target] = (float) (d * (p - (1 - smoothing) - smoothing / cols));
            }
        });
    }
}
