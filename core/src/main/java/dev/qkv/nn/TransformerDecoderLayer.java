package dev.qkv.nn;

import dev.qkv.tensor.Generator;
import dev.qkv.tensor.Tensor;

/**
 * One layer of the Transformer's decoder, like {@code torch.nn.TransformerDecoderLayer}:
 * self-attention over the target, cross-attention from the target to the encoder's output
 * ("memory"), then a feed-forward block, each in a residual connection with a LayerNorm.
 * Post-norm (PyTorch's default):
 * <pre>
 *   x = norm1(x + dropout1(self_attn(x, x, x, tgtMask)))
 *   x = norm2(x + dropout2(multihead_attn(x, memory, memory, memoryMask)))
 *   x = norm3(x + dropout3(linear2(dropout(activation(linear1(x))))))
 * </pre>
 * Pre-norm ({@code normFirst}) applies each norm to the sub-block's input instead:
 * x = x + dropout1(self_attn(norm1(x))), and so on.
 *
 * <p>Parameter names are PyTorch's ({@code self_attn.*}, {@code multihead_attn.*},
 * {@code linear1}, {@code linear2}, {@code norm1..3}). Masks follow {@link MultiheadAttention}:
 * BOOL true = not allowed.
 */
public class TransformerDecoderLayer extends Module {
    public final MultiheadAttention selfAttn;
    /** Cross-attention: queries from the target, keys and values from the memory. */
    public final MultiheadAttention multiheadAttn;
    public final Linear linear1;
    public final Dropout dropout;
    public final Linear linear2;
    public final LayerNorm norm1;
    public final LayerNorm norm2;
    public final LayerNorm norm3;
    public final Dropout dropout1;
    public final Dropout dropout2;
    public final Dropout dropout3;
    public final Activation activation;
    public final boolean normFirst;

    /** The options of {@link TransformerEncoderLayer#TransformerEncoderLayer(int, int, int, double, Activation, double, boolean, boolean, Generator)}. */
    public TransformerDecoderLayer(int dModel, int nhead, int dimFeedforward, double dropout, Activation activation,
                                   double layerNormEps, boolean batchFirst, boolean normFirst, Generator g) {
        selfAttn = registerModule("self_attn", new MultiheadAttention(dModel, nhead, dropout, batchFirst, g));
        multiheadAttn = registerModule("multihead_attn", new MultiheadAttention(dModel, nhead, dropout, batchFirst, g));
        linear1 = registerModule("linear1", new Linear(dModel, dimFeedforward, g));
        this.dropout = registerModule("dropout", new Dropout(dropout, g));
        linear2 = registerModule("linear2", new Linear(dimFeedforward, dModel, g));
        norm1 = registerModule("norm1", new LayerNorm(new int[] {dModel}, layerNormEps, true));
        norm2 = registerModule("norm2", new LayerNorm(new int[] {dModel}, layerNormEps, true));
        norm3 = registerModule("norm3", new LayerNorm(new int[] {dModel}, layerNormEps, true));
        dropout1 = registerModule("dropout1", new Dropout(dropout, g));
        dropout2 = registerModule("dropout2", new Dropout(dropout, g));
        dropout3 = registerModule("dropout3", new Dropout(dropout, g));
        this.activation = activation;
        this.normFirst = normFirst;
    }

    /** PyTorch's defaults: dimFeedforward 2048, dropout 0.1, ReLU, eps 1e-5, [T, B, E], post-norm. */
    public TransformerDecoderLayer(int dModel, int nhead, Generator g) {
        this(dModel, nhead, 2048, 0.1, Activation.RELU, 1e-5, false, false, g);
    }

    /** Without masks. */
    public Tensor forward(Tensor tgt, Tensor memory) {
        return forward(tgt, memory, null, null, null, null, false);
    }

    /**
     * @param tgt                  [B, T, E] (batchFirst), [T, B, E], or [T, E] unbatched
     * @param memory               the encoder's output, [B, S, E], [S, B, E] or [S, E]
     * @param tgtMask              [T, T] or [B·nhead, T, T], BOOL (true = not allowed) or additive; or null
     * @param memoryMask           [T, S] or [B·nhead, T, S]; or null
     * @param tgtKeyPaddingMask    [B, T] ([T] unbatched), true at padding; or null
     * @param memoryKeyPaddingMask [B, S] ([S] unbatched), true at padding; or null
     * @param tgtIsCausal          hide later target positions from earlier ones (on top of tgtMask)
     */
    public Tensor forward(Tensor tgt, Tensor memory, Tensor tgtMask, Tensor memoryMask, Tensor tgtKeyPaddingMask,
                          Tensor memoryKeyPaddingMask, boolean tgtIsCausal) {
        Tensor x = tgt;
        if (normFirst) {
            x = x.add(selfAttentionBlock(norm1.forward(x), tgtMask, tgtKeyPaddingMask, tgtIsCausal));
            x = x.add(crossAttentionBlock(norm2.forward(x), memory, memoryMask, memoryKeyPaddingMask));
            x = x.add(feedForwardBlock(norm3.forward(x)));
        } else {
            x = norm1.forward(x.add(selfAttentionBlock(x, tgtMask, tgtKeyPaddingMask, tgtIsCausal)));
            x = norm2.forward(x.add(crossAttentionBlock(x, memory, memoryMask, memoryKeyPaddingMask)));
            x = norm3.forward(x.add(feedForwardBlock(x)));
        }
        return x;
    }

    private Tensor selfAttentionBlock(Tensor x, Tensor mask, Tensor keyPaddingMask, boolean isCausal) {
        return dropout1.forward(selfAttn.forward(x, x, x, keyPaddingMask, false, mask, true, isCausal).output());
    }

    private Tensor crossAttentionBlock(Tensor x, Tensor memory, Tensor mask, Tensor keyPaddingMask) {
        return dropout2.forward(multiheadAttn.forward(x, memory, memory, keyPaddingMask, false, mask, true, false).output());
    }

    private Tensor feedForwardBlock(Tensor x) {
        Tensor h = dropout.forward(activation.apply(linear1.forward(x)));           // (..., dim_feedforward)
        return dropout3.forward(linear2.forward(h));                                // (..., E)
    }

    @Override
    protected String extraRepr() {
        return "activation=" + activation.name().toLowerCase() + ", norm_first=" + (normFirst ? "True" : "False");
    }
}
