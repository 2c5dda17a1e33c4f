package dev.qkv.nn.functional;

import dev.qkv.autograd.Autograd;
import dev.qkv.tensor.Tensor;

import java.util.Arrays;

/**
 * Batch normalization, like {@code torch.nn.functional.batch_norm}. Composed of tensor ops
 * (mean, var, sub, rsqrt, mul), so the autograd derives its gradient, including the paths
 * through the batch mean and variance that make batch norm couple the examples of a batch.
 */
public final class BatchNorm {
    private BatchNorm() {
    }

    /**
     * y = (x − mean)/√(var + eps)·weight + bias, per channel (dim 1) of x [N, C, ...].
     *
     * <p>In training (or when there are no running statistics) mean and var are the batch's,
     * over every dim but 1, with the biased variance Σ(x − mean)²/n, n = N·(product of the
     * trailing dims). Training then updates the running statistics in place, as PyTorch does:
     *
     * <pre>
     *   runningMean ← (1 − momentum)·runningMean + momentum·mean
     *   runningVar  ← (1 − momentum)·runningVar  + momentum·var·n/(n − 1)     (unbiased)
     * </pre>
     *
     * In evaluation the running statistics are used instead, so each example is normalized on
     * its own and the result no longer depends on the batch.
     *
     * @param x           [N, C], [N, C, L] or [N, C, H, W]
     * @param runningMean [C], updated in place in training; null (with runningVar) for none
     * @param runningVar  [C], likewise
     * @param weight      [C] scale (γ), or null
     * @param bias        [C] shift (β), or null
     */
    public static Tensor batchNorm(Tensor x, Tensor runningMean, Tensor runningVar, Tensor weight, Tensor bias,
                                   boolean training, double momentum, double eps) {
        check(x, runningMean, runningVar, weight, bias);
        int[] shape = x.shape();
        int c = shape[1];
        // Work on [N, C, S] with S the product of the trailing dims: per-channel statistics are then
        // a sum along contiguous rows (dim 2) followed by a small sum over the batch (dim 0).
        Tensor x3 = x.reshape(shape[0], c, -1);                                  // [N, C, S]
        Tensor runMean;                                                         // eval: the mean to subtract, [1, C, 1]
        Tensor rstd;                                                            // 1/√(var + eps), [1, C, 1]
        if (training || runningMean == null) {
            int n = x.numel() / Math.max(c, 1);
            if (training && n <= 1) {
                throw new IllegalArgumentException("batchNorm: expected more than 1 value per channel when training, "
                        + "got input of shape " + Arrays.toString(shape));
            }
            Tensor mean = x3.mean(2, true).mean(0, true);                          // [1, C, 1]
            Tensor centered = x3.sub(mean);                                        // [N, C, S]
            Tensor variance = centered.square().mean(2, true).mean(0, true);       // [1, C, 1], biased
            if (training && runningMean != null) {
                try (var s = Autograd.noGrad()) {
                    runningMean.mul_(1 - momentum).add_(mean.detach().reshape(c).mul(momentum));
                    runningVar.mul_(1 - momentum).add_(variance.detach().reshape(c).mul(momentum * n / (n - 1.0)));
                }
            }
            x3 = centered;
            runMean = null;                                                    // x3 is centered already
            rstd = variance.add(eps).rsqrt();
        } else {
            runMean = runningMean.view(1, c, 1);
            rstd = runningVar.view(1, c, 1).add(eps).rsqrt();
        }
        // Fold the per-channel factors together first ([1, C, 1] is cheap), so the full-size
        // tensor sees only one multiply and one add.
        Tensor scale = weight == null ? rstd : rstd.mul(weight.view(1, c, 1));
        Tensor offset = runMean == null ? null : runMean.neg().mul(scale);       // (x − m)·s = x·s − m·s
        if (bias != null) {
            offset = offset == null ? bias.view(1, c, 1) : offset.add(bias.view(1, c, 1));
        }
        Tensor y = x3.mul(scale);                                                  // [N, C, S]
        if (offset != null) {
            y = y.add(offset);
        }
        return y.reshape(shape);
    }

    private static void check(Tensor x, Tensor runningMean, Tensor runningVar, Tensor weight, Tensor bias) {
        if (x.dim() < 2 || !x.dtype().isFloating()) {
            throw new IllegalArgumentException("batchNorm: expects a floating input [N, C, ...] with at least 2 dims, "
                    + "got " + x.dtype() + " of shape " + Arrays.toString(x.shape()));
        }
        if ((runningMean == null) != (runningVar == null)) {
            throw new IllegalArgumentException("batchNorm: pass both runningMean and runningVar, or neither");
        }
        int c = x.size(1);
        String[] names = {"runningMean", "runningVar", "weight", "bias"};
        Tensor[] ts = {runningMean, runningVar, weight, bias};
        for (int i = 0; i < ts.length; i++) {
            Tensor t = ts[i];
            if (t == null) {
                continue;
            }
            if (t.dim() != 1 || t.size(0) != c) {
                throw new IllegalArgumentException("batchNorm: " + names[i] + " must have shape [C] = [" + c
                        + "] for an input of shape " + Arrays.toString(x.shape()) + ", got " + Arrays.toString(t.shape()));
            }
            if (t.dtype() != x.dtype() || !t.device().equals(x.device())) {
                throw new IllegalArgumentException("batchNorm: " + names[i] + " (" + t.dtype() + " on " + t.device()
                        + ") must match the input (" + x.dtype() + " on " + x.device() + ")");
            }
        }
    }
}
