package dev.qkv.models.gpt;

import dev.qkv.models.KVCache;
import dev.qkv.nn.Dropout;
import dev.qkv.nn.Linear;
import dev.qkv.nn.Module;
import dev.qkv.nn.functional.Attention;
import dev.qkv.tensor.Generator;
import dev.qkv.tensor.Tensor;

/**
 * GPT-2's masked self-attention: one projection makes q, k and v, each position attends to
 * itself and the positions before it, and a second projection mixes the heads back together.
 */
public final class CausalSelfAttention extends Module {
    public final Linear cAttn;
    public final Linear cProj;
    private final Dropout residDropout;
    private final int nHead;
    private final int nEmbd;
    private final double dropout;
    private final Generator generator;

    CausalSelfAttention(GPTConfig cfg, Generator g) {
        nHead = cfg.nHead();
        nEmbd = cfg.nEmbd();
        dropout = cfg.dropout();
        generator = g;
        cAttn = registerModule("c_attn", new Linear(nEmbd, 3 * nEmbd, cfg.bias(), g));
        cProj = registerModule("c_proj", new Linear(nEmbd, nEmbd, cfg.bias(), g));
        residDropout = registerModule("resid_dropout", new Dropout(cfg.dropout(), g));
    }

    /**
     * @param x          the residual stream (B, T, C)
     * @param layer      this block's index, for the cache
     * @param cache      keys/values of earlier positions, or null
     * @param keyPadding BOOL (B, Tk): true for real tokens, false for padding; or null
     */
    Tensor forward(Tensor x, int layer, KVCache cache, Tensor keyPadding) {
        int b = x.size(0);
        int t = x.size(1);
        int hs = nEmbd / nHead;
        var qkv = cAttn.forward(x).split(nEmbd, 2);                                   // 3 × (B, T, C)
        Tensor q = qkv.get(0).view(b, t, nHead, hs).transpose(1, 2);                   // (B, nh, T, hs)
        Tensor k = qkv.get(1).view(b, t, nHead, hs).transpose(1, 2);                   // (B, nh, T, hs)
        Tensor v = qkv.get(2).view(b, t, nHead, hs).transpose(1, 2);                   // (B, nh, T, hs)
        int offset = 0;
        if (cache != null) {
            offset = cache.length();
            Tensor[] kv = cache.append(layer, k, v);                                   // (B, nh, offset+T, hs)
            k = kv[0];
            v = kv[1];
        }
        Tensor mask = keyPadding == null ? null : keyPadding.view(b, 1, 1, keyPadding.size(1));
        Tensor y = Attention.scaledDotProductAttention(q, k, v, mask, true, offset,
                isTraining() ? dropout : 0.0, null, isTraining() && dropout > 0 ? generator : null,
                Attention.Impl.AUTO);                                                  // (B, nh, T, hs)
        y = y.transpose(1, 2).reshape(b, t, nEmbd);                                    // (B, T, C)
        return residDropout.forward(cProj.forward(y));
    }
}
