package dev.qkv.models.bert;

import dev.qkv.nn.Activation;

import java.util.Map;

/**
 * The shape of a BERT encoder, with the fields of Hugging Face's {@code BertConfig}.
 *
 * @param vocabSize                 number of token ids (V)
 * @param hiddenSize                width of the hidden states (C)
 * @param numHiddenLayers           encoder layers
 * @param numAttentionHeads         attention heads per layer (NH); hiddenSize must be a multiple
 * @param intermediateSize          width of the feed-forward block's hidden layer (BERT: 4C)
 * @param hiddenAct                 the feed-forward and MLM-head nonlinearity (BERT: exact GELU)
 * @param maxPositionEmbeddings     longest sequence, the size of the learned position table
 * @param typeVocabSize             number of token types (segments A and B: 2)
 * @param layerNormEps              epsilon of every LayerNorm (BERT: 1e-12)
 * @param hiddenDropoutProb         dropout on embeddings and sub-layer outputs in training
 * @param attentionProbsDropoutProb dropout on the attention weights in training
 * @param initializerRange          std of the N(0, std²) initialization of weights (BERT: 0.02)
 */
public record BertConfig(int vocabSize, int hiddenSize, int numHiddenLayers, int numAttentionHeads,
                         int intermediateSize, Activation hiddenAct, int maxPositionEmbeddings, int typeVocabSize,
                         double layerNormEps, double hiddenDropoutProb, double attentionProbsDropoutProb,
                         double initializerRange) {
    public BertConfig {
        if (vocabSize <= 0 || hiddenSize <= 0 || numHiddenLayers <= 0 || numAttentionHeads <= 0 || intermediateSize <= 0
                || maxPositionEmbeddings <= 0 || typeVocabSize <= 0 || hiddenSize % numAttentionHeads != 0) {
            throw new IllegalArgumentException("BertConfig: sizes must be positive and hiddenSize a multiple of "
                    + "numAttentionHeads, got vocabSize=" + vocabSize + " hiddenSize=" + hiddenSize + " numHiddenLayers="
                    + numHiddenLayers + " numAttentionHeads=" + numAttentionHeads + " intermediateSize="
                    + intermediateSize + " maxPositionEmbeddings=" + maxPositionEmbeddings + " typeVocabSize="
                    + typeVocabSize);
        }
        if (!(hiddenDropoutProb >= 0 && hiddenDropoutProb < 1 && attentionProbsDropoutProb >= 0
                && attentionProbsDropoutProb < 1)) {
            throw new IllegalArgumentException("BertConfig: dropout probabilities must be in [0, 1), got hidden="
                    + hiddenDropoutProb + " attention=" + attentionProbsDropoutProb);
        }
    }

    /** A small config with BERT's defaults for everything but the sizes (GELU, eps 1e-12, dropout 0.1). */
    public static BertConfig of(int vocabSize, int hiddenSize, int numHiddenLayers, int numAttentionHeads,
                                int intermediateSize, int maxPositionEmbeddings) {
        return new BertConfig(vocabSize, hiddenSize, numHiddenLayers, numAttentionHeads, intermediateSize,
                Activation.GELU, maxPositionEmbeddings, 2, 1e-12, 0.1, 0.1, 0.02);
    }

    /** BERT-base (uncased): 110M parameters. */
    public static BertConfig bertBase() {
        return of(30522, 768, 12, 12, 3072, 512);
    }

    /**
     * A config from a Hugging Face config.json (as parsed by {@link dev.qkv.io.Json}); missing
     * keys take the defaults of Hugging Face's BertConfig, which are BERT-base's.
     */
    public static BertConfig fromJson(Map<String, Object> json) {
        return new BertConfig(
                integer(json, "vocab_size", 30522),
                integer(json, "hidden_size", 768),
                integer(json, "num_hidden_layers", 12),
                integer(json, "num_attention_heads", 12),
                integer(json, "intermediate_size", 3072),
                Activation.fromName(json.getOrDefault("hidden_act", "gelu").toString()),
                integer(json, "max_position_embeddings", 512),
                integer(json, "type_vocab_size", 2),
                number(json, "layer_norm_eps", 1e-12),
                number(json, "hidden_dropout_prob", 0.1),
                number(json, "attention_probs_dropout_prob", 0.1),
                number(json, "initializer_range", 0.02));
    }

    private static int integer(Map<String, Object> json, String key, int fallback) {
        Object v = json.get(key);
        if (v == null) {
            return fallback;
        }
        if (!(v instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue())) {
            throw new IllegalArgumentException("BertConfig: config key '" + key + "' must be an integer, got " + v);
        }
        return Math.toIntExact(n.longValue());
    }

    private static double number(Map<String, Object> json, String key, double fallback) {
        Object v = json.get(key);
        if (v == null) {
            return fallback;
        }
        if (!(v instanceof Number n)) {
            throw new IllegalArgumentException("BertConfig: config key '" + key + "' must be a number, got " + v);
        }
        return n.doubleValue();
    }

    /** Features per head (HS). */
    public int headSize() {
        return hiddenSize / numAttentionHeads;
    }
}
