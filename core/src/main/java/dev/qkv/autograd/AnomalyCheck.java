package dev.qkv.autograd;

import dev.qkv.tensor.Tensor;

/**
 * The NaN/Inf checks behind {@link Autograd#detectAnomaly()}.
 *
 * <p>Forward: an op is blamed when it makes a NaN although none of its inputs held one, or an
 * infinity although all of its inputs were finite. So intended infinities pass (a causal mask
 * filled with −inf, then a softmax), while the op that first produced a bad value is named,
 * including a NaN made from infinities (a softmax over a row that is all −inf). Backward: the
 * engine checks the gradients a node's backward rule returns and names that node's op (not the
 * ops the rule is written with).
 */
final class AnomalyCheck {
    private AnomalyCheck() {
    }

    /** Throws if {@code out} has a NaN none of the inputs had, or an infinity from finite inputs. */
    static void forward(String op, Tensor out, Tensor[] inputs) {
        int bad = firstNonFinite(out, false);
        if (bad < 0) {
            return;
        }
        int nan = firstNonFinite(out, true);
        boolean inputNaN = false;
        boolean inputNonFinite = false;
        for (Tensor in : inputs) {
            inputNaN |= firstNonFinite(in, true) >= 0;
            inputNonFinite |= firstNonFinite(in, false) >= 0;
        }
        if (nan >= 0 && !inputNaN) {
            throw anomaly(op, "forward output", out, nan);
        }
        if (!inputNonFinite) {
            throw anomaly(op, "forward output", out, bad);
        }
    }

    /** Throws if a gradient computed by op's backward rule is not finite. */
    static void backward(String op, int input, Tensor grad) {
        int bad = firstNonFinite(grad, false);
        if (bad >= 0) {
            throw anomaly(op, "backward gradient for input " + input, grad, bad);
        }
    }

    private static ArithmeticException anomaly(String op, String what, Tensor t, int element) {
        double v = values(t)[element];
        return new ArithmeticException("anomaly: op '" + op + "' produced " + v + " in its " + what
                + " (shape " + java.util.Arrays.toString(t.shape()) + ", element " + element + ")");
    }

    /** The first NaN (or, unless nanOnly, NaN/Inf) element as a row-major index, or −1. */
    private static int firstNonFinite(Tensor t, boolean nanOnly) {
        if (t == null || !t.dtype().isFloating()) {
            return -1;
        }
        double[] v = values(t);
        for (int i = 0; i < v.length; i++) {
            if (nanOnly ? Double.isNaN(v[i]) : !Double.isFinite(v[i])) {
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
