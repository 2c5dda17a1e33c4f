package dev.qkv.nn;

import dev.qkv.tensor.Tensor;

/** max(x, 0), elementwise (torch.nn.ReLU). */
public class ReLU extends UnaryModule {

    @Override
    public Tensor forward(Tensor x) {
        return x.relu();
    }
}
