package dev.qkv.nn.functional;

import dev.qkv.autograd.Autograd;
import dev.qkv.tensor.DType;
import dev.qkv.tensor.Generator;
import dev.qkv.tensor.Shapes;
import dev.qkv.tensor.Tensor;

import java.util.Arrays;

/**
 * Neural-network functions, like {@code torch.nn.functional}. Softmax, the norms and
 * cross-entropy run as one fused backend kernel each way; the rest are compositions of tensor
 * ops whose gradients the autograd derives.
 */
public final class F {
    private F() {
    }

    // ===================================================================== softmax

    /** exp(x − max) / Σ exp(x − max) along dim: stable for any input size. */
    public static Tensor softmax(Tensor x, int dim) {
        return softmax(x, dim, false);
    }

    /** (x − max) − log Σ exp(x − max) along dim. */
    public static Tensor logSoftmax(Tensor x, int dim) {
        return softmax(x, dim, true);
    }

    private static Tensor softmax(Tensor x, int dim, boolean log) {
        requireFloating(log ? "logSoftmax" : "softmax", x);
        int d = Shapes.dim(log ? "logSoftmax" : "softmax", dim, x.shape());
        int rank = x.dim();
        if (rank == 0) {
            return softmax(x.reshape(1), 0, log).reshape();       // one element: softmax 1, log-softmax 0
        }
        Tensor xd;
        Tensor yd;
        try (var s = Autograd.noGrad()) {
            xd = Rows.lastDense(x, d);
            yd = Rows.uninitialized(x, xd.shape());
        }
        int cols = xd.size(-1);
        int rows = cols == 0 ? 0 : x.numel() / cols;
        x.backend().softmax(xd.storage(), yd.storage(), rows, cols, log);
        Tensor y = Rows.restore(yd, d, rank);
        return Autograd.record(log ? "logSoftmax" : "softmax", y, g -> {
            Tensor gd = Rows.lastDense(g, d);
            Tensor dx = Rows.uninitialized(g, gd.shape());
            g.backend().softmaxBackward(yd.storage(), gd.storage(), dx.storage(), rows, cols, log);
            return new Tensor[] {Rows.restore(dx, d, rank)};
        }, x);
    }

    // ===================================================================== normalization

    /**
     * Layer norm over the last {@code normalizedShape.length} dims: (x − mean)/√(var + eps)·weight
     * + bias, with the biased variance (as torch.nn.functional.layer_norm). weight/bias may be null.
     */
    public static Tensor layerNorm(Tensor x, int[] normalizedShape, Tensor weight, Tensor bias, double eps) {
        int cols = checkNormShape("layerNorm", x, normalizedShape, weight, bias);
        int rows = cols == 0 ? 0 : x.numel() / cols;
        Tensor xd = Rows.dense(x.detach());
        Tensor wd = weight == null ? null : Rows.dense(weight.detach());
        Tensor bd = bias == null ? null : Rows.dense(bias.detach());
        Tensor out = Rows.uninitialized(x, x.shape());            // the kernels write every row
        Tensor mean = Rows.uninitialized(x, rows);
        Tensor rstd = Rows.uninitialized(x, rows);
        x.backend().layerNorm(xd.storage(), wd == null ? null : wd.storage(), bd == null ? null : bd.storage(),
                out.storage(), mean.storage(), rstd.storage(), rows, cols, eps);
        return Autograd.record("layerNorm", out, g -> {
            Tensor gd = Rows.dense(g);
            Tensor dx = Rows.uninitialized(g, x.shape());
            Tensor dw = weight != null && weight.requiresGrad() ? Rows.zeros(g, normalizedShape) : null;
            Tensor db = bias != null && bias.requiresGrad() ? Rows.zeros(g, normalizedShape) : null;
            g.backend().layerNormBackward(xd.storage(), wd == null ? null : wd.storage(), mean.storage(),
                    rstd.storage(), gd.storage(), dx.storage(), dw == null ? null : dw.storage(),
                    db == null ? null : db.storage(), rows, cols);
            return new Tensor[] {dx, dw, db};
        }, x, weight, bias);
    }

