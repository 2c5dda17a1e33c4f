package dev.qkv.optim;

import dev.qkv.autograd.Autograd;
import dev.qkv.tensor.Tensor;

import java.util.List;

/** Gradient clipping, like {@code torch.nn.utils.clip_grad_norm_}. */
public final class GradClip {
    private GradClip() {
    }

    /**
     * Scales all gradients together so that their global L2 norm is at most {@code maxNorm}:
     *
     * <pre>
     *   total ← √(Σ over parameters with a grad of Σ g²)
     *   if maxNorm/(total + 1e-6) &lt; 1:  every g ← g · maxNorm/(total + 1e-6)
     * </pre>
     *
     * One big gradient (a loss spike) then cannot throw the weights far, while the direction of
     * the step is kept. Returns the norm before clipping (useful to log); with a NaN norm the
     * gradients are left as they are, so the caller can see it and skip the step.
     */
    public static double clipGradNorm(List<? extends Tensor> params, double maxNorm) {
        if (!(maxNorm >= 0)) {
            throw new IllegalArgumentException("clipGradNorm: maxNorm must be >= 0, got " + maxNorm);
        }
        double sumOfSquares = 0;
        try (var s = Autograd.noGrad()) {
            for (Tensor p : params) {
                Tensor g = p.grad();
                if (g != null) {
                    sumOfSquares += g.mul(g).sum().item();
                }
            }
            double total = Math.sqrt(sumOfSquares);
            double scale = maxNorm / (total + 1e-6);
            if (scale < 1) {
                for (Tensor p : params) {
                    if (p.grad() != null) {
                        p.grad().mul_(scale);
                    }
                }
            }
            return total;
        }
    }
}
