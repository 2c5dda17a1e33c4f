package dev.qkv.models.gpt;

import dev.qkv.models.KVCache;
import dev.qkv.nn.LayerNorm;
import dev.qkv.nn.Module;
import dev.qkv.tensor.Generator;
import dev.qkv.tensor.Tensor;

/** One pre-norm transformer block: x + attn(ln_1(x)), then x + mlp(ln_2(x)). */
public final class Block extends Module {
    public final LayerNorm ln1;
    public final CausalSelfAttention attn;
    public final LayerNorm ln2;
    public final Mlp mlp;

    Block(GPTConfig cfg, Generator g) {
        ln1 = registerModule("ln_1", new LayerNorm(new int[] {cfg.nEmbd()}, cfg.layerNormEps(), true, cfg.bias()));
        attn = registerModule("attn", new CausalSelfAttention(cfg, g));
        ln2 = registerModule("ln_2", new LayerNorm(new int[] {cfg.nEmbd()}, cfg.layerNormEps(), true, cfg.bias()));
        mlp = registerModule("mlp", new Mlp(cfg, g));
    }

    Tensor forward(Tensor x, int layer, KVCache cache, Tensor keyPadding) {
        x = x.add(attn.forward(ln1.forward(x), layer, cache, keyPadding));
        return x.add(mlp.forward(ln2.forward(x)));
    }
}
