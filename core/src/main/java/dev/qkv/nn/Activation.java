package dev.qkv.nn;

import dev.qkv.tensor.Tensor;

/**
 * The elementwise nonlinearity of a feed-forward block, chosen by name in configs: PyTorch's
 * {@code activation="relu"|"gelu"} of the transformer layers and Hugging Face's
 * {@code hidden_act}.
 */
public enum Activation {
    /** max(x, 0). */
    RELU,
    /** Exact GELU, x·Φ(x) (PyTorch's "gelu", Hugging Face's "gelu"). */
    GELU,
    /** GELU with the tanh approximation (Hugging Face's "gelu_new" and "gelu_pytorch_tanh"). */
    GELU_TANH,
    /** x·σ(x) (Hugging Face's "silu" and "swish"). */
    SILU;

    public Tensor apply(Tensor x) {
        return switch (this) {
            case RELU -> x.relu();
            case GELU -> x.gelu(false);
            case GELU_TANH -> x.gelu(true);
            case SILU -> x.silu();
        };
    }

    /** The activation of a PyTorch or Hugging Face name ("relu", "gelu", "gelu_new", ...). */
    public static Activation fromName(String name) {
        return switch (name) {
            case "relu" -> RELU;
            case "gelu" -> GELU;
            case "gelu_new", "gelu_pytorch_tanh", "gelu_fast" -> GELU_TANH;
            case "silu", "swish" -> SILU;
            default -> throw new IllegalArgumentException("Activation: unknown activation '" + name
                    + "'; expected one of relu, gelu, gelu_new, gelu_pytorch_tanh, gelu_fast, silu, swish");
        };
    }
}
