package dev.qkv.models.bert;

import dev.qkv.nn.Init;
import dev.qkv.nn.LayerNorm;
import dev.qkv.nn.Linear;
import dev.qkv.nn.Module;
import dev.qkv.nn.Parameter;
import dev.qkv.nn.functional.F;
import dev.qkv.nn.functional.Reduction;
import dev.qkv.tensor.Generator;
import dev.qkv.tensor.Tensor;

import java.util.Arrays;

/**
 * BERT with its masked-language-model head (Hugging Face's {@code BertForMaskedLM}): for every
 * position, logits over the vocabulary of which token was there before it was masked.
 * <pre>
 *   h = bert(inputIds)                                            (B, T, C)
 *   h = LayerNorm(act(dense(h)))                                  cls.predictions.transform
 *   logits = h·word_embeddingsᵀ + bias                            cls.predictions.{decoder, bias}
 * </pre>
 * The decoder shares its weight with {@code bert.embeddings.word_embeddings} (weight tying);
 * its bias is the separate parameter {@code cls.predictions.bias}, so the state dict has
 * exactly Hugging Face's keys (without the {@code position_ids} buffer).
 */
public final class BertForMaskedLM extends Module {

    /** cls.predictions.transform: dense, activation, LayerNorm. */
    public static final class PredictionHeadTransform extends Module {
        public final Linear dense;
        public final LayerNorm layerNorm;
        private final BertConfig cfg;

        PredictionHeadTransform(BertConfig cfg, Generator g) {
            this.cfg = cfg;
            dense = registerModule("dense", new Linear(cfg.hiddenSize(), cfg.hiddenSize(), g));
            layerNorm = registerModule("LayerNorm", new LayerNorm(new int[] {cfg.hiddenSize()}, cfg.layerNormEps(), true));
        }

        Tensor forward(Tensor h) {
            return layerNorm.forward(cfg.hiddenAct().apply(dense.forward(h)));
        }
    }

    /** cls.predictions: transform, decoder (tied), bias. */
    public static final class LMPredictionHead extends Module {
        public final PredictionHeadTransform transform;
        /** [V, C] weight, the same Parameter as the word embeddings; no bias of its own. */
        public final Linear decoder;
        /** [V]. */
        public final Parameter bias;

        LMPredictionHead(BertConfig cfg, Parameter wordEmbeddings, Generator g) {
            transform = registerModule("transform", new PredictionHeadTransform(cfg, g));
            decoder = registerModule("decoder", new Linear(wordEmbeddings, null));
            bias = registerParameter("bias", new Parameter(Tensor.zeros(cfg.vocabSize())));
        }

        Tensor forward(Tensor hidden) {
            return decoder.forward(transform.forward(hidden)).add(bias);                // (B, T, V)
        }
    }

    /** Hugging Face's BertOnlyMLMHead: the single child {@code predictions}. */
    public static final class OnlyMLMHead extends Module {
        public final LMPredictionHead predictions;

        OnlyMLMHead(BertConfig cfg, Parameter wordEmbeddings, Generator g) {
            predictions = registerModule("predictions", new LMPredictionHead(cfg, wordEmbeddings, g));
        }
    }

    public final BertConfig config;
    public final BertModel bert;
    public final OnlyMLMHead cls;

    public BertForMaskedLM(BertConfig config, Generator g) {
        this.config = config;
        bert = registerModule("bert", new BertModel(config, false, g));
        cls = registerModule("cls", new OnlyMLMHead(config, bert.embeddings.wordEmbeddings.weight, g));
        BertModel.initWeights(cls.predictions.transform, config, g);
        Init.zeros_(cls.predictions.bias);
    }

    /** Logits [B, T, V]; the arguments are {@link BertModel#forward}'s. */
    public Tensor forward(Tensor inputIds, Tensor tokenTypeIds, Tensor attentionMask) {
        return cls.predictions.forward(bert.forward(inputIds, tokenTypeIds, attentionMask));
    }

    /**
     * The masked-LM loss: mean cross-entropy over the positions whose label is a token id;
     * positions labelled −100 (unmasked tokens, padding) are ignored, as in Hugging Face.
     *
     * @param logits [B, T, V] from {@link #forward}
     * @param labels [B, T] integer ids, −100 where there is nothing to predict
     */
    public Tensor loss(Tensor logits, Tensor labels) {
        if (logits.dim() != 3 || !Arrays.equals(labels.shape(), Arrays.copyOf(logits.shape(), 2))) {
            throw new IllegalArgumentException("BertForMaskedLM.loss: expects logits [B, T, V] and labels [B, T], got "
                    + Arrays.toString(logits.shape()) + " and " + Arrays.toString(labels.shape()));
        }
        return F.crossEntropy(logits.reshape(-1, config.vocabSize()), labels.reshape(-1), Reduction.MEAN, -100, 0.0);
    }
}
