package dev.qkv.nn;

import dev.qkv.autograd.Autograd;
import dev.qkv.nn.functional.Attention;
import dev.qkv.nn.functional.F;
import dev.qkv.tensor.DType;
import dev.qkv.tensor.Generator;
import dev.qkv.tensor.Tensor;

import java.util.Arrays;

/**
 * Multi-head attention with the parameters, shapes and masks of {@code torch.nn.MultiheadAttention}:
 * <pre>
 *   q = query·Wqᵀ + bq,  k = key·Wkᵀ + bk,  v = value·Wvᵀ + bv       split into numHeads heads
 *   head_h = softmax(q_h·k_hᵀ/√headDim + mask)·v_h
 *   out = concat(head_1, ..., head_numHeads)·Woutᵀ + bout
 * </pre>
 *
 * <p><b>Parameters</b> are named as in PyTorch, so a state dict loads by name: when
 * kdim == vdim == embedDim the three projections are one packed {@code in_proj_weight}
 * [3E, E] (rows 0..E−1 make q, then k, then v), otherwise {@code q_proj_weight} [E, E],
 * {@code k_proj_weight} [E, kdim] and {@code v_proj_weight} [E, vdim]; {@code in_proj_bias} [3E]
 * (with bias) and {@code out_proj} (a Linear E → E). Initialized as PyTorch: xavier-uniform
 * projections, zero in_proj_bias and out_proj.bias, out_proj.weight as any Linear.
 *
 * <p><b>Shapes.</b> With batchFirst, query is [B, L, E], key [B, S, kdim], value [B, S, vdim]
 * and the output [B, L, E]; without it (PyTorch's default) they are [L, B, E], [S, B, kdim],
 * [S, B, vdim] and [L, B, E]. 2-D inputs ([L, E], [S, kdim], [S, vdim]) are one unbatched
 * sequence. Attention weights are [B, L, S], or [B, numHeads, L, S] without averaging (no B
 * when unbatched), whatever batchFirst says.
 *
 * <p><b>Masks follow nn.MultiheadAttention, not scaled_dot_product_attention:</b> a BOOL value
 * <em>true means the key may NOT be attended</em>; a floating mask is added to the scores
 * (−∞ hides a key). {@code attnMask} is [L, S] or [B·numHeads, L, S] (row b·numHeads + h for
 * batch b, head h); {@code keyPaddingMask} is [B, S] ([S] unbatched), true at padding.
 * Both are turned into one additive mask. A query whose keys are all hidden gets zeros, where
 * PyTorch gives NaN (see {@link Attention}).
 *
 * <p>When the attention weights are asked for, they are computed by the manual path (the
 * softmax matrix is materialized, as in nanoGPT's slow attention); otherwise the fused
 * {@link Attention#scaledDotProductAttention} kernel runs. Both give the same output.
 * PyTorch's {@code add_bias_kv} and {@code add_zero_attn} options are not supported.
 */
public class MultiheadAttention extends Module {
    public final int embedDim;
    public final int numHeads;
    /** embedDim / numHeads, the width of one head (hs). */
    public final int headDim;
    public final int kdim;
    public final int vdim;
    /** Dropout probability on the attention weights, in training. */
    public final double dropout;
    public final boolean batchFirst;
    /** [3E, E] when kdim == vdim == E, else null. */
    public final Parameter inProjWeight;
    /** [E, E], [E, kdim], [E, vdim] when kdim or vdim differ from E, else null. */
    public final Parameter qProjWeight;
    public final Parameter kProjWeight;
    public final Parameter vProjWeight;
    /** [3E] (q, k, v biases one after another), or null without bias. */
    public final Parameter inProjBias;
    /** E → E, mixing the heads back together. */
    public final Linear outProj;
    private final Generator generator;

    /** The attention output and, when asked for, the attention weights (else null). */
    public record Output(Tensor output, Tensor weights) {
    }

