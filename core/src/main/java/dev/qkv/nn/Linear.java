package dev.qkv.nn;

import dev.qkv.nn.functional.F;
import dev.qkv.tensor.Generator;
import dev.qkv.tensor.Tensor;

import java.util.Arrays;

/**
 * y = x·Wᵀ + b, like {@code torch.nn.Linear}: x is [..., in], y is [..., out].
 *
 * <p>Initialized as PyTorch does: W by kaiming-uniform with a = √5, which works out to
 * U(−1/√in, 1/√in), and b by the same U(−1/√in, 1/√in).
 */
public class Linear extends UnaryModule {
    public final int inFeatures;
    public final int outFeatures;
    /** [out, in]. */
    public final Parameter weight;
    /** [out], or null for a layer without bias. */
    public final Parameter bias;

    public Linear(int inFeatures, int outFeatures, boolean bias, Generator g) {
        if (inFeatures <= 0 || outFeatures <= 0) {
            throw new IllegalArgumentException("Linear: in and out features must be positive, got in=" + inFeatures
                    + " out=" + outFeatures);
        }
        this.inFeatures = inFeatures;
        this.outFeatures = outFeatures;
        this.weight = registerParameter("weight", new Parameter(Tensor.zeros(outFeatures, inFeatures)));
        Init.kaimingUniform_(weight, Math.sqrt(5), Init.FanMode.FAN_IN, Init.Nonlinearity.LEAKY_RELU, g);
        if (bias) {
            double bound = 1 / Math.sqrt(inFeatures);
            this.bias = registerParameter("bias", new Parameter(Tensor.zeros(outFeatures)));
            Init.uniform_(this.bias, -bound, bound, g);
        } else {
            this.bias = null;
        }
    }

    /**
     * A layer over existing parameters, e.g. an output layer tied to the token embedding
     * ({@code new Linear(wte.weight, null)} as in GPT-2): the same Parameter object then appears
     * in both modules, gets one gradient and is updated once.
     */
    public Linear(Parameter weight, Parameter bias) {
        if (weight.dim() != 2 || bias != null && (bias.dim() != 1 || bias.size(0) != weight.size(0))) {
            throw new IllegalArgumentException("Linear: weight must be [out, in] and bias [out], got weight "
                    + Arrays.toString(weight.shape()) + " and bias "
                    + (bias == null ? "null" : Arrays.toString(bias.shape())));
        }
        this.inFeatures = weight.size(1);
        this.outFeatures = weight.size(0);
        this.weight = registerParameter("weight", weight);
        this.bias = bias == null ? null : registerParameter("bias", bias);
    }

    /** A layer with bias. */
    public Linear(int inFeatures, int outFeatures, Generator g) {
        this(inFeatures, outFeatures, true, g);
    }

    @Override
    public Tensor forward(Tensor x) {
        return F.linear(x, weight, bias);
    }

    @Override
    protected String extraRepr() {
        return "in_features=" + inFeatures + ", out_features=" + outFeatures + ", bias=" + (bias != null ? "True" : "False");
    }
}
