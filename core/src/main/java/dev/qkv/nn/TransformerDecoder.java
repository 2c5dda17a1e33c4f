package dev.qkv.nn;

import dev.qkv.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * A stack of decoder layers with an optional final LayerNorm, like {@code torch.nn.TransformerDecoder}
 * (parameters {@code layers.0.multihead_attn.in_proj_weight}, ..., {@code norm.weight}). Every
 * layer attends to the same memory. As in {@link TransformerEncoder}, the layers come from a
 * factory instead of copies of one layer.
 */
public class TransformerDecoder extends Module {
    public final ModuleList<TransformerDecoderLayer> layers;
    /** The final norm, or null. */
    public final LayerNorm norm;

    public TransformerDecoder(Supplier<TransformerDecoderLayer> layer, int numLayers, LayerNorm norm) {
        if (numLayers <= 0) {
            throw new IllegalArgumentException("TransformerDecoder: numLayers must be positive, got " + numLayers);
        }
        List<TransformerDecoderLayer> list = new ArrayList<>();
        for (int i = 0; i < numLayers; i++) {
            list.add(layer.get());
        }
        layers = registerModule("layers", new ModuleList<>(list));
        this.norm = norm == null ? null : registerModule("norm", norm);
    }

    /** Without masks. */
    public Tensor forward(Tensor tgt, Tensor memory) {
        return forward(tgt, memory, null, null, null, null, false);
    }

    /** The arguments of {@link TransformerDecoderLayer#forward(Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, boolean)}, given to every layer. */
    public Tensor forward(Tensor tgt, Tensor memory, Tensor tgtMask, Tensor memoryMask, Tensor tgtKeyPaddingMask,
                          Tensor memoryKeyPaddingMask, boolean tgtIsCausal) {
        Tensor x = tgt;
        for (TransformerDecoderLayer layer : layers) {
            x = layer.forward(x, memory, tgtMask, memoryMask, tgtKeyPaddingMask, memoryKeyPaddingMask, tgtIsCausal);
        }
        return norm == null ? x : norm.forward(x);
    }
}