    /**
     * @param embedDim   E, the width of queries and of the output
     * @param numHeads   parallel heads; embedDim must be a multiple
     * @param dropout    dropout probability on the attention weights in training (0 for none)
     * @param bias       whether the projections have biases
     * @param kdim       width of the keys (E in self-attention)
     * @param vdim       width of the values (E in self-attention)
     * @param batchFirst whether inputs are [B, T, E] (true) or PyTorch's default [T, B, E]
     * @param g          draws the initial weights and the dropout masks
     */
    public MultiheadAttention(int embedDim, int numHeads, double dropout, boolean bias, int kdim, int vdim,
                              boolean batchFirst, Generator g) {
        if (embedDim <= 0 || numHeads <= 0 || kdim <= 0 || vdim <= 0 || embedDim % numHeads != 0) {
            throw new IllegalArgumentException("MultiheadAttention: sizes must be positive and embedDim a multiple of "
                    + "numHeads, got embedDim=" + embedDim + " numHeads=" + numHeads + " kdim=" + kdim + " vdim=" + vdim);
        }
        if (!(dropout >= 0 && dropout < 1)) {
            throw new IllegalArgumentException("MultiheadAttention: dropout must be in [0, 1), got " + dropout);
        }
        this.embedDim = embedDim;
        this.numHeads = numHeads;
        this.headDim = embedDim / numHeads;
        this.kdim = kdim;
        this.vdim = vdim;
        this.dropout = dropout;
        this.batchFirst = batchFirst;
        this.generator = g;
        if (kdim == embedDim && vdim == embedDim) {
            inProjWeight = registerParameter("in_proj_weight", new Parameter(Tensor.zeros(3 * embedDim, embedDim)));
            qProjWeight = kProjWeight = vProjWeight = null;
        } else {
            inProjWeight = null;
            qProjWeight = registerParameter("q_proj_weight", new Parameter(Tensor.zeros(embedDim, embedDim)));
            kProjWeight = registerParameter("k_proj_weight", new Parameter(Tensor.zeros(embedDim, kdim)));
            vProjWeight = registerParameter("v_proj_weight", new Parameter(Tensor.zeros(embedDim, vdim)));
        }
        inProjBias = bias ? registerParameter("in_proj_bias", new Parameter(Tensor.zeros(3 * embedDim))) : null;
        outProj = registerModule("out_proj", new Linear(embedDim, embedDim, bias, g));
        // PyTorch's _reset_parameters: xavier-uniform projections (the packed [3E, E] matrix as
        // one, so its bound is √(6/(E + 3E))), zero biases
        if (inProjWeight != null) {
            Init.xavierUniform_(inProjWeight, 1.0, g);
        } else {
            Init.xavierUniform_(qProjWeight, 1.0, g);
            Init.xavierUniform_(kProjWeight, 1.0, g);
            Init.xavierUniform_(vProjWeight, 1.0, g);
        }
        if (bias) {
            Init.zeros_(inProjBias);
            Init.zeros_(outProj.bias);
        }
    }

    /** Self- or cross-attention with kdim = vdim = embedDim and biases. */
    public MultiheadAttention(int embedDim, int numHeads, double dropout, boolean batchFirst, Generator g) {
        this(embedDim, numHeads, dropout, true, embedDim, embedDim, batchFirst, g);
    }

    /** PyTorch's defaults: returns the attention weights, averaged over heads. */
    public Output forward(Tensor query, Tensor key, Tensor value) {
        return forward(query, key, value, null, true, null, true, false);
    }

    /** PyTorch's signature (without is_causal). Masks may be null. */
    public Output forward(Tensor query, Tensor key, Tensor value, Tensor keyPaddingMask, boolean needWeights,
                          Tensor attnMask, boolean averageAttnWeights) {
        return forward(query, key, value, keyPaddingMask, needWeights, attnMask, averageAttnWeights, false);
    }

    /**
     * The full form. {@code isCausal} also hides key j from query i when j &gt; i (PyTorch 2's
     * is_causal, on top of any attnMask).
     *
     * @param keyPaddingMask BOOL [B, S] ([S] unbatched), true at padding keys; or floating, added; or null
     * @param needWeights    whether to return the attention weights (computed by the manual path)
     * @param attnMask       BOOL (true = not allowed) or floating (added), [L, S] or [B·numHeads, L, S]; or null
     * @param averageAttnWeights average the weights over heads ([B, L, S]) or not ([B, numHeads, L, S])
     */
    public Output forward(Tensor query, Tensor key, Tensor value, Tensor keyPaddingMask, boolean needWeights,
                          Tensor attnMask, boolean averageAttnWeights, boolean isCausal) {
        boolean batched = checkInputs(query, key, value);
        boolean selfAttention = query == key && key == value;
        Tensor q = batchFirstView(query, batched);                                   // (B, L, E)
        Tensor k = selfAttention ? q : batchFirstView(key, batched);                 // (B, S, kdim)
        Tensor v = selfAttention ? q : batchFirstView(value, batched);               // (B, S, vdim)
        int b = q.size(0);
        int l = q.size(1);
        int s = k.size(1);
        Tensor mask = combinedMask(attnMask, keyPaddingMask, batched, b, l, s, q);   // broadcasts to (B, nh, L, S)

        Tensor[] qkv = project(q, k, v, selfAttention);                              // (B, L, E), 2 × (B, S, E)
        q = qkv[0].reshape(b, l, numHeads, headDim).transpose(1, 2);                 // (B, nh, L, hs)
        k = qkv[1].reshape(b, s, numHeads, headDim).transpose(1, 2);                 // (B, nh, S, hs)
        v = qkv[2].reshape(b, s, numHeads, headDim).transpose(1, 2);                 // (B, nh, S, hs)
        double p = isTraining() ? dropout : 0.0;
        Tensor y;
        Tensor weights = null;
        if (needWeights) {
            Tensor att = attentionWeights(q, k, mask, isCausal, p);                  // (B, nh, L, S)
            y = att.matmul(v);                                                       // (B, nh, L, hs)
            weights = averageAttnWeights ? att.mean(1) : att;                        // (B, L, S) or (B, nh, L, S)
            weights = batched ? weights : weights.squeeze(0);
        } else {
            y = Attention.scaledDotProductAttention(q, k, v, mask, isCausal, 0, p, null,
                    p > 0 ? generator : null, Attention.Impl.AUTO);                  // (B, nh, L, hs)
        }
        y = y.transpose(1, 2).reshape(b, l, embedDim);                               // (B, L, E)
        y = outProj.forward(y);                                                      // (B, L, E)
        if (!batched) {
            y = y.squeeze(0);                                                        // (L, E)
        } else if (!batchFirst) {
            y = y.transpose(0, 1);                                                   // (L, B, E)
        }
        return new Output(y, weights);
    }

