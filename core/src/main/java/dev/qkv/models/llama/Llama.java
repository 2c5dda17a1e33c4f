package dev.qkv.models.llama;

import dev.qkv.models.CausalLM;
import dev.qkv.models.KVCache;
import dev.qkv.nn.Embedding;
import dev.qkv.nn.Init;
import dev.qkv.nn.Linear;
import dev.qkv.nn.Module;
import dev.qkv.nn.ModuleList;
import dev.qkv.nn.RMSNorm;
import dev.qkv.nn.functional.F;
import dev.qkv.tensor.Generator;
import dev.qkv.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A Llama-family decoder (Hugging Face's LlamaForCausalLM): token embedding, decoder layers with
 * RMSNorm, rotary positions, grouped-query attention and SwiGLU, a final RMSNorm and the output
 * layer. Parameter names are Hugging Face's ({@code model.layers.0.self_attn.q_proj.weight}).
 */
public final class Llama extends Module implements CausalLM {

    /** The decoder body, named "model" as in Hugging Face checkpoints. */
    public static final class LlamaModel extends Module {
        public final Embedding embedTokens;
        public final ModuleList<LlamaDecoderLayer> layers;
        public final RMSNorm norm;

        LlamaModel(LlamaConfig cfg, Generator g) {
            embedTokens = registerModule("embed_tokens", new Embedding(cfg.vocabSize(), cfg.hiddenSize(), g));
            List<LlamaDecoderLayer> ls = new ArrayList<>();
            for (int i = 0; i < cfg.numHiddenLayers(); i++) {
                ls.add(new LlamaDecoderLayer(cfg, g));
            }
            layers = registerModule("layers", new ModuleList<>(ls));
            norm = registerModule("norm", new RMSNorm(cfg.hiddenSize(), cfg.rmsNormEps()));
        }
    }

    public final LlamaConfig config;
    public final LlamaModel model;
    public final Linear lmHead;

    /** A randomly initialized model: N(0, 0.02) weights, as Hugging Face initializes Llama. */
    public Llama(LlamaConfig config, Generator g) {
        this.config = config;
        model = registerModule("model", new LlamaModel(config, g));
        lmHead = registerModule("lm_head", config.tieWordEmbeddings()
                ? new Linear(model.embedTokens.weight, null)
                : new Linear(config.hiddenSize(), config.vocabSize(), false, g));
        try (var s = dev.qkv.autograd.Autograd.noGrad()) {
            for (var p : parameters()) {
                if (p.dim() == 2) {
                    Init.normal_(p, 0, 0.02, g);
                }
            }
        }
    }

    @Override
    public Tensor forward(Tensor ids, KVCache cache, Tensor keyPadding) {
        if (ids.dim() != 2) {
            throw new IllegalArgumentException("Llama.forward: expects token ids [B, T], got shape "
                    + Arrays.toString(ids.shape()));
        }
        int t = ids.size(1);
        int offset = cache == null ? 0 : cache.length();
        if (offset + t > config.maxPositionEmbeddings()) {
            throw new IllegalArgumentException("Llama.forward: sequence length " + (offset + t)
                    + " exceeds the model's context of " + config.maxPositionEmbeddings() + " positions");
        }
        Tensor x = model.embedTokens.forward(ids);                                    // (B, T, C)
        for (int i = 0; i < config.numHiddenLayers(); i++) {
            x = model.layers.get(i).forward(x, i, cache, keyPadding);
        }
        if (cache != null) {
            cache.advance(t);
        }
        return lmHead.forward(model.norm.forward(x));                                  // (B, T, V)
    }

    public Tensor forward(Tensor ids) {
        return forward(ids, null, null);
    }

    /** Mean cross-entropy of predicting targets [B, T] from ids [B, T]. */
    public Tensor loss(Tensor ids, Tensor targets) {
        return F.crossEntropy(forward(ids).reshape(-1, config.vocabSize()), targets.reshape(-1));
    }

    @Override
    public KVCache newCache(int batch, int maxLen) {
        return new KVCache(config.numHiddenLayers(), batch, config.numKeyValueHeads(),
                Math.min(maxLen, config.maxPositionEmbeddings()), config.headDim(),
                model.embedTokens.weight.dtype(), model.embedTokens.weight.device());
    }

    @Override
    public int contextLength() {
        return config.maxPositionEmbeddings();
    }

    @Override
    public int vocabSize() {
        return config.vocabSize();
    }

    @Override
    public void evalMode() {
        eval();
    }
}
