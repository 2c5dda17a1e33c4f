package dev.qkv.backend.cpu;

/**
 * The scalar reference for the fused row operations (softmax, layer norm, RMS norm,
 * cross-entropy): one row at a time, nested loops, double precision through
 * {@link CpuStorage#get}/{@link CpuStorage#set}, so they serve every floating dtype. Every buffer
 * is a dense [rows, cols] matrix (element (r, c) at r·cols + c) or a [rows] / [cols] vector. The
 * formulas are the ones documented on {@link dev.qkv.backend.Backend}; the Vector API versions
 * ({@link VectorSoftmax}, {@link VectorNorms}) must match these.
 */
final class ReferenceRowKernels {
    private ReferenceRowKernels() {
    }

    /** y = softmax(x) = exp(x − max) / Σ exp(x − max), or log-softmax = (x − max) − log Σ exp(x − max). */
    static void softmax(CpuStorage x, CpuStorage out, int rows, int cols, boolean log) {
        for (int r = 0; r < rows; r++) {
            int row = r * cols;
            double max = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < cols; c++) {
                max = Math.max(max, x.get(row + c));
            }
            double sum = 0;                                  // Σ exp(x − max) >= 1: no overflow, no log(0)
            for (int c = 0; c < cols; c++) {
                sum += Math.exp(x.get(row + c) - max);
            }
            double logSum = Math.log(sum);
            for (int c = 0; c < cols; c++) {
                double shifted = x.get(row + c) - max;
                out.set(row + c, log ? shifted - logSum : Math.exp(shifted) / sum);
            }
        }
    }

    /**
     * In the forward pass this was y = softmax(x), so dx_c = y_c·(dy_c − Σ_k dy_k·y_k). For
     * log-softmax, y = x − lse, so dx_c = dy_c − exp(y_c)·Σ_k dy_k.
     */
    static void softmaxBackward(CpuStorage y, CpuStorage dy, CpuStorage dx, int rows, int cols, boolean log) {
        for (int r = 0; r < rows; r++) {
            int row = r * cols;
            double s = 0;
            for (int c = 0; c < cols; c++) {
                s += log ? dy.get(row + c) : dy.get(row + c) * y.get(row + c);
            }
            for (int c = 0; c < cols; c++) {
                double yc = y.get(row + c);
                double g = dy.get(row + c);
                dx.set(row + c, log ? g - Math.exp(yc) * s : yc * (g - s));
            }
        }
    }

    /** out = (x − mean)·rstd·weight + bias with rstd = 1/√(var + eps), var the biased variance. */
    static void layerNorm(CpuStorage x, CpuStorage weight, CpuStorage bias, CpuStorage out, CpuStorage mean,
                          CpuStorage rstd, int rows, int cols, double eps) {
        for (int r = 0; r < rows; r++) {
            int row = r * cols;
            double m = 0;
            for (int c = 0; c < cols; c++) {
                m += x.get(row + c);
            }
            m /= cols;
            double var = 0;                                  // two passes: Σ(x − m)² never goes negative
            for (int c = 0; c < cols; c++) {
                double d = x.get(row + c) - m;
                var += d * d;
            }
            var /= cols;
            double rs = 1.0 / Math.sqrt(var + eps);
            for (int c = 0; c < cols; c++) {
                double v = (x.get(row + c) - m) * rs;
                if (weight != null) {
                    v *= weight.get(c);
                }
                if (bias != null) {
                    v += bias.get(c);
                }
                out.set(row + c, v);
            }
            mean.set(r, m);
            rstd.set(r, rs);
        }
    }

    /**
     * In the forward pass this was out = x̂·w + b with x̂ = (x − mean)·rstd, so with g = dy·w:
     * dx = rstd·(g − mean(g) − x̂·mean(g·x̂)), dweight = Σ_rows dy·x̂, dbias = Σ_rows dy.
     * dweight and dbias are overwritten, not accumulated into.
     */
    static void layerNormBackward(CpuStorage x, CpuStorage weight, CpuStorage mean, CpuStorage rstd, CpuStorage dy,
                                  CpuStorage dx, CpuStorage dweight, CpuStorage dbias, int rows, int cols) {
        double[] dw = new double[cols];
        double[] db = new double[cols];
        for (int r = 0; r < rows; r++) {
            int row = r * cols;
            double m = mean.get(r);
            double rs = rstd.get(r);
            double meanG = 0;
            double meanGx = 0;
            for (int c = 0; c < cols; c++) {
                double xhat = (x.get(row + c) - m) * rs;
                double g = dy.get(row + c) * (weight != null ? weight.get(c) : 1.0);
                meanG += g;
                meanGx += g * xhat;
                dw[c] += dy.get(row + c) * xhat;
                db[c] += dy.get(row + c);
            }
            meanG /= cols;
            meanGx /= cols;
            for (int c = 0; c < cols; c++) {
                double xhat = (x.get(row + c) - m) * rs;
                double g = dy.get(row + c) * (weight != null ? weight.get(c) : 1.0);
                dx.set(row + c, rs * (g - meanG - xhat * meanGx));
            }
        }
        for (int c = 0; c < cols; c++) {
            if (dweight != null) {
                dweight.set(c, dw[c]);
            }
            if (dbias != null) {
                dbias.set(c, db[c]);
            }
        }
    }

    /** out = x·rstd·weight with rstd = 1/√(mean(x²) + eps). */
    static void rmsNorm(CpuStorage x, CpuStorage weight, CpuStorage out, CpuStorage rstd, int rows, int cols,
                        double eps) {
        for (int r = 0; r < rows; r++) {
            int row = r * cols;
            double ms = 0;
            for (int c = 0; c < cols; c++) {
                double v = x.get(row + c);
                ms += v * v;
            }
            double rs = 1.0 / Math.sqrt(ms / cols + eps);
            for (int c = 0; c < cols; c++) {
                out.set(row + c, x.get(row + c) * rs * (weight != null ? weight.get(c) : 1.0));
            }
            rstd.set(r, rs);
        }
    }

    /**
     * In the forward pass this was out = x̂·w with x̂ = x·rstd, so with g = dy·w:
     * dx = rstd·(g − x̂·mean(g·x̂)) and dweight = Σ_rows dy·x̂ (overwritten).
     */
    static void rmsNormBackward(CpuStorage x, CpuStorage weight, CpuStorage rstd, CpuStorage dy, CpuStorage dx,
                                CpuStorage dweight, int rows, int cols) {
        double[] dw = new double[cols];
        for (int r = 0; r < rows; r++) {
            int row = r * cols;
            double rs = rstd.get(r);
            double meanGx = 0;
            for (int c = 0; c < cols; c++) {
                double xhat = x.get(row + c) * rs;
                double g = dy.get(row + c) * (weight != null ? weight.get(c) : 1.0);
                meanGx += g * xhat;
                dw[c] += dy.get(row + c) * xhat;
            }
            meanGx /= cols;
            for (int c = 0; c < cols; c++) {
                double xhat = x.get(row + c) * rs;
                double g = dy.get(row + c) * (weight != null ? weight.get(c) : 1.0);
                dx.set(row + c, rs * (g - xhat * meanGx));
            }
        }
        if (dweight != null) {
            for (int c = 0; c < cols; c++) {
                dweight.set(c, dw[c]);
            }
        }
    }

    /**
     * lse = log Σ exp(x) (computed as max + log Σ exp(x − max)) for every row; loss =
     * (1−ε)·(lse − x[t]) + ε·(lse − mean(x)), or 0 where t == ignoreIndex.
     */
    static void crossEntropy(CpuStorage logits, CpuStorage targets, CpuStorage loss, CpuStorage lse,
                             int rows, int cols, int ignoreIndex, double smoothing) {
        for (int r = 0; r < rows; r++) {
            int row = r * cols;
            double max = Double.NEGATIVE_INFINITY;
            double sumX = 0;
            for (int c = 0; c < cols; c++) {
                max = Math.max(max, logits.get(row + c));
                sumX += logits.get(row + c);
            }
            double sumExp = 0;
            for (int c = 0; c < cols; c++) {
                sumExp += Math.exp(logits.get(row + c) - max);
            }
            double l = max + Math.log(sumExp);
            lse.set(r, l);
            long t = (long) targets.get(r);
            if (t == ignoreIndex) {
                loss.set(r, 0.0);
                continue;
            }
            int target = IndexCheck.index("crossEntropy", t, cols);
            double nll = l - logits.get(row + target);      // −log softmax(x)[t]
            double uniform = l - sumX / cols;               // −mean_c log softmax(x)[c]
            loss.set(r, (1 - smoothing) * nll + smoothing * uniform);
        }
    }

    /**
     * In the forward pass this was loss = (1−ε)·(lse − x[t]) + ε·(lse − mean(x)), and
     * d lse/dx = softmax(x) = exp(x − lse), so dlogits = dloss·(softmax(x) − (1−ε)·onehot(t) − ε/C);
     * ignored rows get 0.
     */
    static void crossEntropyBackward(CpuStorage logits, CpuStorage targets, CpuStorage lse, CpuStorage dloss,
                                     CpuStorage dlogits, int rows, int cols, int ignoreIndex, double smoothing) {
        for (int r = 0; r < rows; r++) {
            int row = r * cols;
            long t = (long) targets.get(r);
            if (t == ignoreIndex) {
                for (int c = 0; c < cols; c++) {
                    dlogits.set(row + c, 0.0);
                }
                continue;
            }
            int target = IndexCheck.index("crossEntropy", t, cols);
            double l = lse.get(r);
            double d = dloss.get(r);
            for (int c = 0; c < cols; c++) {
                double p = Math.exp(logits.get(row + c) - l);
                double onehot = c == target ? 1.0 : 0.0;
                dlogits.set(row + c, d * (p - (1 - smoothing) * onehot - smoothing / cols));
            }
        }
    }
}
