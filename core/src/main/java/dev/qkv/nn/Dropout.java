package dev.qkv.nn;

import dev.qkv.nn.functional.F;
import dev.qkv.tensor.Generator;
import dev.qkv.tensor.Tensor;

/**
 * In training, zeroes each element with probability p and scales the others by 1/(1 − p), so
 * the expected value is unchanged; in eval mode, the identity. Like {@code torch.nn.Dropout},
 * but with its own seeded generator so runs are reproducible.
 */
public class Dropout extends UnaryModule {
    public final double p;
    private final Generator generator;

    public Dropout(double p, Generator generator) {
        if (!(p >= 0 && p <= 1)) {
            throw new IllegalArgumentException("Dropout: probability must be in [0, 1], got " + p);
        }
        this.p = p;
        this.generator = generator;
    }

    @Override
    public Tensor forward(Tensor x) {
        return F.dropout(x, p, isTraining(), generator);
    }

    @Override
    protected String extraRepr() {
        return "p=" + p;
    }
}
