package dev.qkv.backend;

import dev.qkv.tensor.DType;
import dev.qkv.tensor.Layout;

/**
 * The default bodies of {@link Backend}'s fused operations, composed from its primitives. They
 * are correct on every backend and easy to read; backends override the hot ones with a single
 * kernel. Every buffer here is a contiguous [rows, cols] matrix or a [rows] vector.
 */
final class CompositeKernels {
    private CompositeKernels() {
    }

    private static final boolean[] LAST = {false, true};
    private static final boolean[] FIRST = {true, false};

    /** [rows, cols] row-major. */
    private static Layout full(int rows, int cols) {
        return Layout.contiguous(rows, cols);
    }

    /** A [rows] vector seen as [rows, cols], repeated along each row. */
    private static Layout perRow(int rows, int cols) {
        return new Layout(new int[] {rows, cols}, new int[] {1, 0}, 0);
    }

    /** A [cols] vector seen as [rows, cols], repeated down each column. */
    private static Layout perCol(int rows, int cols) {
        return new Layout(new int[] {rows, cols}, new int[] {0, 1}, 0);
    }

    private static Layout scalar(int rows, int cols) {
        return new Layout(new int[] {rows, cols}, new int[] {0, 0}, 0);
    }

    private static Storage constant(Backend be, DType dt, double v) {
        Storage s = be.allocate(dt, 1);
        be.fill(s, Layout.contiguous(1), v);
        return s;
    }

    static void softmax(Backend be, Storage x, Storage out, int rows, int cols, boolean log) {
        DType dt = x.dtype();
        Layout f = full(rows, cols);
        Layout r = perRow(rows, cols);
        Storage max = be.allocate(dt, rows);
        be.reduce(ReduceOp.MAX, x, f, LAST, max);
        Storage shifted = be.allocate(dt, rows * cols);
        be.binary(BinaryOp.SUB, x, f, max, r, shifted, f);        // x - max, so exp never overflows
        Storage e = log ? be.allocate(dt, rows * cols) : out;
        be.unary(UnaryOp.EXP, shifted, f, e, f);
        Storage sum = be.allocate(dt, rows);
        be.reduce(ReduceOp.SUM, e, f, LAST, sum);
        if (log) {
            be.unary(UnaryOp.LOG, sum, Layout.contiguous(rows), sum, Layout.contiguous(rows));
            be.binary(BinaryOp.SUB, shifted, f, sum, r, out, f);   // (x - max) - log Σ exp(x - max)
        } else {
            be.binary(BinaryOp.DIV, e, f, sum, r, out, f);
        }
    }

    static void softmaxBackward(Backend be, Storage y, Storage dy, Storage dx, int rows, int cols, boolean log) {
        DType dt = y.dtype();
        Layout f = full(rows, cols);
        Layout r = perRow(rows, cols);
        Storage s = be.allocate(dt, rows);
        if (log) {
            be.reduce(ReduceOp.SUM, dy, f, LAST, s);                // Σ dy
            Storage p = be.allocate(dt, rows * cols);
            be.unary(UnaryOp.EXP, y, f, p, f);                      // softmax = exp(log-softmax)
            be.binary(BinaryOp.MUL, p, f, s, r, p, f);
            be.binary(BinaryOp.SUB, dy, f, p, f, dx, f);
        } else {
            Storage prod = be.allocate(dt, rows * cols);
            be.binary(BinaryOp.MUL, dy, f, y, f, prod, f);
            be.reduce(ReduceOp.SUM, prod, f, LAST, s);              // Σ dy·y
            be.binary(BinaryOp.SUB, dy, f, s, r, prod, f);
            be.binary(BinaryOp.MUL, y, f, prod, f, dx, f);
        }
    }

    /** mean over each row into a [rows] buffer. */
    private static Storage rowMean(Backend be, Storage x, int rows, int cols) {
        Storage m = be.allocate(x.dtype(), rows);
        be.reduce(ReduceOp.SUM, x, full(rows, cols), LAST, m);
        Layout v = Layout.contiguous(rows);
        be.binary(BinaryOp.MUL, m, v, constant(be, x.dtype(), 1.0 / cols), new Layout(new int[] {rows}, new int[] {0}, 0), m, v);
        return m;
    }

    /** rstd = 1/sqrt(v + eps) in place on a [rows] buffer. */
    private static void rsqrtPlusEps(Backend be, Storage v, int rows, double eps) {
        Layout l = Layout.contiguous(rows);
        be.binary(BinaryOp.ADD, v, l, constant(be, v.dtype(), eps), new Layout(new int[] {rows}, new int[] {0}, 0), v, l);
        be.unary(UnaryOp.RSQRT, v, l, v, l);
    }