    /**
     * The manual path: softmax(q·kᵀ/√hs + mask) with dropout, materialized [B, nh, L, S]. A row
     * whose keys are all hidden becomes zeros instead of 0/0.
     */
    private Tensor attentionWeights(Tensor q, Tensor k, Tensor mask, boolean isCausal, double p) {
        Tensor scores = q.matmul(k.transpose(-1, -2)).mul(1.0 / Math.sqrt(headDim)); // (B, nh, L, S)
        if (isCausal) {
            scores = scores.maskedFill(causalHidden(q.size(2), k.size(2)).to(q.device()), Double.NEGATIVE_INFINITY);
        }
        if (mask != null) {
            scores = scores.add(mask);
        }
        Tensor dead;
        try (var ng = Autograd.noGrad()) {
            dead = scores.max(-1, true).eq(Double.NEGATIVE_INFINITY);                // (B, nh, L, 1)
        }
        Tensor att = F.softmax(scores.maskedFill(dead, 0), -1).maskedFill(dead, 0);
        return F.dropout(att, p, p > 0, generator);
    }

    /** BOOL [L, S]: true above the diagonal, where a causal query i may not see key j > i. */
    private static Tensor causalHidden(int l, int s) {
        boolean[] hidden = new boolean[l * s];
        for (int i = 0; i < l; i++) {
            for (int j = i + 1; j < s; j++) {
                hidden[i * s + j] = true;
            }
        }
        return Tensor.fromArray(hidden, l, s);
    }

    /** q, k, v projections, each (B, T, E). Self-attention runs one packed GEMM, as PyTorch does. */
    private Tensor[] project(Tensor q, Tensor k, Tensor v, boolean selfAttention) {
        int e = embedDim;
        if (inProjWeight != null && selfAttention) {
            return F.linear(q, inProjWeight, inProjBias).split(e, -1).toArray(new Tensor[0]); // 3 × (B, L, E)
        }
        Tensor wq = inProjWeight != null ? inProjWeight.narrow(0, 0, e) : qProjWeight;
        Tensor wk = inProjWeight != null ? inProjWeight.narrow(0, e, e) : kProjWeight;
        Tensor wv = inProjWeight != null ? inProjWeight.narrow(0, 2 * e, e) : vProjWeight;
        Tensor bq = inProjBias == null ? null : inProjBias.narrow(0, 0, e);
        Tensor bk = inProjBias == null ? null : inProjBias.narrow(0, e, e);
        Tensor bv = inProjBias == null ? null : inProjBias.narrow(0, 2 * e, e);
        return new Tensor[] {F.linear(q, wq, bq), F.linear(k, wk, bk), F.linear(v, wv, bv)};
    }

