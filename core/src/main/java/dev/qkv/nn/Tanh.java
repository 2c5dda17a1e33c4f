package dev.qkv.nn;

import dev.qkv.tensor.Tensor;

/** tanh(x), elementwise (torch.nn.Tanh). */
public class Tanh extends UnaryModule {

    @Override
    public Tensor forward(Tensor x) {
        return x.tanh();
    }
}