    static void layerNorm(Backend be, Storage x, Storage weight, Storage bias, Storage out, Storage mean,
                          Storage rstd, int rows, int cols, double eps) {
        Layout f = full(rows, cols);
        Layout r = perRow(rows, cols);
        Storage m = rowMean(be, x, rows, cols);
        be.copy(m, Layout.contiguous(rows), mean, Layout.contiguous(rows));
        Storage xc = be.allocate(x.dtype(), rows * cols);
        be.binary(BinaryOp.SUB, x, f, m, r, xc, f);                  // x - mean
        Storage sq = be.allocate(x.dtype(), rows * cols);
        be.binary(BinaryOp.MUL, xc, f, xc, f, sq, f);
        Storage var = rowMean(be, sq, rows, cols);                    // biased variance
        rsqrtPlusEps(be, var, rows, eps);
        be.copy(var, Layout.contiguous(rows), rstd, Layout.contiguous(rows));
        be.binary(BinaryOp.MUL, xc, f, var, r, out, f);              // x̂ = (x - mean)·rstd
        if (weight != null) {
            be.binary(BinaryOp.MUL, out, f, weight, perCol(rows, cols), out, f);
        }
        if (bias != null) {
            be.binary(BinaryOp.ADD, out, f, bias, perCol(rows, cols), out, f);
        }
    }

    static void layerNormBackward(Backend be, Storage x, Storage weight, Storage mean, Storage rstd, Storage dy,
                                  Storage dx, Storage dweight, Storage dbias, int rows, int cols) {
        DType dt = x.dtype();
        Layout f = full(rows, cols);
        Layout r = perRow(rows, cols);
        Storage xhat = be.allocate(dt, rows * cols);
        be.binary(BinaryOp.SUB, x, f, mean, r, xhat, f);
        be.binary(BinaryOp.MUL, xhat, f, rstd, r, xhat, f);          // x̂, as in the forward
        if (dweight != null) {
            Storage t = be.allocate(dt, rows * cols);
            be.binary(BinaryOp.MUL, dy, f, xhat, f, t, f);
            be.reduce(ReduceOp.SUM, t, f, FIRST, dweight);            // Σ_rows dy·x̂
        }
        if (dbias != null) {
            be.reduce(ReduceOp.SUM, dy, f, FIRST, dbias);
        }
        Storage g = be.allocate(dt, rows * cols);
        if (weight != null) {
            be.binary(BinaryOp.MUL, dy, f, weight, perCol(rows, cols), g, f);
        } else {
            be.copy(dy, f, g, f);
        }
        Storage meanG = rowMean(be, g, rows, cols);
        Storage gx = be.allocate(dt, rows * cols);
        be.binary(BinaryOp.MUL, g, f, xhat, f, gx, f);
        Storage meanGx = rowMean(be, gx, rows, cols);
        be.binary(BinaryOp.SUB, g, f, meanG, r, g, f);               // g - mean(g)
        be.binary(BinaryOp.MUL, xhat, f, meanGx, r, xhat, f);        // x̂·mean(g·x̂)
        be.binary(BinaryOp.SUB, g, f, xhat, f, g, f);
        be.binary(BinaryOp.MUL, g, f, rstd, r, dx, f);
    }

    static void rmsNorm(Backend be, Storage x, Storage weight, Storage out, Storage rstd, int rows, int cols,
                        double eps) {
        Layout f = full(rows, cols);
        Storage sq = be.allocate(x.dtype(), rows * cols);
        be.binary(BinaryOp.MUL, x, f, x, f, sq, f);
        Storage ms = rowMean(be, sq, rows, cols);                     // mean(x²)
        rsqrtPlusEps(be, ms, rows, eps);
        be.copy(ms, Layout.contiguous(rows), rstd, Layout.contiguous(rows));
        be.binary(BinaryOp.MUL, x, f, ms, perRow(rows, cols), out, f);
        if (weight != null) {
            be.binary(BinaryOp.MUL, out, f, weight, perCol(rows, cols), out, f);
        }
    }

    static void rmsNormBackward(Backend be, Storage x, Storage weight, Storage rstd, Storage dy, Storage dx,
                                Storage dweight, int rows, int cols) {
        DType dt = x.dtype();
        Layout f = full(rows, cols);
        Layout r = perRow(rows, cols);
        Storage xhat = be.allocate(dt, rows * cols);
        be.binary(BinaryOp.MUL, x, f, rstd, r, xhat, f);
        if (dweight != null) {
            Storage t = be.allocate(dt, rows * cols);
            be.binary(BinaryOp.MUL, dy, f, xhat, f, t, f);
            be.reduce(ReduceOp.SUM, t, f, FIRST, dweight);
        }
        Storage g = be.allocate(dt, rows * cols);
        if (weight != null) {
            be.binary(BinaryOp.MUL, dy, f, weight, perCol(rows, cols), g, f);
        } else {
            be.copy(dy, f, g, f);
        }
        Storage gx = be.allocate(dt, rows * cols);
        be.binary(BinaryOp.MUL, g, f, xhat, f, gx, f);
        Storage meanGx = rowMean(be, gx, rows, cols);
        be.binary(BinaryOp.MUL, xhat, f, meanGx, r, xhat, f);
        be.binary(BinaryOp.SUB, g, f, xhat, f, g, f);
        be.binary(BinaryOp.MUL, g, f, rstd, r, dx, f);
    }

