package dev.qkv.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * float32 layer norm and RMS norm, forward and backward. Rows are independent and split across
 * the pool. The weight and bias gradients sum over rows; the backward's row pass, which has dy
 * and x̂ at hand already, adds them up per block of {@link VectorReduce#ROW_BLOCK} rows in float
 * ({@link Partials}), and a short second pass adds the blocks in order in double. Blocks are
 * fixed by the row numbers, not by the threads, so the result does not depend on the thread
 * count. The scalar definitions are in {@link ReferenceRowKernels}. {@code weight}, {@code bias},
 * {@code dweight} and {@code dbias} may be null.
 */
final class VectorNorms {
    private VectorNorms() {
    }

    private static final VectorSpecies<Float> S = VectorKernels.S;

    /** A weight of ones, standing in for a missing one so that the loops have no branches. */
    private static float[] orOnes(float[] w, int cols) {
        if (w != null) {
            return w;
        }
        float[] ones = new float[cols];
        java.util.Arrays.fill(ones, 1f);
        return ones;
    }

    /** A bias of zeros, standing in for a missing one. */
    private static float[] orZeros(float[] b, int cols) {
        return b != null ? b : new float[cols];
    }

    static void layerNorm(float[] x, float[] weight, float[] bias, float[] out, float[] mean, float[] rstd,
                          int rows, int cols, double eps) {
        float[] w = orOnes(weight, cols);
        float[] b = orZeros(bias, cols);
        Parallel.forRange(rows, VectorSoftmax.grain(cols), (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int row = r * cols;
                float x0 = x[row];                               // shifted sum: see VectorRows.sumMinus
                double mean64 = x0 + VectorRows.sumMinus(x, row, x0, cols) / cols;
                // The mean as float m plus its rounding error mLo: x − m is exact for x near m
                // (Sterbenz), so (x − m) − mLo keeps x̂ accurate when |mean| ≫ spread.
                float m = (float) mean64;
                float mLo = (float) (mean64 - m);
                double var = VectorRows.sumSquaredDeviation(x, row, m, cols) / cols;
                float rs = (float) (1.0 / Math.sqrt(var + eps));
                mean[r] = m;
                rstd[r] = rs;
                int j = 0;
                for (; j <= cols - S.length(); j += S.length()) {
                    FloatVector xhat = FloatVector.fromArray(S, x, row + j).sub(m).sub(mLo).mul(rs);
                    xhat.fma(FloatVector.fromArray(S, w, j), FloatVector.fromArray(S, b, j)).intoArray(out, row + j);
                }
                for (; j < cols; j++) {
                    out[row + j] = Math.fma((x[row + j] - m - mLo) * rs, w[j], b[j]);
                }
            }
        });
    }

    /** dx = rstd·(g − mean(g) − x̂·mean(g·x̂)) with g = dy·w and x̂ = (x − mean)·rstd. */
    static void layerNormBackward(float[] x, float[] weight, float[] mean, float[] rstd, float[] dy, float[] dx,
                                  float[] dw, float[] db, int rows, int cols) {
        float[] w = orOnes(weight, cols);
        Partials part = new Partials(rows, cols, dw != null, db != null);
        Parallel.forRange(part.blocks, part.grain, (b0, b1) -> {
            for (int r = b0 * ROW_BLOCK; r < Math.min(rows, b1 * ROW_BLOCK); r++) {
                int row = r * cols;
                int po = r / ROW_BLOCK * cols;                  // this row's block of partials
                float m = mean[r];
                float rs = rstd[r];
                // sweep 1: Σ g and Σ g·x̂, float lanes per chunk, totals in double
                double sumG = 0;
                double sumGx = 0;
                int j = 0;
                for (; j <= cols - S.length(); ) {
                    int end = Math.min(cols, j + VectorRows.CHUNK);
                    FloatVector ag = FloatVector.zero(S);
                    FloatVector agx = FloatVector.zero(S);
                    for (; j <= end - S.length(); j += S.length()) {
                        FloatVector g = FloatVector.fromArray(S, dy, row + j).mul(FloatVector.fromArray(S, w, j));
                        FloatVector xhat = FloatVector.fromArray(S, x, row + j).sub(m).mul(rs);
                        ag = ag.add(g);
                        agx = g.fma(xhat, agx);
                    }
                    sumG += VectorRows.sumLanes(ag);
                    sumGx += VectorRows.sumLanes(agx);
                }
                for (; j < cols; j++) {
                    float g = dy[row + j] * w[j];
                    sumG += g;
                    sumGx += g * ((x[row + j] - m) * rs);
                }
                float meanG = (float) (sumG / cols);
                float meanGx = (float) (sumGx / cols);
                // sweep 2: dx, and this row's share of dw (dy·x̂) and db (dy)
                j = 0;
                for (; j <= cols - S.length(); j += S.length()) {
                    FloatVector d = FloatVector.fromArray(S, dy, row + j);
                    FloatVector g = d.mul(FloatVector.fromArray(S, w, j));
                    FloatVector xhat = FloatVector.fromArray(S, x, row + j).sub(m).mul(rs);
                    g.sub(meanG).sub(xhat.mul(meanGx)).mul(rs).intoArray(dx, row + j);
                    part.add(po + j, d, xhat);
                }
                for (; j < cols; j++) {
                    float g = dy[row + j] * w[j];
                    float xhat = (x[row + j] - m) * rs;
                    dx[row + j] = (g - meanG - xhat * meanGx) * rs;
                    part.add(po + j, dy[row + j], xhat);
                }
            }
        });
        part.sumInto(dw, db);
    }

    static void rmsNorm(float[] x, float[] weight, float[] out, float[] rstd, int rows, int cols, double eps) {
        float[] w = orOnes(weight, cols);
        Parallel.forRange(rows, VectorSoftmax.grain(cols), (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int row = r * cols;
                double ms = VectorRows.dot(x, row, x, row, cols) / cols;
                float rs = (float) (1.0 / Math.sqrt(ms + eps));
                rstd[r] = rs;
                int j = 0;
                for (; j <= cols - S.length(); j += S.length()) {
                    FloatVector.fromArray(S, x, row + j).mul(rs).mul(FloatVector.fromArray(S, w, j)).intoArray(out, row + j);
                }
                for (; j < cols; j++) {
                    out[row + j] = x[row + j] * rs * w[j];
                }
            }
        });
    }

    /** dx = rstd·(g − x̂·mean(g·x̂)) with g = dy·w and x̂ = x·rstd. */
    static void rmsNormBackward(float[] x, float[] weight, float[] rstd, float[] dy, float[] dx, float[] dw,
                                int rows, int cols) {
        float[] w = orOnes(weight, cols);
        Partials part = new Partials(rows, cols, dw != null, false);
        Parallel.forRange(part.blocks, part.grain, (b0, b1) -> {
            for (int r = b0 * ROW_BLOCK; r < Math.min(rows, b1 * ROW_BLOCK); r++) {
                int row = r * cols;
                int po = r / ROW_BLOCK * cols;
                float rs = rstd[r];
                float meanGx = (float) (rs * weightedDot(dy, row, w, x, row, cols) / cols);   // Σ g·x̂ = rstd·Σ (dy·w)·x
                int j = 0;
                for (; j <= cols - S.length(); j += S.length()) {
                    FloatVector d = FloatVector.fromArray(S, dy, row + j);
                    FloatVector g = d.mul(FloatVector.fromArray(S, w, j));
                    FloatVector xhat = FloatVector.fromArray(S, x, row + j).mul(rs);
                    g.sub(xhat.mul(meanGx)).mul(rs).intoArray(dx, row + j);
                    part.add(po + j, d, xhat);
                }
                for (; j < cols; j++) {
                    float g = dy[row + j] * w[j];
                    float xhat = x[row + j] * rs;
                    dx[row + j] = (g - xhat * meanGx) * rs;
                    part.add(po + j, dy[row + j], xhat);
                }
            }
        });
        part.sumInto(dw, null);
    }

    /** Σ_j a[ao + j]·w[j]·x[xo + j]. */
    private static double weightedDot(float[] a, int ao, float[] w, float[] x, int xo, int n) {
        double total = 0;
        int j = 0;
        for (; j <= n - S.length(); ) {
            int end = Math.min(n, j + VectorRows.CHUNK);
            FloatVector acc = FloatVector.zero(S);
            for (; j <= end - S.length(); j += S.length()) {
                FloatVector g = FloatVector.fromArray(S, a, ao + j).mul(FloatVector.fromArray(S, w, j));
                acc = g.fma(FloatVector.fromArray(S, x, xo + j), acc);
            }
            total += VectorRows.sumLanes(acc);
        }
        for (; j < n; j++) {
            total += a[ao + j] * w[j] * x[xo + j];
        }
        return total;
    }

    private static final int ROW_BLOCK = VectorReduce.ROW_BLOCK;

    /**
     * The weight and bias gradients, dweight[c] = Σ_r dy[r, c]·x̂[r, c] and dbias[c] = Σ_r dy[r, c],
     * summed in two steps: float partials over each block of ROW_BLOCK rows, in row order (added
     * by the row pass, which owns the block), then the blocks' partials in block order into double
     * totals ({@link #sumInto}). Summing them in their own pass over column tiles instead read dy
     * and x a second time, and three 256-column tiles kept only one of two threads busy in its
     * last third: at 2 threads on 8192×768, forward plus backward took 23 ms against torch's 9.
     */
    private static final class Partials {
        final int blocks;
        /** Blocks per task: about as many values as a row task of the forward. */
        final int grain;
        private final int cols;
        private final float[] w;                        // blocks × cols, or null when not wanted
        private final float[] b;

        Partials(int rows, int cols, boolean weight, boolean bias) {
            this.blocks = (rows + ROW_BLOCK - 1) / ROW_BLOCK;
            this.grain = Math.max(1, VectorSoftmax.grain(cols) / ROW_BLOCK);
            this.cols = cols;
            this.w = weight ? new float[Math.multiplyExact(blocks, cols)] : null;
            this.b = bias ? new float[Math.multiplyExact(blocks, cols)] : null;
        }

        /** Adds one row's dy·x̂ and dy to the partials at i (its block's offset plus the column). */
        void add(int i, FloatVector dy, FloatVector xhat) {
            if (w != null) {
                dy.fma(xhat, FloatVector.fromArray(S, w, i)).intoArray(w, i);
            }
            if (b != null) {
                FloatVector.fromArray(S, b, i).add(dy).intoArray(b, i);
            }
        }

        void add(int i, float dy, float xhat) {
            if (w != null) {
                w[i] = Math.fma(dy, xhat, w[i]);
            }
            if (b != null) {
                b[i] += dy;
            }
        }

        /** dw and db (either may be null) = the blocks' partials added in block order, in double. */
        void sumInto(float[] dw, float[] db) {
            if (w == null && b == null) {
                return;
            }
            // Columns per task: at least about 16K partials each, so small norms stay on one thread.
            Parallel.forRange(cols, Math.max(1, (1 << 14) / blocks), (c0, c1) -> {
                double[] tw = new double[c1 - c0];
                double[] tb = new double[c1 - c0];
                for (int k = 0; k < blocks; k++) {
                    for (int c = c0; c < c1; c++) {
                        if (w != null) {
                            tw[c - c0] += w[k * cols + c];
                        }
                        if (b != null) {
                            tb[c - c0] += b[k * cols + c];
                        }
                    }
                }
                for (int c = c0; c < c1; c++) {
                    if (dw != null) {
                        dw[c] = (float) tw[c - c0];
                    }
                    if (db != null) {
                        db[c] = (float) tb[c - c0];
                    }
                }
            });
        }
    }
}
