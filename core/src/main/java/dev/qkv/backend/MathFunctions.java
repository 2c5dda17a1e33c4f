package dev.qkv.backend;

/** Special functions the JDK lacks, accurate to double precision. */
public final class MathFunctions {
    public static final double SQRT_2_OVER_PI = Math.sqrt(2.0 / Math.PI);
    private static final double TWO_OVER_SQRT_PI = 2.0 / Math.sqrt(Math.PI);

    private MathFunctions() {
    }

    /**
     * The error function. For |x| &lt; 6 it sums the series
     * erf(x) = 2/√π · e^(−x²) · Σ 2ⁿ x^(2n+1) / (1·3·5···(2n+1)), whose terms are all positive
     * (no cancellation), so it is accurate to about 1e-16; beyond 6, erf is ±1 in double.
     */
    public static double erf(double x) {
        if (Double.isNaN(x)) {
            return x;
        }
        double ax = Math.abs(x);
        if (ax >= 6.0) {
            return Math.signum(x);
        }
        double term = ax;
        double sum = ax;
        double x2 = ax * ax;
        for (int n = 1; n < 500; n++) {
            term *= 2.0 * x2 / (2 * n + 1);
            sum += term;
            if (term < sum * 1e-17) {
                break;
            }
        }
        double r = TWO_OVER_SQRT_PI * Math.exp(-x2) * sum;
        return x < 0 ? -r : r;
    }
}
