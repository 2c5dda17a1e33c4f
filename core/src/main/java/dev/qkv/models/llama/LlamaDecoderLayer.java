package dev.qkv.models.llama;

import dev.qkv.models.KVCache;
import dev.qkv.nn.Module;
import dev.qkv.nn.RMSNorm;
import dev.qkv.nn.SwiGLU;
import dev.qkv.tensor.Generator;
import dev.qkv.tensor.Tensor;

/** Pre-norm with RMSNorm: x + attn(norm(x)), then x + mlp(norm(x)). */
public final class LlamaDecoderLayer extends Module {
    public final RMSNorm inputLayernorm;
    public final LlamaAttention selfAttn;
    public final RMSNorm postAttentionLayernorm;
    public final SwiGLU mlp;

    LlamaDecoderLayer(LlamaConfig cfg, Generator g) {
        inputLayernorm = registerModule("input_layernorm", new RMSNorm(cfg.hiddenSize(), cfg.rmsNormEps()));
        selfAttn = registerModule("self_attn", new LlamaAttention(cfg, g));
        postAttentionLayernorm = registerModule("post_attention_layernorm", new RMSNorm(cfg.hiddenSize(), cfg.rmsNormEps()));
        mlp = registerModule("mlp", new SwiGLU(cfg.hiddenSize(), cfg.intermediateSize(), g));
    }

    Tensor forward(Tensor x, int layer, KVCache cache, Tensor keyPadding) {
        x = x.add(selfAttn.forward(inputLayernorm.forward(x), layer, cache, keyPadding));
        return x.add(mlp.forward(postAttentionLayernorm.forward(x)));
    }
}
