package dev.qkv.models.gpt;

/**
 * The shape of a GPT-2-style model.
 *
 * @param vocabSize  number of token ids (V)
 * @param blockSize  longest sequence, the size of the position table (T max)
 * @param nLayer     transformer blocks
 * @param nHead      attention heads per block (NH); nEmbd must be a multiple
 * @param nEmbd      width of the residual stream (C)
 * @param dropout    dropout probability in training (embeddings, attention, residuals)
 * @param bias       whether Linear and LayerNorm layers have biases (GPT-2: true)
 * @param layerNormEps epsilon of every LayerNorm (GPT-2: 1e-5)
 */
public record GPTConfig(int vocabSize, int blockSize, int nLayer, int nHead, int nEmbd, double dropout, boolean bias,
                        double layerNormEps) {
    public GPTConfig {
        if (vocabSize <= 0 || blockSize <= 0 || nLayer <= 0 || nHead <= 0 || nEmbd <= 0 || nEmbd % nHead != 0) {
            throw new IllegalArgumentException("GPTConfig: sizes must be positive and nEmbd a multiple of nHead, got "
                    + "vocabSize=" + vocabSize + " blockSize=" + blockSize + " nLayer=" + nLayer + " nHead=" + nHead
                    + " nEmbd=" + nEmbd);
        }
        if (dropout < 0 || dropout >= 1) {
            throw new IllegalArgumentException("GPTConfig: dropout must be in [0, 1), got " + dropout);
        }
    }

    /** A GPT-2 config with its usual defaults (bias, eps 1e-5). */
    public static GPTConfig of(int vocabSize, int blockSize, int nLayer, int nHead, int nEmbd, double dropout) {
        return new GPTConfig(vocabSize, blockSize, nLayer, nHead, nEmbd, dropout, true, 1e-5);
    }

    /** GPT-2 small: 124M parameters. */
    public static GPTConfig gpt2Small() {
        return of(50257, 1024, 12, 12, 768, 0.0);
    }

    /** Features per head (HS). */
    public int headSize() {
        return nEmbd / nHead;
    }
}
