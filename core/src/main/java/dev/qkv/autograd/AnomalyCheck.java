package dev.qkv.autograd;

import dev.qkv.tensor.Tensor;

/** The NaN/Inf check behind {@link Autograd#detectAnomaly()}. */
final class AnomalyCheck {
    private AnomalyCheck() {
    }

    static void check(String op, String what, Tensor t) {
        if (t == null || !t.dtype().isFloating()) {
            return;
        }
        double[] v;
        try (var s = Autograd.noGrad()) {
            v = t.toDoubleArray();
        }
        for (int i = 0; i < v.length; i++) {
            if (Double.isNaN(v[i]) || Double.isInfinite(v[i])) {
                throw new ArithmeticException("anomaly: op '" + op + "' produced " + v[i] + " in its " + what
                        + " (shape " + java.util.Arrays.toString(t.shape()) + ", element " + i + ")");
            }
        }
    }
}