    /** RMS norm over the last dims: x/√(mean(x²) + eps)·weight (Llama's norm). weight may be null. */
    public static Tensor rmsNorm(Tensor x, int[] normalizedShape, Tensor weight, double eps) {
        int cols = checkNormShape("rmsNorm", x, normalizedShape, weight, null);
        int rows = cols == 0 ? 0 : x.numel() / cols;
        Tensor xd = Rows.dense(x.detach());
        Tensor wd = weight == null ? null : Rows.dense(weight.detach());
        Tensor out = Rows.uninitialized(x, x.shape());
        Tensor rstd = Rows.uninitialized(x, rows);
        x.backend().rmsNorm(xd.storage(), wd == null ? null : wd.storage(), out.storage(), rstd.storage(), rows, cols, eps);
        return Autograd.record("rmsNorm", out, g -> {
            Tensor gd = Rows.dense(g);
            Tensor dx = Rows.uninitialized(g, x.shape());
            Tensor dw = weight != null && weight.requiresGrad() ? Rows.zeros(g, normalizedShape) : null;
            g.backend().rmsNormBackward(xd.storage(), wd == null ? null : wd.storage(), rstd.storage(), gd.storage(),
                    dx.storage(), dw == null ? null : dw.storage(), rows, cols);
            return new Tensor[] {dx, dw};
        }, x, weight);
    }

    private static int checkNormShape(String op, Tensor x, int[] normalizedShape, Tensor weight, Tensor bias) {
        requireFloating(op, x);
        int k = normalizedShape.length;
        int[] xs = x.shape();
        if (k == 0 || k > xs.length
                || !Arrays.equals(Arrays.copyOfRange(xs, xs.length - k, xs.length), normalizedShape)) {
            throw new IllegalArgumentException(op + ": normalizedShape " + Arrays.toString(normalizedShape)
                    + " must equal the trailing dims of the input shape " + Arrays.toString(xs));
        }
        for (Tensor p : new Tensor[] {weight, bias}) {
            if (p != null && !Arrays.equals(p.shape(), normalizedShape)) {
                throw new IllegalArgumentException(op + ": weight/bias of shape " + Arrays.toString(p.shape())
                        + " must have shape normalizedShape " + Arrays.toString(normalizedShape));
            }
            if (p != null && (p.dtype() != x.dtype() || !p.device().equals(x.device()))) {
                throw new IllegalArgumentException(op + ": weight/bias (" + p.dtype() + " on " + p.device()
                        + ") must match the input (" + x.dtype() + " on " + x.device() + ")");
            }
        }
        return Shapes.numel(normalizedShape);
    }

    // ===================================================================== layers as functions

    /** x·Wᵀ + b, with W of shape [out, in] as in torch.nn.Linear. b may be null. */
    public static Tensor linear(Tensor x, Tensor weight, Tensor bias) {
        if (x.dim() == 0 || weight.dim() != 2 || x.size(-1) != weight.size(1)) {
            throw new IllegalArgumentException("linear: input of shape " + Arrays.toString(x.shape())
                    + " needs last dim equal to weight's in_features; weight has shape "
                    + Arrays.toString(weight.shape()) + " ([out_features, in_features])");
        }
        int[] xs = x.shape();
        // Flatten leading dims so the weight gradient is one GEMM, not one per batch element.
        Tensor y = x.dim() == 2 ? x.matmul(weight.t()) : x.reshape(-1, xs[xs.length - 1]).matmul(weight.t());
        if (bias != null) {
            y = y.add(bias);
        }
        if (x.dim() != 2) {
            int[] out = xs.clone();
            out[out.length - 1] = weight.size(0);
            y = y.reshape(out);
        }
        return y;
    }

