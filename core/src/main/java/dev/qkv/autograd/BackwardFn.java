package dev.qkv.autograd;

import dev.qkv.tensor.Tensor;

/**
 * The backward rule of one op application: given the gradient of the loss with respect to the
 * op's output, return the gradient for each input (in the order the inputs were recorded; null
 * for an input that needs none). Written with tensor ops, so it runs on every backend. The
 * engine sums broadcast gradients back to each input's shape, so a rule may return the
 * gradient in the output's (broadcast) shape.
 */
@FunctionalInterface
public interface BackwardFn {
    Tensor[] apply(Tensor gradOutput);
}
