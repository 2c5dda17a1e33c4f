package dev.qkv.models.gpt;

import dev.qkv.models.CausalLM;
import dev.qkv.models.KVCache;
import dev.qkv.nn.Dropout;
import dev.qkv.nn.Embedding;
import dev.qkv.nn.Init;
import dev.qkv.nn.LayerNorm;
import dev.qkv.nn.Linear;
import dev.qkv.nn.Module;
import dev.qkv.nn.ModuleList;
import dev.qkv.nn.functional.F;
import dev.qkv.tensor.DType;
import dev.qkv.tensor.Generator;
import dev.qkv.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * GPT-2: token and position embeddings, a stack of pre-norm transformer blocks, a final
 * LayerNorm, and an output layer that shares its weight with the token embedding (weight
 * tying). Parameter names follow GPT-2/nanoGPT ({@code transformer.h.0.attn.c_attn.weight}), so
 * this file reads side by side with nanoGPT's model.py.
 */
public final class GPT extends Module implements CausalLM {

    /** The body of the model, named as in GPT-2 checkpoints. */
    public static final class Transformer extends Module {
        public final Embedding wte;
        public final Embedding wpe;
        public final Dropout drop;
        public final ModuleList<Block> h;
        public final LayerNorm lnF;

        Transformer(GPTConfig cfg, Generator g) {
            wte = registerModule("wte", new Embedding(cfg.vocabSize(), cfg.nEmbd(), g));
            wpe = registerModule("wpe", new Embedding(cfg.blockSize(), cfg.nEmbd(), g));
            drop = registerModule("drop", new Dropout(cfg.dropout(), g));
            List<Block> blocks = new ArrayList<>();
            for (int i = 0; i < cfg.nLayer(); i++) {
                blocks.add(new Block(cfg, g));
            }
            h = registerModule("h", new ModuleList<>(blocks));
            lnF = registerModule("ln_f", new LayerNorm(new int[] {cfg.nEmbd()}, cfg.layerNormEps(), true, cfg.bias()));
        }
    }

    public final GPTConfig config;
    public final Transformer transformer;
    /** Output layer [V, C], the same Parameter as transformer.wte.weight. */
    public final Linear lmHead;

    /** A model with GPT-2's initialization: N(0, 0.02), residual projections scaled by 1/√(2·nLayer). */
    public GPT(GPTConfig config, Generator g) {
        this.config = config;
        transformer = registerModule("transformer", new Transformer(config, g));
        lmHead = registerModule("lm_head", new Linear(transformer.wte.weight, null));
        try (var s = dev.qkv.autograd.Autograd.noGrad()) {
            for (var e : namedParameters().entrySet()) {
                String name = e.getKey();
                Tensor p = e.getValue();
                if (name.endsWith(".bias")) {
                    Init.zeros_(p);
                } else if (name.endsWith("c_proj.weight")) {
                    Init.normal_(p, 0, 0.02 / Math.sqrt(2 * config.nLayer()), g);
                } else if (p.dim() == 2) {
                    Init.normal_(p, 0, 0.02, g);
                }
            }
        }
    }

    @Override
    public Tensor forward(Tensor ids, KVCache cache, Tensor keyPadding) {
        if (ids.dim() != 2) {
            throw new IllegalArgumentException("GPT.forward: expects token ids [B, T], got shape " + Arrays.toString(ids.shape()));
        }
        int b = ids.size(0);
        int t = ids.size(1);
        int offset = cache == null ? 0 : cache.length();
        if (offset + t > config.blockSize()) {
            throw new IllegalArgumentException("GPT.forward: sequence length " + (offset + t)
                    + " exceeds the model's context of " + config.blockSize() + " positions");
        }
        Tensor pos = positions(b, t, offset, keyPadding).to(ids.device());          // (B, T) or (T)
        Tensor x = transformer.wte.forward(ids).add(transformer.wpe.forward(pos));  // (B, T, C)
        x = transformer.drop.forward(x);
        for (int i = 0; i < config.nLayer(); i++) {
            x = transformer.h.get(i).forward(x, i, cache, keyPadding);
        }
        if (cache != null) {
            cache.advance(t);
        }
        x = transformer.lnF.forward(x);
        return lmHead.forward(x);                                                   // (B, T, V)
    }

    /** Logits [B, T, V] of a whole sequence, without a cache. */
    public Tensor forward(Tensor ids) {
        return forward(ids, null, null);
    }

    /** Mean cross-entropy of predicting targets [B, T] from ids [B, T]. */
    public Tensor loss(Tensor ids, Tensor targets) {
        Tensor logits = forward(ids);
        return F.crossEntropy(logits.reshape(-1, config.vocabSize()), targets.reshape(-1));
    }

    /**
     * Position ids: offset + t, or with left padding each real token's index among the real
     * tokens of its row (padding gets position 0), as Hugging Face computes them.
     */
    static Tensor positions(int b, int t, int offset, Tensor keyPadding) {
        if (keyPadding == null) {
            long[] p = new long[t];
            for (int i = 0; i < t; i++) {
                p[i] = offset + i;
            }
            return Tensor.fromArray(p, t);
        }
        long[] real = keyPadding.to(DType.INT64).toLongArray();
        int tk = keyPadding.size(1);
        long[] p = new long[b * t];
        for (int r = 0; r < b; r++) {
            long count = 0;
            for (int j = 0; j < offset + t; j++) {
                count += real[r * tk + j];
                if (j >= offset) {
                    p[r * t + j - offset] = Math.max(count - 1, 0);
                }
            }
        }
        return Tensor.fromArray(p, b, t);
    }

    @Override
    public KVCache newCache(int batch, int maxLen) {
        return new KVCache(config.nLayer(), batch, config.nHead(), Math.min(maxLen, config.blockSize()),
                config.headSize(), transformer.wte.weight.dtype(), transformer.wte.weight.device());
    }

    @Override
    public int contextLength() {
        return config.blockSize();
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
