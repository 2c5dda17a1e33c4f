package dev.qkv.nn;

import dev.qkv.nn.functional.F;
import dev.qkv.tensor.Generator;
import dev.qkv.tensor.Tensor;

/**
 * A lookup table, like {@code torch.nn.Embedding}: integer ids of any shape pick rows of the
 * weight, giving ids.shape + [embeddingDim]. Initialized N(0, 1) as in PyTorch.
 */
public class Embedding extends UnaryModule {
    public final int numEmbeddings;
    public final int embeddingDim;
    /** [numEmbeddings, embeddingDim]. */
    public final Parameter weight;

    public Embedding(int numEmbeddings, int embeddingDim, Generator g) {
        if (numEmbeddings <= 0 || embeddingDim <= 0) {
            throw new IllegalArgumentException("Embedding: sizes must be positive, got numEmbeddings=" + numEmbeddings
                    + " embeddingDim=" + embeddingDim);
        }
        this.numEmbeddings = numEmbeddings;
        this.embeddingDim = embeddingDim;
        this.weight = registerParameter("weight", new Parameter(Tensor.zeros(numEmbeddings, embeddingDim)));
        Init.normal_(weight, 0, 1, g);
    }

    /** ids: an integer tensor with values in [0, numEmbeddings). */
    @Override
    public Tensor forward(Tensor ids) {
        if (ids.dtype().isFloating()) {
            throw new IllegalArgumentException("Embedding: ids must be an integer tensor, got " + ids.dtype());
        }
        return F.embedding(ids, weight);
    }

    @Override
    protected String extraRepr() {
        return numEmbeddings + ", " + embeddingDim;
    }
}
