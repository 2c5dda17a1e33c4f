package dev.qkv.backend;

import dev.qkv.backend.cpu.CpuStorage;

import java.util.function.IntToDoubleFunction;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Element-by-element comparison of a result with the reference's. Integer and BOOL buffers must
 * be equal; floating ones within a tolerance. NaN must meet NaN and an infinity the same
 * infinity. The failure message names the case, the first bad element and how many are bad.
 */
final class Compare {
    private Compare() {
    }

    /**
     * |actual − expected| ≤ atol + rtol·|expected|. With {@code scaled}, atol is multiplied by
     * max(1, max |expected|): for results that are sums of many terms, whose rounding error
     * follows the size of the terms rather than of each result.
     */
    record Tol(double rtol, double atol, boolean scaled) {
        static Tol of(double rtol, double atol) {
            return new Tol(rtol, atol, false);
        }

        static Tol scaled(double rtol, double atol) {
            return new Tol(rtol, atol, true);
        }
    }

    /** Exact comparisons for FLOAT64 runs through these on the CPU; a device's libm gets a few ulp. */
    static final Tol F64 = Tol.of(1e-12, 1e-12);

    static void close(String what, CpuStorage expected, CpuStorage actual, Tol tol) {
        double scale = 1;
        if (tol.scaled()) {
            for (int i = 0; i < expected.size(); i++) {
                double e = Math.abs(expected.get(i));
                if (Double.isFinite(e)) {
                    scale = Math.max(scale, e);
                }
            }
        }
        double atol = tol.atol() * scale;
        within(what, expected, actual, i -> atol + tol.rtol() * Math.abs(expected.get(i)));
    }

    /** |actual[i] − expected[i]| ≤ allowed(i) for floating buffers; equality otherwise. */
    static void within(String what, CpuStorage expected, CpuStorage actual, IntToDoubleFunction allowed) {
        assertEquals(expected.dtype(), actual.dtype(), what + ": dtype");
        assertEquals(expected.size(), actual.size(), what + ": storage size");
        boolean floating = expected.dtype().isFloating();
        int bad = 0;
        String first = null;
        for (int i = 0; i < expected.size(); i++) {
            double e = expected.get(i);
            double a = actual.get(i);
            boolean ok;
            if (!floating || Double.isNaN(e) || Double.isInfinite(e)) {
                ok = Double.compare(e, a) == 0 || (e == a);       // exact; NaN only matches NaN
            } else {
                ok = Math.abs(a - e) <= allowed.applyAsDouble(i);
            }
            if (!ok) {
                if (first == null) {
                    first = "element " + i + ": expected " + e + ", got " + a
                            + (floating ? " (|diff| " + Math.abs(a - e) + " > allowed " + allowed.applyAsDouble(i) + ")" : "");
                }
                bad++;
            }
        }
        if (bad > 0) {
            fail(what + ": " + bad + " of " + expected.size() + " elements differ; first " + first);
        }
    }
}
