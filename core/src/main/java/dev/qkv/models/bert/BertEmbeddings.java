package dev.qkv.models.bert;

import dev.qkv.nn.Dropout;
import dev.qkv.nn.Embedding;
import dev.qkv.nn.LayerNorm;
import dev.qkv.nn.Module;
import dev.qkv.tensor.DType;
import dev.qkv.tensor.Generator;
import dev.qkv.tensor.Tensor;

import java.util.Arrays;

/**
 * BERT's input: the sum of a token's word, position and token-type (segment) embeddings,
 * layer-normalized: LayerNorm(word[id] + position[t] + token_type[type]), then dropout.
 *
 * <p>Hugging Face's module also keeps a {@code position_ids} buffer (0, 1, ..., max − 1); here
 * positions are made on the fly, so checkpoints that contain the buffer need it left out.
 */
public final class BertEmbeddings extends Module {
    public final Embedding wordEmbeddings;
    public final Embedding positionEmbeddings;
    public final Embedding tokenTypeEmbeddings;
    public final LayerNorm layerNorm;
    public final Dropout dropout;
    private final BertConfig config;

    BertEmbeddings(BertConfig cfg, Generator g) {
        config = cfg;
        wordEmbeddings = registerModule("word_embeddings", new Embedding(cfg.vocabSize(), cfg.hiddenSize(), g));
        positionEmbeddings = registerModule("position_embeddings",
                new Embedding(cfg.maxPositionEmbeddings(), cfg.hiddenSize(), g));
        tokenTypeEmbeddings = registerModule("token_type_embeddings",
                new Embedding(cfg.typeVocabSize(), cfg.hiddenSize(), g));
        layerNorm = registerModule("LayerNorm", new LayerNorm(new int[] {cfg.hiddenSize()}, cfg.layerNormEps(), true));
        dropout = registerModule("dropout", new Dropout(cfg.hiddenDropoutProb(), g));
    }

    /**
     * @param inputIds     [B, T] token ids
     * @param tokenTypeIds [B, T] segment ids, or null for all zeros
     * @return [B, T, C]
     */
    public Tensor forward(Tensor inputIds, Tensor tokenTypeIds) {
        if (inputIds.dim() != 2 || inputIds.dtype().isFloating()) {
            throw new IllegalArgumentException("BertEmbeddings: inputIds must be integer ids [B, T], got "
                    + inputIds.dtype() + " " + Arrays.toString(inputIds.shape()));
        }
        int t = inputIds.size(1);
        if (t > config.maxPositionEmbeddings()) {
            throw new IllegalArgumentException("BertEmbeddings: sequence length " + t + " exceeds the "
                    + config.maxPositionEmbeddings() + " position embeddings");
        }
        if (tokenTypeIds != null && !Arrays.equals(tokenTypeIds.shape(), inputIds.shape())) {
            throw new IllegalArgumentException("BertEmbeddings: tokenTypeIds " + Arrays.toString(tokenTypeIds.shape())
                    + " must have the shape of inputIds " + Arrays.toString(inputIds.shape()));
        }
        Tensor types = tokenTypeIds != null ? tokenTypeIds : Tensor.zeros(DType.INT64, inputIds.device(), inputIds.shape());
        Tensor positions = Tensor.arange(t).to(inputIds.device());                    // (T)
        Tensor x = wordEmbeddings.forward(inputIds)                                    // (B, T, C)
                .add(positionEmbeddings.forward(positions))                           // + (T, C)
                .add(tokenTypeEmbeddings.forward(types));                             // + (B, T, C)
        return dropout.forward(layerNorm.forward(x));
    }
}