    /** Rows of {@code weight} picked by integer ids: shape ids.shape + [embeddingDim]. */
    public static Tensor embedding(Tensor ids, Tensor weight) {
        if (ids.dtype().isFloating() || ids.dtype() == DType.BOOL || weight.dim() != 2) {
            throw new IllegalArgumentException("embedding: expects integer ids and a 2-D weight [num_embeddings, "
                    + "embedding_dim], got ids " + ids.dtype() + " " + Arrays.toString(ids.shape()) + " and weight "
                    + Arrays.toString(weight.shape()));
        }
        // Checked here (not only in the kernel) so the message says which id and which table.
        int rows = weight.size(0);
        for (long id : ids.toLongArray()) {
            if (id < 0 || id >= rows) {
                throw new IndexOutOfBoundsException("embedding: id " + id + " is out of range for a table of " + rows
                        + " rows (weight shape " + Arrays.toString(weight.shape()) + ")");
            }
        }
        int[] s = Arrays.copyOf(ids.shape(), ids.dim() + 1);
        s[ids.dim()] = weight.size(1);
        return weight.indexSelect(0, ids.reshape(-1)).reshape(s);
    }

    /**
     * Zeroes each element with probability p and scales the rest by 1/(1−p), in training only;
     * the identity in eval mode or when p is 0.
     */
    public static Tensor dropout(Tensor x, double p, boolean training, Generator generator) {
        if (p < 0 || p > 1) {
            throw new IllegalArgumentException("dropout: probability must be in [0, 1], got " + p);
        }
        if (!training || p == 0) {
            return x;
        }
        if (p == 1) {
            return x.mul(0);
        }
        // the mask holds 1/(1−p) for kept elements and 0 for dropped ones: one multiply applies both
        double[] mask = new double[x.numel()];
        double scale = 1.0 / (1 - p);
        for (int i = 0; i < mask.length; i++) {
            mask[i] = generator.nextDouble() < 1 - p ? scale : 0.0;
        }
        return x.mul(Tensor.fromArray(mask, x.shape()).to(x.dtype()).to(x.device()));
    }

    /** One-hot encoding of integer ids: shape ids.shape + [numClasses], INT64 (as PyTorch). */
    public static Tensor oneHot(Tensor ids, int numClasses) {
        long[] v = ids.toLongArray();
        long[] out = new long[Math.multiplyExact(v.length, numClasses)];
        for (int i = 0; i < v.length; i++) {
            if (v[i] < 0 || v[i] >= numClasses) {
                throw new IndexOutOfBoundsException("oneHot: class index " + v[i] + " is out of range for "
                        + numClasses + " classes");
            }
            out[i * numClasses + (int) v[i]] = 1;
        }
        int[] s = Arrays.copyOf(ids.shape(), ids.dim() + 1);
        s[ids.dim()] = numClasses;
        return Tensor.fromArray(out, s).to(ids.device());
    }

    // ===================================================================== losses

    /** Cross-entropy with mean reduction, no ignored index, no smoothing. */
    public static Tensor crossEntropy(Tensor logits, Tensor targets) {
        return crossEntropy(logits, targets, Reduction.MEAN, -100, 0.0);
    }

