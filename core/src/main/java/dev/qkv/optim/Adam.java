package dev.qkv.optim;

import dev.qkv.tensor.Tensor;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Adam (Kingma and Ba, 2014), like {@code torch.optim.Adam}. For each parameter p with
 * gradient g, at its step t = 1, 2, ...:
 *
 * <pre>
 *   g ← g + weightDecay·p                          (L2 penalty, if weightDecay ≠ 0)
 *   m ← β1·m + (1 − β1)·g                          "exp_avg", starts at 0
 *   v ← β2·v + (1 − β2)·g²                         "exp_avg_sq", starts at 0
 *   v̂ ← max(v̂, v) if amsgrad, else v               "max_exp_avg_sq"
 *   p ← p − lr/(1 − β1ᵗ) · m / (√v̂/√(1 − β2ᵗ) + eps)
 * </pre>
 *
 * The division by 1 − βᵗ (bias correction) undoes the pull of the zero-initialized moments
 * towards 0 in the first steps. {@link AdamW} decays the weights directly instead of adding
 * the penalty to g.
 */
public class Adam extends Optimizer {
    protected final double beta1;
    protected final double beta2;
    protected final double eps;
    protected final boolean amsgrad;
    private final boolean decoupledWeightDecay;

    public Adam(List<? extends Tensor> params, double lr, double beta1, double beta2, double eps, double weightDecay,
                boolean amsgrad) {
        this(params, lr, beta1, beta2, eps, weightDecay, amsgrad, false);
    }

    /** betas (0.9, 0.999), eps 1e-8, no weight decay: PyTorch's defaults. */
    public Adam(List<? extends Tensor> params, double lr) {
        this(params, lr, 0.9, 0.999, 1e-8, 0, false);
    }

    Adam(List<? extends Tensor> params, double lr, double beta1, double beta2, double eps, double weightDecay,
         boolean amsgrad, boolean decoupledWeightDecay) {
        super(params, lr, weightDecay);
        String name = getClass().getSimpleName();
        if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) {
            throw new IllegalArgumentException(name + ": betas must be in [0, 1), got (" + beta1 + ", " + beta2 + ")");
        }
        if (!(eps >= 0)) {
            throw new IllegalArgumentException(name + ": eps must be >= 0, got " + eps);
        }
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.amsgrad = amsgrad;
        this.decoupledWeightDecay = decoupledWeightDecay;
    }

    @Override
    protected void update(ParamGroup group, Tensor p, Tensor grad, State state) {
        double lr = group.lr();
        double wd = group.weightDecay();
        if (wd != 0 && decoupledWeightDecay) {
            p.mul_(1 - lr * wd);                          // AdamW: shrink the weights themselves
        } else if (wd != 0) {
            grad = grad.add(p.mul(wd));                   // Adam: the L2 penalty's gradient
        }
        Tensor m = state.zerosLike("exp_avg", p);
        Tensor v = state.zerosLike("exp_avg_sq", p);
        m.mul_(beta1).add_(grad.mul(1 - beta1));
        v.mul_(beta2).add_(grad.mul(grad).mul(1 - beta2));
        if (amsgrad) {
            Tensor vMax = state.zerosLike("max_exp_avg_sq", p);
            vMax.copy_(vMax.maximum(v));
            v = vMax;
        }
        long t = state.step();
        double biasCorrection1 = 1 - Math.pow(beta1, t);
        double biasCorrection2 = 1 - Math.pow(beta2, t);
        Tensor denom = v.sqrt().div(Math.sqrt(biasCorrection2)).add(eps);
        p.sub_(m.div(denom).mul(lr / biasCorrection1));
    }

    @Override
    protected Map<String, Object> hyperparameters() {
        Map<String, Object> h = new LinkedHashMap<>();
        h.put("beta1", beta1);
        h.put("beta2", beta2);
        h.put("eps", eps);
        h.put("amsgrad", amsgrad);
        return h;
    }
}
