package dev.qkv.nn;

import dev.qkv.tensor.Tensor;

/** x·σ(x), also called swish, elementwise (torch.nn.SiLU). */
public class SiLU extends UnaryModule {

    @Override
    public Tensor forward(Tensor x) {
        return x.silu();
    }
}
