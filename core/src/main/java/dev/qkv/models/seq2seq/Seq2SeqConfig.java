package dev.qkv.models.seq2seq;

/**
 * The shape of an encoder-decoder Transformer (Vaswani et al., 2017).
 *
 * @param srcVocabSize      token ids of the source language
 * @param tgtVocabSize      token ids of the target language
 * @param dModel            width of every hidden state (C); a multiple of nHead, and even (sinusoids)
 * @param nHead             attention heads per attention layer
 * @param numEncoderLayers  encoder layers
 * @param numDecoderLayers  decoder layers
 * @param dimFeedforward    width of each feed-forward block's hidden layer (original: 4·dModel)
 * @param dropout           dropout probability in training (embeddings, attention, residuals)
 * @param maxLen            longest source or target sequence (the size of the position table)
 * @param normFirst         pre-norm layers (true; then the stacks end with a LayerNorm) or the
 *                          original post-norm (false)
 * @param shareEmbeddings   one embedding table for source and target (needs equal vocabularies,
 *                          as T5's shared vocabulary)
 * @param tieOutput         the output projection reuses the target embedding's weight
 */
public record Seq2SeqConfig(int srcVocabSize, int tgtVocabSize, int dModel, int nHead, int numEncoderLayers,
                            int numDecoderLayers, int dimFeedforward, double dropout, int maxLen, boolean normFirst,
                            boolean shareEmbeddings, boolean tieOutput) {
    public Seq2SeqConfig {
        if (srcVocabSize <= 0 || tgtVocabSize <= 0 || dModel <= 0 || nHead <= 0 || numEncoderLayers <= 0
                || numDecoderLayers <= 0 || dimFeedforward <= 0 || maxLen <= 0 || dModel % nHead != 0 || dModel % 2 != 0) {
            throw new IllegalArgumentException("Seq2SeqConfig: sizes must be positive, dModel even and a multiple of "
                    + "nHead, got srcVocabSize=" + srcVocabSize + " tgtVocabSize=" + tgtVocabSize + " dModel=" + dModel
                    + " nHead=" + nHead + " numEncoderLayers=" + numEncoderLayers + " numDecoderLayers="
                    + numDecoderLayers + " dimFeedforward=" + dimFeedforward + " maxLen=" + maxLen);
        }
        if (shareEmbeddings && srcVocabSize != tgtVocabSize) {
            throw new IllegalArgumentException("Seq2SeqConfig: shared embeddings need one vocabulary, got srcVocabSize="
                    + srcVocabSize + " and tgtVocabSize=" + tgtVocabSize);
        }
        if (!(dropout >= 0 && dropout < 1)) {
            throw new IllegalArgumentException("Seq2SeqConfig: dropout must be in [0, 1), got " + dropout);
        }
    }

    /** One vocabulary for both sides, shared and tied embeddings, pre-norm, dimFeedforward = 4·dModel. */
    public static Seq2SeqConfig shared(int vocabSize, int dModel, int nHead, int numLayers, double dropout, int maxLen) {
        return new Seq2SeqConfig(vocabSize, vocabSize, dModel, nHead, numLayers, numLayers, 4 * dModel, dropout, maxLen,
                true, true, true);
    }

    /** The base model of "Attention Is All You Need": 6 + 6 post-norm layers, C = 512, 8 heads, 2048. */
    public static Seq2SeqConfig transformerBase(int vocabSize) {
        return new Seq2SeqConfig(vocabSize, vocabSize, 512, 8, 6, 6, 2048, 0.1, 512, false, true, true);
    }
}
