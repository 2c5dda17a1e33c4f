package dev.qkv.backend;

import dev.qkv.tensor.Layout;

/**
 * Arguments of the fused attention kernels, for one call over a whole batch:
 * <pre>
 *   out[b,h,i,:] = Σ_j drop(b,h,i,j) · softmax_j(s[b,h,i,j]) · v[b,h/G,j,:]
 *   s[b,h,i,j]   = scale · q[b,h,i,:]·k[b,h/G,j,:] + mask[b,h,i,j]   (−∞ where causal hides j)
 * </pre>
 * with G = numHeads / numKvHeads query heads sharing each key/value head (grouped-query
 * attention; G = 1 is ordinary multi-head attention).
 *
 * <p>q is [B, H, Tq, D], k is [B, Hkv, Tk, D], v is [B, Hkv, Tk, Dv], out is [B, H, Tq, Dv] and
 * lse is [B, H, Tq]; all contiguous. {@code mask} is an additive float mask seen through
 * {@code maskLayout} with shape [B, H, Tq, Tk] (broadcast dims have stride 0), or null.
 * {@code causal} hides key j from query i when j &gt; i + causalOffset (offset 0 is PyTorch's
 * is_causal; Tk − Tq aligns the last query with the last key, as a KV cache needs).
 * Dropout (probability {@code dropoutP}) uses the counter-based {@link AttentionDropout} mask of
 * {@code dropoutSeed}, so the backward pass and the unfused path can regenerate it exactly.
 *
 * <p>A query row whose keys are all masked gets output 0, lse −∞ and zero gradients.
 */
public record AttentionArgs(int batch, int numHeads, int numKvHeads, int tq, int tk, int headDim, int valueDim,
                            Storage q, Storage k, Storage v,
                            Storage mask, Layout maskLayout,
                            boolean causal, int causalOffset, double scale,
                            double dropoutP, long dropoutSeed,
                            Storage out, Storage lse) {

    /** Query heads per key/value head. */
    public int group() {
        return numHeads / numKvHeads;
    }

    /** True when key j is hidden from query i by the causal rule. */
    public boolean hidden(int i, int j) {
        return causal && j > i + causalOffset;
    }
}
