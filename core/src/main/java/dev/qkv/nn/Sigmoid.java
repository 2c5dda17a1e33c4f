package dev.qkv.nn;

import dev.qkv.tensor.Tensor;

/** 1/(1 + e^−x), elementwise (torch.nn.Sigmoid). */
public class Sigmoid extends UnaryModule {

    @Override
    public Tensor forward(Tensor x) {
        return x.sigmoid();
    }
}