    /**
     * Cross-entropy between logits [N, C] (or [C], or [N, C, d1, ...]) and integer class targets
     * [N] (or [], or [N, d1, ...]), as torch.nn.functional.cross_entropy: loss per target =
     * (1−ε)·(−log p[target]) + ε·mean_c(−log p[c]). Targets equal to {@code ignoreIndex} add no
     * loss and no gradient; MEAN divides by the number of the others.
     */
    public static Tensor crossEntropy(Tensor logits, Tensor targets, Reduction reduction, int ignoreIndex,
                                      double labelSmoothing) {
        requireFloating("crossEntropy", logits);
        if (labelSmoothing < 0 || labelSmoothing > 1) {
            throw new IllegalArgumentException("crossEntropy: labelSmoothing must be in [0, 1], got " + labelSmoothing);
        }
        Tensor[] flat = flattenClasses("crossEntropy", logits, targets);
        Tensor l2 = flat[0];
        Tensor t1 = flat[1];
        int rows = l2.size(0);
        int cols = l2.size(1);
        Tensor ld = Rows.dense(l2.detach());
        Tensor td = Rows.dense(t1.to(DType.INT64));
        Tensor loss = Rows.zeros(l2, rows);
        Tensor lse = Rows.zeros(l2, rows);
        checkTargets("crossEntropy", td, cols, ignoreIndex);
        l2.backend().crossEntropy(ld.storage(), td.storage(), loss.storage(), lse.storage(), rows, cols, ignoreIndex,
                labelSmoothing);
        Tensor perRow = Autograd.record("crossEntropy", loss, g -> {
            Tensor gd = Rows.dense(g);
            Tensor dx = Rows.zeros(g, rows, cols);
            g.backend().crossEntropyBackward(ld.storage(), td.storage(), lse.storage(), gd.storage(), dx.storage(),
                    rows, cols, ignoreIndex, labelSmoothing);
            return new Tensor[] {dx};
        }, l2);
        return reduce(perRow, reduction, targets.shape(), td.ne(ignoreIndex));
    }

    /**
     * Negative log-likelihood of log-probabilities [N, C] at integer targets [N]: −logp[target],
     * with ignoreIndex and reduction as in {@link #crossEntropy}.
     */
    public static Tensor nllLoss(Tensor logProbs, Tensor targets, Reduction reduction, int ignoreIndex) {
        requireFloating("nllLoss", logProbs);
        Tensor[] flat = flattenClasses("nllLoss", logProbs, targets);
        Tensor lp = flat[0];
        Tensor t = flat[1].to(DType.INT64);
        checkTargets("nllLoss", t, lp.size(1), ignoreIndex);
        Tensor valid = t.ne(ignoreIndex);
        Tensor safe = Tensor.where(valid, t, Tensor.zeros(DType.INT64, t.device()));
        Tensor picked = lp.gather(1, safe.unsqueeze(1)).squeeze(1).neg();
        Tensor perRow = picked.mul(valid.to(picked.dtype()));
        return reduce(perRow, reduction, targets.shape(), valid);
    }

    /** NLL with mean reduction and no ignored index (−100, as PyTorch's default, never matches a class). */
    public static Tensor nllLoss(Tensor logProbs, Tensor targets) {
        return nllLoss(logProbs, targets, Reduction.MEAN, -100);
    }

    /** Mean squared error (or sum/none): (input − target)². */
    public static Tensor mseLoss(Tensor input, Tensor target, Reduction reduction) {
        if (!Arrays.equals(input.shape(), target.shape())) {
            throw new IllegalArgumentException("mseLoss: input shape " + Arrays.toString(input.shape())
                    + " and target shape " + Arrays.toString(target.shape()) + " must be equal");
        }
        Tensor d = input.sub(target);
        return reduce(d.mul(d), reduction, null, null);
    }

    public static Tensor mseLoss(Tensor input, Tensor target) {
        return mseLoss(input, target, Reduction.MEAN);
    }

