package dev.qkv.nn;

import dev.qkv.tensor.Tensor;

/**
 * Merges dims startDim..endDim into one, like {@code torch.nn.Flatten}; by default every dim
 * but the batch: [N, C, H, W] → [N, C·H·W], the step between the convolutional and the
 * fully connected part of a CNN.
 */
public class Flatten extends UnaryModule {
    public final int startDim;
    public final int endDim;

    public Flatten(int startDim, int endDim) {
        this.startDim = startDim;
        this.endDim = endDim;
    }

    /** Dims 1 to −1. */
    public Flatten() {
        this(1, -1);
    }

    @Override
    public Tensor forward(Tensor x) {
        return x.flatten(startDim, endDim);
    }

    @Override
    protected String extraRepr() {
        return "start_dim=" + startDim + ", end_dim=" + endDim;
    }
}
