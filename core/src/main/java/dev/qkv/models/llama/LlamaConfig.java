package dev.qkv.models.llama;

/**
 * The shape of a Llama-family decoder (Llama 2/3, Mistral-style GQA), with Hugging Face's names.
 *
 * @param vocabSize             number of token ids (V)
 * @param hiddenSize            width of the residual stream (C)
 * @param intermediateSize      width of the SwiGLU feed-forward layer
 * @param numHiddenLayers       decoder layers
 * @param numAttentionHeads     query heads (H); hiddenSize must be a multiple
 * @param numKeyValueHeads      key/value heads (Hkv, a divisor of H): fewer means grouped-query attention
 * @param rmsNormEps            epsilon of every RMSNorm
 * @param ropeTheta             RoPE frequency base (10000 for Llama 2, 500000 for Llama 3)
 * @param ropeScaling           linear RoPE position scaling factor (1 for none)
 * @param maxPositionEmbeddings the longest sequence
 * @param tieWordEmbeddings     whether lm_head shares the token embedding's weight
 */
public record LlamaConfig(int vocabSize, int hiddenSize, int intermediateSize, int numHiddenLayers,
                          int numAttentionHeads, int numKeyValueHeads, double rmsNormEps, double ropeTheta,
                          double ropeScaling, int maxPositionEmbeddings, boolean tieWordEmbeddings) {
    public LlamaConfig {
        if (vocabSize <= 0 || hiddenSize <= 0 || intermediateSize <= 0 || numHiddenLayers <= 0
                || numAttentionHeads <= 0 || numKeyValueHeads <= 0 || maxPositionEmbeddings <= 0) {
            throw new IllegalArgumentException("LlamaConfig: all sizes must be positive");
        }
        if (hiddenSize % numAttentionHeads != 0 || numAttentionHeads % numKeyValueHeads != 0
                || (hiddenSize / numAttentionHeads) % 2 != 0) {
            throw new IllegalArgumentException("LlamaConfig: hiddenSize " + hiddenSize + " must be a multiple of "
                    + "numAttentionHeads " + numAttentionHeads + " (with an even head size), which must be a multiple of "
                    + "numKeyValueHeads " + numKeyValueHeads);
        }
    }

    /** Features per head (D). */
    public int headDim() {
        return hiddenSize / numAttentionHeads;
    }
}
