package dev.qkv.nn;

import dev.qkv.tensor.Tensor;

/**
 * Layers applied one after another, like {@code torch.nn.Sequential}; the children are named
 * "0", "1", ... so parameters are named {@code 0.weight}, {@code 2.bias}, ... as in PyTorch.
 */
public class Sequential extends UnaryModule {
    private final UnaryModule[] layers;

    public Sequential(UnaryModule... layers) {
        this.layers = layers.clone();
        for (int i = 0; i < layers.length; i++) {
            registerModule(Integer.toString(i), layers[i]);
        }
    }

    @Override
    public Tensor forward(Tensor x) {
        for (UnaryModule layer : layers) {
            x = layer.forward(x);
        }
        return x;
    }

    /** The i-th layer. */
    public UnaryModule get(int i) {
        if (i < 0 || i >= layers.length) {
            throw new IndexOutOfBoundsException("Sequential.get: index " + i + " out of range for " + layers.length
                    + " layers");
        }
        return layers[i];
    }

    public int size() {
        return layers.length;
    }
}
