package dev.qkv.optim;

import dev.qkv.backend.AdamUpdate;
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

    /**
     * The step runs as one {@link dev.qkv.backend.Backend#adamUpdate} on the parameter's backend: a
     * single kernel on a device that has one (CUDA, float32), otherwise elementwise ops that round
     * to the parameter's dtype after each, ordered as {@code torch.optim.Adam}'s for-loop
     * implementation orders them (core's {@code dev.qkv.backend.OptimizerUpdates}).
     */
    @Override
    protected void update(ParamGroup group, Tensor p, Tensor grad, State state) {
        Tensor g = Optimizer.gradientLike(getClass().getSimpleName(), p, grad);
        Tensor m = state.zerosLike("exp_avg", p);
        Tensor v = state.zerosLike("exp_avg_sq", p);
        Tensor vMax = amsgrad ? state.zerosLike("max_exp_avg_sq", p) : null;
        p.backend().adamUpdate(new AdamUpdate(p.storage(), p.layout(), g.storage(), g.layout(), m.storage(), m.layout(),
                v.storage(), v.layout(), vMax == null ? null : vMax.storage(), vMax == null ? null : vMax.layout(),
                group.lr(), beta1, beta2, eps, group.weightDecay(), decoupledWeightDecay, state.step()));
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
