package dev.qkv.optim;

import dev.qkv.backend.SgdUpdate;
import dev.qkv.tensor.Tensor;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Stochastic gradient descent with optional momentum, like {@code torch.optim.SGD}. For each
 * parameter p with gradient g, at step t:
 *
 * <pre>
 *   g ← g + weightDecay·p                          (L2 penalty, if weightDecay ≠ 0)
 *   if momentum ≠ 0:
 *       b ← g                                      at t = 1 (no dampening on the first step)
 *       b ← momentum·b + (1 − dampening)·g         at t &gt; 1
 *       g ← g + momentum·b    if nesterov,   else   g ← b
 *   p ← p − lr·g
 * </pre>
 *
 * The buffer b is kept per parameter as "momentum_buffer".
 */
public class SGD extends Optimizer {
    private final double momentum;
    private final double dampening;
    private final boolean nesterov;

    public SGD(List<? extends Tensor> params, double lr, double momentum, double dampening, double weightDecay,
               boolean nesterov) {
        super(params, lr, weightDecay);
        if (!(momentum >= 0)) {
            throw new IllegalArgumentException("SGD: momentum must be >= 0, got " + momentum);
        }
        if (nesterov && (momentum <= 0 || dampening != 0)) {
            throw new IllegalArgumentException("SGD: nesterov momentum needs momentum > 0 and dampening 0, got momentum "
                    + momentum + " and dampening " + dampening);
        }
        this.momentum = momentum;
        this.dampening = dampening;
        this.nesterov = nesterov;
    }

    /** Plain SGD: p ← p − lr·g. */
    public SGD(List<? extends Tensor> params, double lr) {
        this(params, lr, 0, 0, 0, false);
    }

    /**
     * The step runs as one {@link dev.qkv.backend.Backend#sgdUpdate} on the parameter's backend: a
     * single kernel on a device that has one (CUDA, float32), otherwise elementwise ops that round
     * to the parameter's dtype after each, ordered as {@code torch.optim.SGD}'s for-loop
     * implementation orders them (core's {@code dev.qkv.backend.OptimizerUpdates}).
     */
    @Override
    protected void update(ParamGroup group, Tensor p, Tensor grad, State state) {
        Tensor g = Optimizer.gradientLike("SGD", p, grad);
        Tensor buf = null;
        boolean first = false;
        if (momentum != 0) {
            first = state.get("momentum_buffer") == null;
            buf = state.zerosLike("momentum_buffer", p);
        }
        p.backend().sgdUpdate(new SgdUpdate(p.storage(), p.layout(), g.storage(), g.layout(),
                buf == null ? null : buf.storage(), buf == null ? null : buf.layout(), group.lr(), momentum, dampening,
                group.weightDecay(), nesterov, first));
    }

    @Override
    protected Map<String, Object> hyperparameters() {
        Map<String, Object> h = new LinkedHashMap<>();
        h.put("momentum", momentum);
        h.put("dampening", dampening);
        h.put("nesterov", nesterov);
        return h;
    }
}
