package dev.qkv.models.bert;

import dev.qkv.autograd.Autograd;
import dev.qkv.nn.Embedding;
import dev.qkv.nn.Init;
import dev.qkv.nn.LayerNorm;
import dev.qkv.nn.Linear;
import dev.qkv.nn.Module;
import dev.qkv.nn.ModuleList;
import dev.qkv.tensor.Generator;
import dev.qkv.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * BERT (Devlin et al., 2018): a bidirectional post-norm transformer encoder. Every token
 * attends to every other real token; padding is hidden by the attention mask. Parameter names
 * are Hugging Face's {@code BertModel}'s ({@code embeddings.word_embeddings.weight},
 * {@code encoder.layer.0.attention.self.query.weight}, {@code pooler.dense.weight}, ...), so a
 * Hugging Face state dict loads by name (leave out the {@code embeddings.position_ids} buffer).
 *
 * <p>The pooler (a dense layer with tanh on the first token, [CLS]) is optional: the
 * masked-LM model has none, the sequence classifier uses it.
 */
public final class BertModel extends Module {

    /** Hugging Face's BertEncoder: the layers, named {@code encoder.layer.N}. */
    public static final class Encoder extends Module {
        public final ModuleList<BertLayer> layer;

        Encoder(BertConfig cfg, Generator g) {
            List<BertLayer> layers = new ArrayList<>();
            for (int i = 0; i < cfg.numHiddenLayers(); i++) {
                layers.add(new BertLayer(cfg, g));
            }
            layer = registerModule("layer", new ModuleList<>(layers));
        }
    }

    /** dense + tanh on the first token's hidden state: a sentence summary for classifiers. */
    public static final class Pooler extends Module {
        public final Linear dense;

        Pooler(BertConfig cfg, Generator g) {
            dense = registerModule("dense", new Linear(cfg.hiddenSize(), cfg.hiddenSize(), g));
        }

        /** hidden (B, T, C) → (B, C). */
        public Tensor forward(Tensor hidden) {
            return dense.forward(hidden.select(1, 0)).tanh();                          // (B, C)
        }
    }

    public final BertConfig config;
    public final BertEmbeddings embeddings;
    public final Encoder encoder;
    /** The pooler, or null. */
    public final Pooler pooler;

    /** A model with BERT's initialization (see {@link #initWeights}). */
    public BertModel(BertConfig config, boolean addPoolingLayer, Generator g) {
        this.config = config;
        embeddings = registerModule("embeddings", new BertEmbeddings(config, g));
        encoder = registerModule("encoder", new Encoder(config, g));
        pooler = addPoolingLayer ? registerModule("pooler", new Pooler(config, g)) : null;
        initWeights(this, config, g);
    }

    /**
     * @param inputIds      [B, T] token ids
     * @param tokenTypeIds  [B, T] segment ids, or null for all zeros
     * @param attentionMask [B, T], nonzero (1 or true) for real tokens and 0 for padding; or null
     * @return the last hidden states [B, T, C]
     */
    public Tensor forward(Tensor inputIds, Tensor tokenTypeIds, Tensor attentionMask) {
        Tensor keep = null;
        if (attentionMask != null) {
            if (!Arrays.equals(attentionMask.shape(), inputIds.shape())) {
                throw new IllegalArgumentException("BertModel: attentionMask " + Arrays.toString(attentionMask.shape())
                        + " must have the shape of inputIds " + Arrays.toString(inputIds.shape()) + " ([B, T])");
            }
            // SDPA's BOOL convention: true = may be attended; every query sees the same keys
            keep = attentionMask.ne(0).view(inputIds.size(0), 1, 1, inputIds.size(1));  // (B, 1, 1, T)
        }
        Tensor x = embeddings.forward(inputIds, tokenTypeIds);                         // (B, T, C)
        for (BertLayer layer : encoder.layer) {
            x = layer.forward(x, keep);                                                // (B, T, C)
        }
        return x;
    }

    /** The pooled [CLS] summary (B, C) of hidden states from {@link #forward}. */
    public Tensor pool(Tensor hidden) {
        if (pooler == null) {
            throw new IllegalStateException("BertModel.pool: this model was built without a pooling layer");
        }
        return pooler.forward(hidden);
    }

    /**
     * Hugging Face's BertPreTrainedModel._init_weights on every module of {@code root}: Linear
     * and Embedding weights N(0, initializerRange²), Linear biases zero, LayerNorm weight one and
     * bias zero. (Hugging Face also zeroes the padding token's embedding row.)
     */
    static void initWeights(Module root, BertConfig cfg, Generator g) {
        try (var s = Autograd.noGrad()) {
            for (Module m : root.modules()) {
                switch (m) {
                    case Linear l -> {
                        Init.normal_(l.weight, 0, cfg.initializerRange(), g);
                        if (l.bias != null) {
                            Init.zeros_(l.bias);
                        }
                    }
                    case Embedding e -> Init.normal_(e.weight, 0, cfg.initializerRange(), g);
                    case LayerNorm n -> {
                        Init.ones_(n.weight);
                        Init.zeros_(n.bias);
                    }
                    default -> {
                    }
                }
            }
        }
    }
}
