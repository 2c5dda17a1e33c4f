package dev.qkv.optim;

import dev.qkv.tensor.Tensor;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Adagrad (Duchi et al., 2011), like {@code torch.optim.Adagrad}: each element's step shrinks
 * with the sum of its squared gradients. For each parameter p with gradient g, at its step t:
 *
 * <pre>
 *   g ← g + weightDecay·p                          (L2 penalty, if weightDecay ≠ 0)
 *   lr_t ← lr / (1 + (t − 1)·lrDecay)
 *   s ← s + g²                                     "sum", starts at initialAccumulatorValue
 *   p ← p − lr_t · g / (√s + eps)
 * </pre>
 */
public class Adagrad extends Optimizer {
    private final double lrDecay;
    private final double initialAccumulatorValue;
    private final double eps;

    public Adagrad(List<? extends Tensor> params, double lr, double lrDecay, double weightDecay,
                   double initialAccumulatorValue, double eps) {
        super(params, lr, weightDecay);
        if (!(lrDecay >= 0) || !(initialAccumulatorValue >= 0) || !(eps >= 0)) {
            throw new IllegalArgumentException("Adagrad: lrDecay, initialAccumulatorValue and eps must be >= 0, got "
                    + lrDecay + ", " + initialAccumulatorValue + ", " + eps);
        }
        this.lrDecay = lrDecay;
        this.initialAccumulatorValue = initialAccumulatorValue;
        this.eps = eps;
    }

    /** No lr decay, no weight decay, accumulator starting at 0, eps 1e-10: PyTorch's defaults. */
    public Adagrad(List<? extends Tensor> params, double lr) {
        this(params, lr, 0, 0, 0, 1e-10);
    }

    @Override
    protected void update(ParamGroup group, Tensor p, Tensor grad, State state) {
        if (group.weightDecay() != 0) {
            grad = grad.add(p.mul(group.weightDecay()));
        }
        double lr = group.lr() / (1 + (state.step() - 1) * lrDecay);
        Tensor s = state.get("sum");
        if (s == null) {
            s = Tensor.zerosLike(p).fill_(initialAccumulatorValue);
            state.put("sum", s);
        }
        s.add_(grad.mul(grad));
        p.sub_(grad.div(s.sqrt().add(eps)).mul(lr));
    }

    @Override
    protected Map<String, Object> hyperparameters() {
        Map<String, Object> h = new LinkedHashMap<>();
        h.put("lr_decay", lrDecay);
        h.put("initial_accumulator_value", initialAccumulatorValue);
        h.put("eps", eps);
        return h;
    }
}
