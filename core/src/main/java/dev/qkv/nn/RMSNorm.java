package dev.qkv.nn;

import dev.qkv.nn.functional.F;
import dev.qkv.tensor.Tensor;

/**
 * Root-mean-square normalization over the last dim, like {@code torch.nn.RMSNorm} and Llama's
 * norm: y = x/√(mean(x²) + eps)·weight, with weight starting at ones. No mean is subtracted
 * and there is no bias.
 */
public class RMSNorm extends UnaryModule {
    public final int dim;
    public final double eps;
    /** [dim]. */
    public final Parameter weight;

    public RMSNorm(int dim, double eps) {
        if (dim <= 0) {
            throw new IllegalArgumentException("RMSNorm: dim must be positive, got " + dim);
        }
        this.dim = dim;
        this.eps = eps;
        this.weight = registerParameter("weight", new Parameter(Tensor.ones(dim)));
    }

    @Override
    public Tensor forward(Tensor x) {
        return F.rmsNorm(x, new int[] {dim}, weight, eps);
    }

    @Override
    protected String extraRepr() {
        return "(" + dim + ",), eps=" + eps + ", elementwise_affine=True";
    }
}
