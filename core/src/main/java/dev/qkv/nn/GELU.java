package dev.qkv.nn;

import dev.qkv.tensor.Tensor;

/**
 * GELU, elementwise (torch.nn.GELU): exact x·Φ(x), or GPT-2's approximation
 * 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))) with {@code tanhApproximation}.
 */
public class GELU extends UnaryModule {
    public final boolean tanhApproximation;

    public GELU(boolean tanhApproximation) {
        this.tanhApproximation = tanhApproximation;
    }

    /** The exact form. */
    public GELU() {
        this(false);
    }

    @Override
    public Tensor forward(Tensor x) {
        return x.gelu(tanhApproximation);
    }

    @Override
    protected String extraRepr() {
        return tanhApproximation ? "approximate='tanh'" : "";
    }
}
