package dev.qkv.nn;

import dev.qkv.tensor.Tensor;

/**
 * A module with one input and one output, y = forward(x): the layers of this package, and
 * anything that can sit in a {@link Sequential}.
 */
public abstract class UnaryModule extends Module {

    public abstract Tensor forward(Tensor x);
}
