package dev.qkv.models.llama;

import dev.qkv.models.KVCache;
import dev.qkv.nn.Linear;
import dev.qkv.nn.Module;
import dev.qkv.nn.functional.Attention;
import dev.qkv.nn.functional.Positions;
import dev.qkv.tensor.Generator;
import dev.qkv.tensor.Tensor;

/**
 * Llama's self-attention: separate q/k/v projections without bias, rotary positions on q and k,
 * and grouped-query attention (H query heads share Hkv key/value heads).
 */
public final class LlamaAttention extends Module {
    public final Linear qProj;
    public final Linear kProj;
    public final Linear vProj;
    public final Linear oProj;
    private final LlamaConfig cfg;
    private final Positions.Rope rope;

    LlamaAttention(LlamaConfig cfg, Generator g) {
        this.cfg = cfg;
        int c = cfg.hiddenSize();
        int d = cfg.headDim();
        qProj = registerModule("q_proj", new Linear(c, cfg.numAttentionHeads() * d, false, g));
        kProj = registerModule("k_proj", new Linear(c, cfg.numKeyValueHeads() * d, false, g));
        vProj = registerModule("v_proj", new Linear(c, cfg.numKeyValueHeads() * d, false, g));
        oProj = registerModule("o_proj", new Linear(cfg.numAttentionHeads() * d, c, false, g));
        rope = new Positions.Rope(d, cfg.ropeTheta(), cfg.ropeScaling(), Positions.RopeStyle.ROTATE_HALF);
    }

    Tensor forward(Tensor x, int layer, KVCache cache, Tensor keyPadding) {
        int b = x.size(0);
        int t = x.size(1);
        int h = cfg.numAttentionHeads();
        int hkv = cfg.numKeyValueHeads();
        int d = cfg.headDim();
        int offset = cache == null ? 0 : cache.length();
        Tensor q = qProj.forward(x).view(b, t, h, d).transpose(1, 2);                // (B, H, T, D)
        Tensor k = kProj.forward(x).view(b, t, hkv, d).transpose(1, 2);              // (B, Hkv, T, D)
        Tensor v = vProj.forward(x).view(b, t, hkv, d).transpose(1, 2);              // (B, Hkv, T, D)
        // rotary positions: rotating by absolute position makes q·k depend on the distance only
        q = rope.apply(q, offset);
        k = rope.apply(k, offset);
        if (cache != null) {
            Tensor[] kv = cache.append(layer, k, v);                                  // (B, Hkv, offset+T, D)
            k = kv[0];
            v = kv[1];
        }
        Tensor mask = keyPadding == null ? null : keyPadding.view(b, 1, 1, keyPadding.size(1));
        Tensor y = Attention.scaledDotProductAttention(q, k, v, mask, true, offset, 0.0, null, null,
                Attention.Impl.AUTO);                                                 // (B, H, T, D)
        return oProj.forward(y.transpose(1, 2).reshape(b, t, h * d));                 // (B, T, C)
    }
}
