package dev.qkv.autograd;

import dev.qkv.tensor.Tensor;

/**
 * The NaN/Inf checks behind {@link Autograd#detectAnomaly()}.
 *
 * <p>Forward: an op is blamed when its output holds NaN or ±Inf although all of its floating
 * inputs were finite, so intended infinities (a causal mask filled with −inf, then a softmax)
 * pass, and the op that first turned finite numbers into non-finite ones is named. Backward:
 * the engine checks the gradients a node's backward rule returns and names that node's op (not
 * the ops the rule is written with).
 */
final class AnomalyCheck {
    private AnomalyCheck() {
    }

    /** Throws if {@code out} is not finite while every input is. */
    static void forward(String op, Tensor out, Tensor[] inputs) {
        int bad = firstNonFinite(out);
        if (bad < 0) {
            return;
        }
        for (Tensor in : inputs) {
            if (firstNonFinite(in) >= 0) {
                return;                                   // it came in that way: not this op's doing
            }
        }
        throw anomaly(op, "forward output", out, bad);
    }

    /** Throws if a gradient computed by op's backward rule is not finite. */
    static void backward(String op, int input, Tensor grad) {
        int bad = firstNonFinite(grad);
        if (bad >= 0) {
            throw anomaly(op, "backward gradient for input " + input, grad, bad);
        }
    }

    private static ArithmeticException anomaly(String op, String what, Tensor t, int element) {
        double v = values(t)[element];
        return new ArithmeticException("anomaly: op '" + op + "' produced " + v + " in its " + what
                + " (shape " + java.util.Arrays.toString(t.shape()) + ", element " + element + ")");
    }

    /** The first NaN/Inf element (row-major index), or −1; non-floating tensors have none. */
    private static int firstNonFinite(Tensor t) {
        if (t == null || !t.dtype().isFloating()) {
            return -1;
        }
        double[] v = values(t);
        for (int i = 0; i < v.length; i++) {
            if (!Double.isFinite(v[i])) {
                return i;
            }
        }
        return -1;
    }

    private static double[] values(Tensor t) {
        try (var s = Autograd.noGrad()) {
            return t.toDoubleArray();
        }
    }
}
