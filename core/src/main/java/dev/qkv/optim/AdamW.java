package dev.qkv.optim;

import dev.qkv.tensor.Tensor;

import java.util.List;

/**
 * Adam with decoupled weight decay (Loshchilov and Hutter, 2017), like {@code torch.optim.AdamW}:
 * before the {@link Adam} step (which then runs without the L2 term) the weights shrink by
 *
 * <pre>
 *   p ← p·(1 − lr·weightDecay)
 * </pre>
 *
 * so the decay is not rescaled by Adam's per-element step size, as an L2 penalty would be.
 */
public class AdamW extends Adam {

    public AdamW(List<? extends Tensor> params, double lr, double beta1, double beta2, double eps, double weightDecay,
                 boolean amsgrad) {
        super(params, lr, beta1, beta2, eps, weightDecay, amsgrad, true);
    }

    /** betas (0.9, 0.999), eps 1e-8, weight decay 0.01: PyTorch's defaults. */
    public AdamW(List<? extends Tensor> params, double lr) {
        this(params, lr, 0.9, 0.999, 1e-8, 0.01, false);
    }
}
