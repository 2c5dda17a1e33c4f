package dev.qkv.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * float32 layer norm and RMS norm, forward and backward. Rows are independent and split across
 * the pool; the weight and bias gradients, which sum over rows, are a separate pass over column
 * tiles ({@link #paramGrads}) so that each column is summed by one task in row order and the
 * result does not depend on the thread count. The scalar definitions are in
 * {@link ReferenceRowKernels}. {@code weight}, {@code bias}, {@code dweight} and {@code dbias} may be null.
 */
final class VectorNorms {
    private VectorNorms() {
    }

    private static final VectorSpecies<Float> S = VectorKernels.S;
    /** Adjacent columns per task of the parameter-gradient pass. */
    private static final int COL_TILE = 256;

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
        Parallel.forRange(rows, VectorSoftmax.grain(cols), (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int row = r * cols;
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
                // sweep 2: dx
                j = 0;
                for (; j <= cols - S.length(); j += S.length()) {
                    FloatVector g = FloatVector.fromArray(S, dy, row + j).mul(FloatVector.fromArray(S, w, j));
                    FloatVector xhat = FloatVector.fromArray(S, x, row + j).sub(m).mul(rs);
                    g.sub(meanG).sub(xhat.mul(meanGx)).mul(rs).intoArray(dx, row + j);
                }
                for (; j < cols; j++) {
                    float g = dy[row + j] * w[j];
                    float xhat = (x[row + j] - m) * rs;
                    dx[row + j] = (g - meanG - xhat * meanGx) * rs;
                }
            }
        });
        paramGrads(x, mean, rstd, dy, dw, db, rows, cols);
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
        Parallel.forRange(rows, VectorSoftmax.grain(cols), (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int row = r * cols;
                float rs = rstd[r];
                float meanGx = (float) (rs * weightedDot(dy, row, w, x, row, cols) / cols);   // Σ g·x̂ = rstd·Σ (dy·w)·x
                int j = 0;
                for (; j <= cols - S.length(); j += S.length()) {
                    FloatVector g = FloatVector.fromArray(S, dy, row + j).mul(FloatVector.fromArray(S, w, j));
                    FloatVector xhat = FloatVector.fromArray(S, x, row + j).mul(rs);
                    g.sub(xhat.mul(meanGx)).mul(rs).intoArray(dx, row + j);
                }
                for (; j < cols; j++) {
                    float g = dy[row + j] * w[j];
                    dx[row + j] = (g - x[row + j] * rs * meanGx) * rs;
                }
            }
        });
        paramGrads(x, null, rstd, dy, dw, null, rows, cols);
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

    /**
     * dweight[c] = Σ_r dy[r, c]·x̂[r, c] and dbias[c] = Σ_r dy[r, c], with x̂ = (x − mean[r])·rstd[r]
     * (mean null: RMS norm, x̂ = x·rstd). Parallel over tiles of columns; each tile walks all rows
     * in order, adding float partials over {@link VectorReduce#ROW_BLOCK} rows into double totals.
     */
    static void paramGrads(float[] x, float[] mean, float[] rstd, float[] dy, float[] dw, float[] db,
                           int rows, int cols) {
        if (dw == null && db == null) {
            return;
        }
        int tiles = (cols + COL_TILE - 1) / COL_TILE;
        Parallel.forRange(tiles, 1, (t0, t1) -> {
            float[] pw = new float[COL_TILE];                   // float partials over a row block
            float[] pb = new float[COL_TILE];
            double[] tw = new double[COL_TILE];                 // double totals
            double[] tb = new double[COL_TILE];
            for (int t = t0; t < t1; t++) {
                int c0 = t * COL_TILE;
                int width = Math.min(COL_TILE, cols - c0);
                java.util.Arrays.fill(tw, 0.0);
                java.util.Arrays.fill(tb, 0.0);
                for (int r = 0; r < rows; r++) {
                    int row = r * cols + c0;
                    float m = mean != null ? mean[r] : 0f;
                    float rs = rstd[r];
                    int j = 0;
                    for (; j <= width - S.length(); j += S.length()) {
                        FloatVector g = FloatVector.fromArray(S, dy, row + j);
                        FloatVector xhat = FloatVector.fromArray(S, x, row + j).sub(m).mul(rs);
                        g.fma(xhat, FloatVector.fromArray(S, pw, j)).intoArray(pw, j);
                        FloatVector.fromArray(S, pb, j).add(g).intoArray(pb, j);
                    }
                    for (; j < width; j++) {
                        float g = dy[row + j];
                        pw[j] = Math.fma(g, (x[row + j] - m) * rs, pw[j]);
                        pb[j] += g;
                    }
                    if ((r + 1) % VectorReduce.ROW_BLOCK == 0 || r == rows - 1) {
                        for (int k = 0; k < width; k++) {
                            tw[k] += pw[k];
                            tb[k] += pb[k];
                            pw[k] = 0f;
                            pb[k] = 0f;
                        }
                    }
                }
                for (int k = 0; k < width; k++) {
                    if (dw != null) {
                        dw[c0 + k] = (float) tw[k];
                    }
                    if (db != null) {
                        db[c0 + k] = (float) tb[k];
                    }
                }
            }
        });
    }
}
