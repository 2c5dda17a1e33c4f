package dev.qkv.autograd;

import dev.qkv.tensor.Tensor;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reverse-mode differentiation: sort the graph topologically, then walk it backwards, handing
 * each node the gradient of its output and adding what it returns into its inputs' gradients.
 *
 * <p>The gradients flowing through the graph are the engine's own: nobody else holds them (a
 * leaf's {@code grad} is a copy). So once a node has consumed its gradient, and a sum has replaced
 * two partial ones, their buffers are closed at once where the device's memory is not the JVM's
 * (a {@link AutoCloseable} storage: the GPU), unless another pending gradient shares the buffer
 * (a pass-through rule such as add's hands the same tensor to both inputs). On the GPU that
 * returns about half of a training step's garbage without waiting for the JVM's collector, as
 * PyTorch's reference counting does; on the CPU there is nothing to close.
 */
public final class Engine {
    private Engine() {
    }

    /**
     * Computes d(root)/d(leaf) for every leaf that requires grad and adds it into the leaf's
     * {@code grad}. {@code gradient} is d(loss)/d(root): ones for a scalar loss.
     */
    public static void backward(Tensor root, Tensor gradient) {
        if (!root.requiresGrad()) {
            throw new IllegalStateException("backward: the tensor does not require grad and has no grad_fn "
                    + "(did you compute it under noGrad, or from tensors without requiresGrad?)");
        }
        if (!gradient.device().equals(root.device())) {
            throw new IllegalArgumentException("backward: gradient is on " + gradient.device() + " but the tensor is on "
                    + root.device());
        }
        if (!Arrays.equals(gradient.shape(), root.shape())) {
            throw new IllegalArgumentException("backward: gradient shape " + Arrays.toString(gradient.shape())
                    + " does not match the tensor's shape " + Arrays.toString(root.shape()));
        }
        try (var scope = Autograd.noGrad()) {
            List<Tensor> order = topologicalOrder(root);
            Map<Tensor, Tensor> grads = new IdentityHashMap<>();
            grads.put(root, gradient);
            List<Tensor> consumed = new ArrayList<>();       // gradients that may be dead after this node
            // Reverse topological order: every consumer of a tensor runs before the tensor itself,
            // so its gradient is complete when we reach it.
            for (int i = order.size() - 1; i >= 0; i--) {
                Tensor t = order.get(i);
                Tensor g = grads.remove(t);
                Node node = t.gradFn();
                if (g == null) {
                    continue;
                }
                if (node == null) {
                    t.accumulateGrad(g);                      // a leaf: gradients accumulate (+=) into a copy
                    consumed.add(g);
                    closeUnshared(consumed, grads, gradient);
                    continue;
                }
                if (node.released()) {
                    throw new IllegalStateException("backward: the graph through '" + node.op()
                            + "' was already released by an earlier backward(); run the forward again");
                }
                Tensor[] inputs = node.inputs();
                Tensor[] inGrads;
                try (var rule = Autograd.backwardRule()) {
                    inGrads = node.apply(g);
                }
                for (int k = 0; k < inputs.length; k++) {
                    Tensor in = inputs[k];
                    if (in == null || !in.requiresGrad() || inGrads[k] == null) {
                        continue;
                    }
                    // Broadcasting in the forward means summing in the backward: done here, once.
                    // A gradient has its tensor's dtype (a float32 input of a float64 op gets float32).
                    Tensor gi = inGrads[k].sumToShape(in.shape());
                    if (gi.dtype() != in.dtype()) {
                        gi = gi.to(in.dtype());
                    }
                    if (Autograd.isAnomalyEnabled()) {
                        AnomalyCheck.backward(node.op(), k, gi);
                    }
                    consumed.add(inGrads[k]);
                    Tensor before = grads.get(in);
                    if (before == null) {
                        grads.put(in, gi);
                    } else {
                        grads.put(in, before.add(gi));
                        consumed.add(before);
                        consumed.add(gi);
                    }
                }
                node.release();
                consumed.add(g);
                closeUnshared(consumed, grads, gradient);
            }
        }
    }

    /**
     * Closes the buffers of {@code consumed} gradients that no pending gradient (a value of
     * {@code grads}) and not the caller's {@code gradient} share, where buffers are closeable
     * (device memory); clears the list.
     */
    static void closeUnshared(List<Tensor> consumed, Map<Tensor, Tensor> grads, Tensor gradient) {
        Set<Object> live = null;
        for (Tensor c : consumed) {
            if (c == null || !(c.storage() instanceof AutoCloseable closeable)) {
                continue;
            }
            if (live == null) {
                live = Collections.newSetFromMap(new IdentityHashMap<>());
                live.add(gradient.storage());
                for (Tensor pending : grads.values()) {
                    live.add(pending.storage());
                }
            }
            if (live.add(c.storage())) {                      // first time seen, and nobody else's
                try {
                    closeable.close();
                } catch (Exception e) {
                    throw new IllegalStateException("backward: closing a consumed gradient's buffer failed", e);
                }
            }
        }
        consumed.clear();
    }

    /** Tensors reachable from root through grad_fn edges, each after all of its inputs. */
    static List<Tensor> topologicalOrder(Tensor root) {
        List<Tensor> order = new ArrayList<>();
        Set<Tensor> visited = Collections.newSetFromMap(new IdentityHashMap<>());
        // Iterative post-order DFS, so deep graphs (long RNN-like chains) cannot overflow the stack.
        ArrayDeque<Object[]> stack = new ArrayDeque<>();
        stack.push(new Object[] {root, 0});
        visited.add(root);
        while (!stack.isEmpty()) {
            Object[] frame = stack.peek();
            Tensor t = (Tensor) frame[0];
            int next = (Integer) frame[1];
            Node node = t.gradFn();
            Tensor[] inputs = node == null || node.released() ? new Tensor[0] : node.inputs();
            if (next < inputs.length) {
                frame[1] = next + 1;
                Tensor in = inputs[next];
                if (in != null && in.requiresGrad() && visited.add(in)) {
                    stack.push(new Object[] {in, 0});
                }
            } else {
                stack.pop();
                order.add(t);
            }
        }
        return order;
    }
}
