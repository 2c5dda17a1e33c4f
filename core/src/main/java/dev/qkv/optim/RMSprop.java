package dev.qkv.optim;

import dev.qkv.tensor.Tensor;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * RMSprop (Hinton's lecture notes), like {@code torch.optim.RMSprop}. For each parameter p with
 * gradient g:
 *
 * <pre>
 *   g ← g + weightDecay·p                          (L2 penalty, if weightDecay ≠ 0)
 *   s ← α·s + (1 − α)·g²                           "square_avg", starts at 0
 *   if centered:  a ← α·a + (1 − α)·g              "grad_avg", starts at 0
 *                 d ← √(s − a²) + eps              (a variance estimate instead of s)
 *   else:         d ← √s + eps
 *   if momentum &gt; 0:  b ← momentum·b + g/d;  p ← p − lr·b     "momentum_buffer", starts at 0
 *   else:              p ← p − lr·g/d
 * </pre>
 */
public class RMSprop extends Optimizer {
    private final double alpha;
    private final double eps;
    private final double momentum;
    private final boolean centered;

    public RMSprop(List<? extends Tensor> params, double lr, double alpha, double eps, double weightDecay,
                   double momentum, boolean centered) {
        super(params, lr, weightDecay);
        if (!(alpha >= 0) || !(eps >= 0) || !(momentum >= 0)) {
            throw new IllegalArgumentException("RMSprop: alpha, eps and momentum must be >= 0, got alpha " + alpha
                    + ", eps " + eps + ", momentum " + momentum);
        }
        this.alpha = alpha;
        this.eps = eps;
        this.momentum = momentum;
        this.centered = centered;
    }

    /** alpha 0.99, eps 1e-8, no weight decay, no momentum, not centered: PyTorch's defaults. */
    public RMSprop(List<? extends Tensor> params, double lr) {
        this(params, lr, 0.99, 1e-8, 0, 0, false);
    }

    @Override
    protected void update(ParamGroup group, Tensor p, Tensor grad, State state) {
        if (group.weightDecay() != 0) {
            grad = grad.add(p.mul(group.weightDecay()));
        }
        Tensor s = state.zerosLike("square_avg", p);
        s.mul_(alpha).add_(grad.mul(grad).mul(1 - alpha));
        Tensor d;
        if (centered) {
            Tensor a = state.zerosLike("grad_avg", p);
            a.mul_(alpha).add_(grad.mul(1 - alpha));
            d = s.sub(a.mul(a)).sqrt().add(eps);
        } else {
            d = s.sqrt().add(eps);
        }
        if (momentum > 0) {
            Tensor b = state.zerosLike("momentum_buffer", p);
            b.mul_(momentum).add_(grad.div(d));
            p.sub_(b.mul(group.lr()));
        } else {
            p.sub_(grad.div(d).mul(group.lr()));
        }
    }

    @Override
    protected Map<String, Object> hyperparameters() {
        Map<String, Object> h = new LinkedHashMap<>();
        h.put("alpha", alpha);
        h.put("eps", eps);
        h.put("momentum", momentum);
        h.put("centered", centered);
        return h;
    }
}
