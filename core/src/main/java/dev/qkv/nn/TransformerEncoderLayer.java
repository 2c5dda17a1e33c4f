package dev.qkv.nn;

import dev.qkv.tensor.Generator;
import dev.qkv.tensor.Tensor;

/**
 * One layer of the Transformer's encoder, like {@code torch.nn.TransformerEncoderLayer}:
 * self-attention, then a two-layer feed-forward block, each inside a residual connection with
 * a LayerNorm. Post-norm (the original Transformer, PyTorch's default):
 * <pre>
 *   x = norm1(x + dropout1(self_attn(x, x, x)))
 *   x = norm2(x + dropout2(linear2(dropout(activation(linear1(x))))))
 * </pre>
 * Pre-norm ({@code normFirst}, as GPT-2 and most later models): x = x + dropout1(self_attn(norm1(x)))
 * and x = x + dropout2(ff(norm2(x))), which trains more stably without warm-up.
 *
 * <p>Parameter names are PyTorch's ({@code self_attn.in_proj_weight}, {@code linear1.weight},
 * {@code norm1.bias}, ...). Masks follow {@link MultiheadAttention}: BOOL true = not allowed.
 */
public class TransformerEncoderLayer extends UnaryModule {
    public final MultiheadAttention selfAttn;
    public final Linear linear1;
    public final Dropout dropout;
    public final Linear linear2;
    public final LayerNorm norm1;
    public final LayerNorm norm2;
    public final Dropout dropout1;
    public final Dropout dropout2;
    public final Activation activation;
    public final boolean normFirst;

    /**
     * @param dModel         width of the input and output (E)
     * @param nhead          attention heads
     * @param dimFeedforward width of the feed-forward block's hidden layer
     * @param dropout        dropout probability (attention weights, feed-forward, residuals)
     * @param activation     RELU (PyTorch's default) or GELU
     * @param layerNormEps   epsilon of both LayerNorms
     * @param batchFirst     inputs are [B, T, E] (true) or [T, B, E] (false, PyTorch's default)
     * @param normFirst      pre-norm (true) or post-norm (false, PyTorch's default)
     */
    public TransformerEncoderLayer(int dModel, int nhead, int dimFeedforward, double dropout, Activation activation,
                                   double layerNormEps, boolean batchFirst, boolean normFirst, Generator g) {
        selfAttn = registerModule("self_attn", new MultiheadAttention(dModel, nhead, dropout, batchFirst, g));
        linear1 = registerModule("linear1", new Linear(dModel, dimFeedforward, g));
        this.dropout = registerModule("dropout", new Dropout(dropout, g));
        linear2 = registerModule("linear2", new Linear(dimFeedforward, dModel, g));
        norm1 = registerModule("norm1", new LayerNorm(new int[] {dModel}, layerNormEps, true));
        norm2 = registerModule("norm2", new LayerNorm(new int[] {dModel}, layerNormEps, true));
        dropout1 = registerModule("dropout1", new Dropout(dropout, g));
        dropout2 = registerModule("dropout2", new Dropout(dropout, g));
        this.activation = activation;
        this.normFirst = normFirst;
    }

    /** PyTorch's defaults: dimFeedforward 2048, dropout 0.1, ReLU, eps 1e-5, [T, B, E], post-norm. */
    public TransformerEncoderLayer(int dModel, int nhead, Generator g) {
        this(dModel, nhead, 2048, 0.1, Activation.RELU, 1e-5, false, false, g);
    }

    /** Without masks. */
    @Override
    public Tensor forward(Tensor src) {
        return forward(src, null, null, false);
    }

    public Tensor forward(Tensor src, Tensor srcMask, Tensor srcKeyPaddingMask) {
        return forward(src, srcMask, srcKeyPaddingMask, false);
    }

    /**
     * @param src               [B, T, E] (batchFirst), [T, B, E], or [T, E] unbatched
     * @param srcMask           [T, T] or [B·nhead, T, T], BOOL (true = not allowed) or additive; or null
     * @param srcKeyPaddingMask [B, T] ([T] unbatched), true at padding; or null
     * @param isCausal          also hide later positions from earlier ones
     */
    public Tensor forward(Tensor src, Tensor srcMask, Tensor srcKeyPaddingMask, boolean isCausal) {
        Tensor x = src;
        if (normFirst) {
            x = x.add(selfAttentionBlock(norm1.forward(x), srcMask, srcKeyPaddingMask, isCausal));
            x = x.add(feedForwardBlock(norm2.forward(x)));
        } else {
            x = norm1.forward(x.add(selfAttentionBlock(x, srcMask, srcKeyPaddingMask, isCausal)));
            x = norm2.forward(x.add(feedForwardBlock(x)));
        }
        return x;
    }

    private Tensor selfAttentionBlock(Tensor x, Tensor mask, Tensor keyPaddingMask, boolean isCausal) {
        Tensor y = selfAttn.forward(x, x, x, keyPaddingMask, false, mask, true, isCausal).output();
        return dropout1.forward(y);
    }

    private Tensor feedForwardBlock(Tensor x) {
        Tensor h = dropout.forward(activation.apply(linear1.forward(x)));           // (..., dim_feedforward)
        return dropout2.forward(linear2.forward(h));                                // (..., E)
    }

    @Override
    protected String extraRepr() {
        return "activation=" + activation.name().toLowerCase() + ", norm_first=" + (normFirst ? "True" : "False");
    }
}
