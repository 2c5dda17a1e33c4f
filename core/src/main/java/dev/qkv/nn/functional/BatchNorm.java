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
        int c = x.size(1);
        int[] dims = new int[x.dim() - 1];                  // every dim but the channels: 0, 2, 3, ...
        int[] perChannel = new int[x.dim()];                // [1, C, 1, ...]: broadcasts along those dims
        Arrays.fill(perChannel, 1);
        perChannel[1] = c;
        for (int d = 0, j = 0; d < x.dim(); d++) {
            if (d != 1) {
                dims[j++] = d;
            }
        }
        Tensor mean;
        Tensor variance;
        if (training || runningMean == null) {
            int n = x.numel() / Math.max(c, 1);
            if (training && n <= 1) {
                throw new IllegalArgumentException("batchNorm: expected more than 1 value per channel when training, "
                        + "got input of shape " + Arrays.toString(x.shape()));
            }
            mean = x.mean(dims, true);                                 // [1, C, 1, ...]
            variance = x.var(dims, true, 0);                             // biased, as the normalization uses
            if (training && runningMean != null) {
                try (var s = Autograd.noGrad()) {
                    runningMean.mul_(1 - momentum).add_(mean.detach().reshape(c).mul(momentum));
                    runningVar.mul_(1 - momentum).add_(variance.detach().reshape(c).mul(momentum * n / (n - 1.0)));
                }
            }
        } else {
            mean = runningMean.view(perChannel);
            variance = runningVar.view(perChannel);
        }
        Tensor y = x.sub(mean).mul(variance.add(eps).rsqrt());
        if (weight != null) {
            y = y.mul(weight.view(perChannel));
        }
        if (bias != null) {
            y = y.add(bias.view(perChannel));
        }
        return y;
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
