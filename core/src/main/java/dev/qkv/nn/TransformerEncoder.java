package dev.qkv.nn;

import dev.qkv.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * A stack of encoder layers with an optional final LayerNorm, like {@code torch.nn.TransformerEncoder}
 * (parameters {@code layers.0.self_attn.in_proj_weight}, ..., {@code norm.weight}). A pre-norm
 * stack needs the final norm, since its last layer's output is not normalized.
 *
 * <p>Unlike PyTorch, which deep-copies one layer (so every layer starts with the same weights),
 * the layers come from a factory and each is initialized on its own.
 */
public class TransformerEncoder extends UnaryModule {
    public final ModuleList<TransformerEncoderLayer> layers;
    /** The final norm, or null. */
    public final LayerNorm norm;

    /**
     * @param layer     makes one layer (called numLayers times)
     * @param numLayers how many layers
     * @param norm      applied after the last layer, or null
     */
    public TransformerEncoder(Supplier<TransformerEncoderLayer> layer, int numLayers, LayerNorm norm) {
        if (numLayers <= 0) {
            throw new IllegalArgumentException("TransformerEncoder: numLayers must be positive, got " + numLayers);
        }
        List<TransformerEncoderLayer> list = new ArrayList<>();
        for (int i = 0; i < numLayers; i++) {
            list.add(layer.get());
        }
        layers = registerModule("layers", new ModuleList<>(list));
        this.norm = norm == null ? null : registerModule("norm", norm);
    }

    /** Without masks. */
    @Override
    public Tensor forward(Tensor src) {
        return forward(src, null, null, false);
    }

    /** The arguments of {@link TransformerEncoderLayer#forward(Tensor, Tensor, Tensor, boolean)}, given to every layer. */
    public Tensor forward(Tensor src, Tensor mask, Tensor srcKeyPaddingMask, boolean isCausal) {
        Tensor x = src;
        for (TransformerEncoderLayer layer : layers) {
            x = layer.forward(x, mask, srcKeyPaddingMask, isCausal);
        }
        return norm == null ? x : norm.forward(x);
    }
}