    /**
     * Binary cross-entropy on logits: −[w·y·log σ(x) + (1−y)·log(1−σ(x))], where posWeight w (may
     * be null for 1) weighs the positive term. Written with softplus(x) = log(1 + eˣ), which is
     * stable for any x and smooth at 0, using log σ(x) = −softplus(−x) and
     * log(1 − σ(x)) = −softplus(x); without posWeight it is softplus(x) − x·y.
     */
    public static Tensor binaryCrossEntropyWithLogits(Tensor logits, Tensor target, Tensor posWeight,
                                                      Reduction reduction) {
        if (!Arrays.equals(logits.shape(), target.shape())) {
            throw new IllegalArgumentException("binaryCrossEntropyWithLogits: logits shape "
                    + Arrays.toString(logits.shape()) + " and target shape " + Arrays.toString(target.shape())
                    + " must be equal");
        }
        // Not max(x, 0) − x·y + log(1 + e^−|x|): equal in value, but relu and abs have kinks at
        // x = 0 whose one-sided derivatives (0 and 0) sum to the wrong gradient there (−y, not
        // σ(0) − y), and zero logits are common (a zero-initialised head).
        Tensor loss;
        if (posWeight == null) {
            loss = logits.softplus().sub(logits.mul(target));
        } else {
            Tensor logSig = logits.neg().softplus().neg();
            Tensor log1mSig = logits.softplus().neg();
            loss = posWeight.mul(target).mul(logSig).add(target.neg().add(1).mul(log1mSig)).neg();
        }
        return reduce(loss, reduction, null, null);
    }

    public static Tensor binaryCrossEntropyWithLogits(Tensor logits, Tensor target) {
        return binaryCrossEntropyWithLogits(logits, target, null, Reduction.MEAN);
    }

    // ===================================================================== helpers

    private static void requireFloating(String op, Tensor x) {
        if (!x.dtype().isFloating()) {
            throw new IllegalArgumentException(op + ": expects a floating tensor, got " + x.dtype());
        }
    }

    /** [N, C] logits and [N] targets from the accepted shapes. */
    private static Tensor[] flattenClasses(String op, Tensor logits, Tensor targets) {
        if (targets.dtype().isFloating() || targets.dtype() == DType.BOOL) {
            throw new IllegalArgumentException(op + ": targets must be integer class indices, got " + targets.dtype());
        }
        int[] ls = logits.shape();
        int[] ts = targets.shape();
        if (logits.dim() == 1 && targets.dim() == 0) {
            return new Tensor[] {logits.unsqueeze(0), targets.reshape(1)};
        }
        boolean ok = logits.dim() >= 2 && targets.dim() == logits.dim() - 1 && ts[0] == ls[0];
        for (int d = 2; ok && d < ls.length; d++) {
            ok = ts[d - 1] == ls[d];
        }
        if (!ok) {
            throw new IllegalArgumentException(op + ": logits of shape " + Arrays.toString(ls) + " and targets of shape "
                    + Arrays.toString(ts) + " do not match; expected logits [N, C] with targets [N], "
                    + "or [N, C, d1, ...] with [N, d1, ...]");
        }
        if (logits.dim() == 2) {
            return new Tensor[] {logits, targets};
        }
        // [N, C, d1, ...] -> [N·d1·..., C]: move the class dim last, then flatten the rest.
        int c = ls[1];
        int[] order = new int[ls.length];
        order[ls.length - 1] = 1;
        for (int d = 0, j = 0; d < ls.length; d++) {
            if (d != 1) {
                order[j++] = d;
            }
        }
        return new Tensor[] {logits.permute(order).reshape(-1, c), targets.reshape(-1)};
    }

    private static void checkTargets(String op, Tensor targets, int classes, int ignoreIndex) {
        for (long t : targets.toLongArray()) {
            if (t != ignoreIndex && (t < 0 || t >= classes)) {
                throw new IndexOutOfBoundsException(op + ": target " + t + " is out of bounds for " + classes
                        + " classes (and is not the ignore index " + ignoreIndex + ")");
            }
        }
    }

    /** Applies a reduction; {@code valid} (may be null) counts the targets that MEAN divides by. */
    private static Tensor reduce(Tensor perElement, Reduction reduction, int[] shape, Tensor valid) {
        return switch (reduction) {
            case NONE -> shape == null ? perElement : perElement.reshape(shape);
            case SUM -> perElement.sum();
            case MEAN -> valid == null ? perElement.mean() : perElement.sum().div(valid.to(perElement.dtype()).sum());
        };
    }
}