    /** Checks ranks and widths; returns whether the inputs are batched (3-D). */
    private boolean checkInputs(Tensor query, Tensor key, Tensor value) {
        int rank = query.dim();
        boolean ok = (rank == 2 || rank == 3) && key.dim() == rank && value.dim() == rank
                && query.size(-1) == embedDim && key.size(-1) == kdim && value.size(-1) == vdim;
        String layout = batchFirst ? "[B, L, E], [B, S, kdim], [B, S, vdim]" : "[L, B, E], [S, B, kdim], [S, B, vdim]";
        if (ok) {
            // everything but the feature dim must agree between key and value, and batch with query
            int[] ks = Arrays.copyOf(key.shape(), rank - 1);
            int[] vs = Arrays.copyOf(value.shape(), rank - 1);
            int batchDim = batchFirst ? 0 : 1;
            ok = Arrays.equals(ks, vs) && (rank == 2 || query.size(batchDim) == key.size(batchDim));
        }
        if (!ok) {
            throw new IllegalArgumentException("MultiheadAttention: query " + Arrays.toString(query.shape()) + ", key "
                    + Arrays.toString(key.shape()) + ", value " + Arrays.toString(value.shape()) + " do not fit; expected "
                    + layout + " (or [L, E], [S, kdim], [S, vdim] unbatched) with E=" + embedDim + ", kdim=" + kdim
                    + ", vdim=" + vdim);
        }
        if (!query.dtype().isFloating() || key.dtype() != query.dtype() || value.dtype() != query.dtype()) {
            throw new IllegalArgumentException("MultiheadAttention: query, key and value must share one floating dtype, got "
                    + query.dtype() + ", " + key.dtype() + ", " + value.dtype());
        }
        return rank == 3;
    }

    /** The input as [B, T, features] (a view: a transpose, or a new batch dim of 1). */
    private Tensor batchFirstView(Tensor x, boolean batched) {
        if (!batched) {
            return x.unsqueeze(0);
        }
        return batchFirst ? x : x.transpose(0, 1);
    }

    /**
     * attnMask and keyPaddingMask as one additive mask in the query's dtype that broadcasts to
     * (B, nh, L, S): 0 where a key may be attended, −∞ where it may not (or the float values
     * given). Null without masks.
     */
    private Tensor combinedMask(Tensor attnMask, Tensor keyPaddingMask, boolean batched, int b, int l, int s,
                                Tensor like) {
        Tensor mask = null;
        if (attnMask != null) {
            checkMaskDtype("attnMask", attnMask);
            if (attnMask.dim() == 2 && attnMask.size(0) == l && attnMask.size(1) == s) {
                mask = additive(attnMask, like).view(1, 1, l, s);                    // (1, 1, L, S)
            } else if (attnMask.dim() == 3 && attnMask.size(0) == b * numHeads && attnMask.size(1) == l
                    && attnMask.size(2) == s) {
                mask = additive(attnMask, like).reshape(b, numHeads, l, s);          // (B, nh, L, S)
            } else {
                throw new IllegalArgumentException("MultiheadAttention: attnMask has shape "
                        + Arrays.toString(attnMask.shape()) + " but must be [L, S] = [" + l + ", " + s
                        + "] or [B·numHeads, L, S] = [" + b * numHeads + ", " + l + ", " + s + "]");
            }
        }
        if (keyPaddingMask != null) {
            checkMaskDtype("keyPaddingMask", keyPaddingMask);
            int[] expected = batched ? new int[] {b, s} : new int[] {s};
            if (!Arrays.equals(keyPaddingMask.shape(), expected)) {
                throw new IllegalArgumentException("MultiheadAttention: keyPaddingMask has shape "
                        + Arrays.toString(keyPaddingMask.shape()) + " but must be " + (batched ? "[B, S] = " : "[S] = ")
                        + Arrays.toString(expected));
            }
            Tensor padding = additive(keyPaddingMask, like).reshape(b, 1, 1, s);     // (B, 1, 1, S)
            mask = mask == null ? padding : mask.add(padding);                        // −∞ + anything = −∞
        }
        return mask;
    }

    private static void checkMaskDtype(String name, Tensor mask) {
        if (mask.dtype() != DType.BOOL && !mask.dtype().isFloating()) {
            throw new IllegalArgumentException("MultiheadAttention: " + name + " must be BOOL (true = not allowed) "
                    + "or floating (added to the scores), got " + mask.dtype());
        }
    }

    /** BOOL true (not allowed) → −∞, false → 0; a floating mask as it is. In the dtype and device of {@code like}. */
    private static Tensor additive(Tensor mask, Tensor like) {
        if (mask.dtype() == DType.BOOL) {
            Tensor zero = Tensor.zeros(like.dtype(), like.device());
            Tensor minusInf = Tensor.zeros(like.dtype(), like.device()).fill_(Double.NEGATIVE_INFINITY);
            return Tensor.where(mask.to(like.device()), minusInf, zero);
        }
        return mask.detach().to(like.dtype()).to(like.device());
    }

    @Override
    protected String extraRepr() {
        return "embed_dim=" + embedDim + ", num_heads=" + numHeads + (dropout > 0 ? ", dropout=" + dropout : "")
                + (kdim != embedDim || vdim != embedDim ? ", kdim=" + kdim + ", vdim=" + vdim : "")
                + ", batch_first=" + (batchFirst ? "True" : "False");
    }
}
