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
            float[] scratch = log ? new float[cols] : null;     // per task, not per row
            for (int r = r0; r < r1; r++) {
                int row = r * cols;
                float max = VectorRows.max(x, row, cols);
                // e = exp(x − max): into out for softmax (then scaled), into scratch for log-softmax
                float[] e = log ? scratch : out;
                int eo = log ? 0 : row;
                VectorRows.minus(x, row, max, e, eo, cols);
                VectorMath.exp(e, eo, e, eo, cols);
                double sum = VectorRows.sum(e, eo, cols);
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
            float[] p = log ? new float[cols] : null;          // exp(y) = softmax, per task
            for (int r = r0; r < r1; r++) {
                int row = r * cols;
                int j = 0;
                if (log) {
                    float s = (float) VectorRows.sum(dy, row, cols);
                    VectorMath.exp(y, row, p, 0, cols);
                    for (; j <= cols - S.length(); j += S.length()) {
                        FloatVector g = FloatVector.fromArray(S, dy, row + j);
                        g.sub(FloatVector.fromArray(S, p, j).mul(s)).intoArray(dx, row + j);
                    }
                    for (; j < cols; j++) {
                        dx[row + j] = dy[row + j] - p[j] * s;
                    }
                } else {
                    float s = (float) VectorRows.dot(dy, row, y, row, cols);
                    for (; j <= cols - S.length(); j += S.length()) {
                        FloatVector yv = FloatVector.fromArray(S, y, row + j);
                        yv.mul(FloatVector.fromArray(S, dy, row + j).sub(s)).intoArray(dx, row + j);
                    }
                    for (; j < cols; j++) {
                        dx[row + j] = y[row + j] * (dy[row + j] - s);
                    }
                }
            }
        });
    }

    /** Per row: lse = max + log Σ exp(x − max); loss = (1−ε)(lse − x[t]) + ε(lse − mean(x)), 0 if ignored. */
    static void crossEntropy(float[] x, CpuStorage targets, float[] loss, float[] lse, int rows, int cols,
                             int ignoreIndex, double smoothing) {
        Parallel.forRange(rows, grain(cols), (r0, r1) -> {
            float[] e = new float[cols];                        // exp(x − max), per task
            for (int r = r0; r < r1; r++) {
                int row = r * cols;
                float max = VectorRows.max(x, row, cols);
                VectorRows.minus(x, row, max, e, 0, cols);
                VectorMath.exp(e, 0, e, 0, cols);
                double l = max + Math.log(VectorRows.sum(e, 0, cols));
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
                VectorRows.minus(x, row, l, dx, row, cols);      // dx = softmax = exp(x − lse), then scaled
                VectorMath.exp(dx, row, dx, row, cols);
                int j = 0;
                for (; j <= cols - S.length(); j += S.length()) {
                    FloatVector.fromArray(S, dx, row + j).sub(uniform).mul(d).intoArray(dx, row + j);
                }
                for (; j < cols; j++) {
                    dx[row + j] = (dx[row + j] - uniform) * d;
                }
                // The target's p − (1−ε) cancels when p ≈ 1: recompute it in double rather than
                // subtracting from the float just stored.
                double p = Math.exp((double) x[row + target] - l);
                dx[row + target] = (float) (d * (p - (1 - smoothing) - smoothing / cols));
            }
        });
    }
}