    /** 1.0 where targets != ignoreIndex, else 0, and the targets with ignored ones set to 0. */
    private static Storage[] validAndSafeTargets(Backend be, Storage targets, int rows, int ignoreIndex) {
        Layout v = Layout.contiguous(rows);
        Layout s = new Layout(new int[] {rows}, new int[] {0}, 0);
        Storage ignore = constant(be, targets.dtype(), ignoreIndex);
        Storage valid = be.allocate(DType.BOOL, rows);
        be.binary(BinaryOp.NE, targets, v, ignore, s, valid, v);
        Storage safe = be.allocate(targets.dtype(), rows);
        Storage zero = be.allocate(targets.dtype(), 1);
        be.where(valid, v, targets, v, zero, s, safe, v);
        return new Storage[] {valid, safe};
    }

    static void crossEntropy(Backend be, Storage logits, Storage targets, Storage loss, Storage lse, int rows,
                             int cols, int ignoreIndex, double smoothing) {
        DType dt = logits.dtype();
        Layout f = full(rows, cols);
        Layout v = Layout.contiguous(rows);
        Layout vs = new Layout(new int[] {rows}, new int[] {0}, 0);
        // lse = log Σ exp(x) = max + log Σ exp(x − max): stable even when some logits are −∞.
        Layout r = perRow(rows, cols);
        Storage max = be.allocate(dt, rows);
        be.reduce(ReduceOp.MAX, logits, f, LAST, max);
        Storage shifted = be.allocate(dt, rows * cols);
        be.binary(BinaryOp.SUB, logits, f, max, r, shifted, f);
        be.unary(UnaryOp.EXP, shifted, f, shifted, f);
        be.reduce(ReduceOp.SUM, shifted, f, LAST, lse);
        be.unary(UnaryOp.LOG, lse, v, lse, v);
        be.binary(BinaryOp.ADD, lse, v, max, v, lse, v);
        Storage logp = be.allocate(dt, rows * cols);
        be.binary(BinaryOp.SUB, logits, f, lse, r, logp, f);          // log p = x − lse
        Storage[] vt = validAndSafeTargets(be, targets, rows, ignoreIndex);
        Storage picked = be.allocate(dt, rows);
        be.gather(logp, f, 1, vt[1], new Layout(new int[] {rows, 1}, new int[] {1, 1}, 0), picked);
        Storage nll = be.allocate(dt, rows);
        be.unary(UnaryOp.NEG, picked, v, nll, v);                    // -log p[t]
        if (smoothing != 0) {
            Storage sumLogp = be.allocate(dt, rows);
            be.reduce(ReduceOp.SUM, logp, f, LAST, sumLogp);
            // loss = (1-ε)·nll - ε/C·Σ log p
            be.binary(BinaryOp.MUL, nll, v, constant(be, dt, 1 - smoothing), vs, nll, v);
            be.binary(BinaryOp.MUL, sumLogp, v, constant(be, dt, smoothing / cols), vs, sumLogp, v);
            be.binary(BinaryOp.SUB, nll, v, sumLogp, v, nll, v);
        }
        Storage zero = be.allocate(dt, 1);
        be.where(vt[0], v, nll, v, zero, vs, loss, v);
    }

    static void crossEntropyBackward(Backend be, Storage logits, Storage targets, Storage lse, Storage dloss,
                                     Storage dlogits, int rows, int cols, int ignoreIndex, double smoothing) {
        DType dt = logits.dtype();
        Layout f = full(rows, cols);
        Layout r = perRow(rows, cols);
        Layout v = Layout.contiguous(rows);
        Layout vs = new Layout(new int[] {rows}, new int[] {0}, 0);
        Storage p = be.allocate(dt, rows * cols);
        be.binary(BinaryOp.SUB, logits, f, lse, r, p, f);
        be.unary(UnaryOp.EXP, p, f, p, f);                           // softmax = exp(x - lse)
        if (smoothing != 0) {
            be.binary(BinaryOp.SUB, p, f, constant(be, dt, smoothing / cols), scalar(rows, cols), p, f);
        }
        Storage[] vt = validAndSafeTargets(be, targets, rows, ignoreIndex);
        Storage minus = be.allocate(dt, rows);
        be.fill(minus, v, -(1 - smoothing));
        be.scatterAdd(p, f, 1, vt[1], new Layout(new int[] {rows, 1}, new int[] {1, 1}, 0), minus,
                new Layout(new int[] {rows, 1}, new int[] {1, 1}, 0));  // - (1-ε) at the target
        Storage scale = be.allocate(dt, rows);
        Storage zero = be.allocate(dt, 1);
        be.where(vt[0], v, dloss, v, zero, vs, scale, v);            // ignored rows get no gradient
        be.binary(BinaryOp.MUL, p, f, scale, r, dlogits, f);
    }
}
