package dev.qkv.nn;

import dev.qkv.nn.functional.F;
import dev.qkv.tensor.Tensor;

/** exp(x)/Σ exp(x) along {@code dim} (torch.nn.Softmax). */
public class Softmax extends UnaryModule {
    public final int dim;

    public Softmax(int dim) {
        this.dim = dim;
    }

    @Override
    public Tensor forward(Tensor x) {
        return F.softmax(x, dim);
    }

    @Override
    protected String extraRepr() {
        return "dim=" + dim;
    }
}
