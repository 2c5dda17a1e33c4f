package dev.qkv.nn;

import dev.qkv.nn.functional.BatchNorm;
import dev.qkv.tensor.DType;
import dev.qkv.tensor.Tensor;

import java.util.Arrays;

/**
 * What {@link BatchNorm1d} and {@link BatchNorm2d} share, like PyTorch's {@code _BatchNorm}:
 * the affine parameters and the running statistics, with PyTorch's names so state dicts match
 * ({@code weight}, {@code bias}, {@code running_mean}, {@code running_var},
 * {@code num_batches_tracked}). The subclasses only check the input's rank.
 *
 * <p>In training mode (the default) each batch is normalized with its own statistics and the
 * running ones are updated; in eval mode ({@link Module#eval()}) the running ones are used.
 */
public abstract class BatchNormLayer extends UnaryModule {
    public final int numFeatures;
    public final double eps;
    /** Weight of the newest batch in the running statistics. */
    public final double momentum;
    /** [C] scale γ (starts at ones), or null without affine. */
    public final Parameter weight;
    /** [C] shift β (starts at zeros), or null without affine. */
    public final Parameter bias;
    private final boolean trackRunningStats;

    protected BatchNormLayer(int numFeatures, double eps, double momentum, boolean affine, boolean trackRunningStats) {
        if (numFeatures <= 0 || !(eps > 0) || !(momentum >= 0 && momentum <= 1)) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ": need numFeatures > 0, eps > 0 and "
                    + "momentum in [0, 1], got " + numFeatures + ", " + eps + ", " + momentum);
        }
        this.numFeatures = numFeatures;
        this.eps = eps;
        this.momentum = momentum;
        this.trackRunningStats = trackRunningStats;
        this.weight = affine ? registerParameter("weight", new Parameter(Tensor.ones(numFeatures))) : null;
        this.bias = affine ? registerParameter("bias", new Parameter(Tensor.zeros(numFeatures))) : null;
        if (trackRunningStats) {
            registerBuffer("running_mean", Tensor.zeros(numFeatures));    // [C]
            registerBuffer("running_var", Tensor.ones(numFeatures));      // [C]
            registerBuffer("num_batches_tracked", Tensor.zeros(DType.INT64));
        }
    }

    /** The ranks this layer accepts, e.g. {2, 3} for BatchNorm1d. */
    protected abstract int[] ranks();

    @Override
    public Tensor forward(Tensor x) {
        if (Arrays.stream(ranks()).noneMatch(r -> r == x.dim())) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ": expects an input of rank "
                    + Arrays.toString(ranks()) + " with " + numFeatures + " channels in dim 1, got shape "
                    + Arrays.toString(x.shape()));
        }
        Tensor mean = trackRunningStats ? buffer("running_mean") : null;
        Tensor var = trackRunningStats ? buffer("running_var") : null;
        if (isTraining() && trackRunningStats) {
            buffer("num_batches_tracked").add_(1);
        }
        return BatchNorm.batchNorm(x, mean, var, weight, bias, isTraining(), momentum, eps);
    }

    /** The running mean [C] (a view of the buffer, detached), or null without running statistics. */
    public Tensor runningMean() {
        return trackRunningStats ? buffer("running_mean").detach() : null;
    }

    /** The running (unbiased) variance [C], or null without running statistics. */
    public Tensor runningVar() {
        return trackRunningStats ? buffer("running_var").detach() : null;
    }

    @Override
    protected String extraRepr() {
        return numFeatures + ", eps=" + eps + ", momentum=" + momentum + ", affine=" + (weight != null ? "True" : "False")
                + ", track_running_stats=" + (trackRunningStats ? "True" : "False");
    }
}
