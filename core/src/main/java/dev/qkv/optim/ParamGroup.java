package dev.qkv.optim;

import dev.qkv.tensor.Tensor;

import java.util.List;

/**
 * Parameters that share a learning rate and a weight decay, like an entry of PyTorch's
 * {@code optimizer.param_groups}: e.g. GPT training decays matrices but not biases and norm
 * weights. The other hyperparameters (betas, momentum, eps, ...) belong to the optimizer.
 * Schedulers change {@link #lr()} between steps.
 */
public final class ParamGroup {
    private final List<Tensor> params;
    private double lr;
    private double weightDecay;

    ParamGroup(List<? extends Tensor> params, double lr, double weightDecay) {
        this.params = List.copyOf(params);
        setLr(lr);
        setWeightDecay(weightDecay);
    }

    public List<Tensor> params() {
        return params;
    }

    public double lr() {
        return lr;
    }

    public void setLr(double lr) {
        if (!(lr >= 0) || Double.isInfinite(lr)) {
            throw new IllegalArgumentException("ParamGroup: learning rate must be finite and >= 0, got " + lr);
        }
        this.lr = lr;
    }

    public double weightDecay() {
        return weightDecay;
    }

    public void setWeightDecay(double weightDecay) {
        if (!(weightDecay >= 0) || Double.isInfinite(weightDecay)) {
            throw new IllegalArgumentException("ParamGroup: weight decay must be finite and >= 0, got " + weightDecay);
        }
        this.weightDecay = weightDecay;
    }
}
