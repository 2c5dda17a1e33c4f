package dev.qkv.autograd;

import dev.qkv.tensor.Tensor;

/**
 * One recorded op application in the graph: its name, its inputs and its backward rule. A
 * tensor produced by an op points at its node ({@link Tensor#gradFn()}); following the inputs'
 * nodes walks the graph back to the leaves. {@link Engine#backward} releases each node after
 * using it, which frees whatever its backward rule saved.
 */
public final class Node {
    private final String op;
    private Tensor[] inputs;
    private BackwardFn backward;

    Node(String op, BackwardFn backward, Tensor[] inputs) {
        this.op = op;
        this.backward = backward;
        this.inputs = inputs;
    }

    /** The op's name, e.g. "matmul". */
    public String op() {
        return op;
    }

    Tensor[] inputs() {
        return inputs;
    }

    boolean released() {
        return backward == null;
    }

    Tensor[] apply(Tensor grad) {
        return backward.apply(grad);
    }

    void release() {
        backward = null;
        inputs = null;
    }

    @Override
    public String toString() {
        return op + "Backward";
    }
}
