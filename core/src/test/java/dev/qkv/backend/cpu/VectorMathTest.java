package dev.qkv.backend.cpu;

import dev.qkv.backend.MathFunctions;
import dev.qkv.backend.UnaryOp;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.api.Test;

import java.util.function.DoubleUnaryOperator;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Accuracy of the float32 special functions in {@link VectorMath}, scalar twin and vector form,
 * against the double-precision definitions, on a dense grid: the error is measured, not assumed.
 */
class VectorMathTest {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    /** An array kernel y = f(x), as in {@link VectorMath}. */
    private interface Kernel {
        void apply(float[] x, int xi, float[] y, int yi, int n);
    }

    /**
     * The array kernel applied to one value: placed in lane 0 of a block two vectors long, so
     * the SIMD loop (not the scalar tail) computes it.
     */
    private static float lane(Kernel k, float x) {
        float[] in = new float[2 * S.length()];
        java.util.Arrays.fill(in, x);
        float[] out = new float[in.length];
        k.apply(in, 0, out, 0, in.length);
        return out[0];
    }

    /** Largest |f(x) − ref(x)| / (|ref(x)| + floor) over x = from, from + step, ..., to. */
    private static double maxError(DoubleUnaryOperator f, DoubleUnaryOperator ref, double from, double to, double step,
                                   double floor) {
        double worst = 0;
        for (double x = from; x <= to; x += step) {
            float xf = (float) x;
            double r = ref.applyAsDouble(xf);
            worst = Math.max(worst, Math.abs(f.applyAsDouble(xf) - r) / (Math.abs(r) + floor));
        }
        return worst;
    }

    /** e^x within 2 ulp (2.4e-7 relative) wherever the result is a normal float. */
    @Test
    void expIsFloatAccurate() {
        double scalar = maxError(x -> VectorMath.exp((float) x), Math::exp, -87, 88.7, 1e-3, 0);
        double vector = maxError(x -> lane(VectorMath::exp, (float) x), Math::exp, -87, 88.7, 1e-3, 0);
        assertTrue(scalar < 2.4e-7 && vector < 2.4e-7, "exp relative error: scalar " + scalar + ", vector " + vector);
    }

    /** Overflow, underflow into subnormals and zero, infinities and NaN. */
    @Test
    void expEdges() {
        for (float x : new float[] {89f, 100f, Float.POSITIVE_INFINITY, -95f, -103f, -110f, Float.NEGATIVE_INFINITY,
                Float.NaN, 0f, -0f}) {
            float expected = (float) Math.exp(x);
            float[] got = {VectorMath.exp(x), lane(VectorMath::exp, x)};
            for (float g : got) {
                // subnormal results: within one subnormal step (2⁻¹⁴⁹) per scaling
                assertTrue(Float.compare(expected, g) == 0 || Math.abs(expected - g) <= 2 * Float.MIN_VALUE,
                        "exp(" + x + ") = " + expected + ", got " + g);
            }
        }
    }

    /** tanh within 3 ulp relative, on both sides of the switch from series to exp at |x| = 0.3. */
    @Test
    void tanhIsFloatAccurate() {
        double scalar = maxError(x -> VectorMath.tanh((float) x), Math::tanh, -12, 12, 1e-4, 0);
        double vector = maxError(x -> lane(VectorMath::tanh, (float) x), Math::tanh, -12, 12, 1e-4, 0);
        assertTrue(scalar < 3.6e-7 && vector < 3.6e-7, "tanh relative error: scalar " + scalar + ", vector " + vector);
        for (float x : new float[] {Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN, 0f, -0f, 1e-30f}) {
            assertTrue(Float.compare((float) Math.tanh(x), lane(VectorMath::tanh, x)) == 0, "tanh(" + x + ")");
        }
    }

    /**
     * Φ(x) = ½·erfc(−x/√2) keeps a small *relative* error, also in its lower tail: the erfc fit's
     * 1.2e-7 plus float rounding of −z² + P(t) inside the exp (an absolute error of ~ulp(z²) there
     * is a relative error of the result), about 2e-6 at x = −4.2, far inside the contract's 1e-5. The reference ½(1 + erf(x/√2)) is
     * exact enough in double down to x ≈ −4.2 (Φ ≈ 1e-5).
     */
    @Test
    void normalCdfHasSmallRelativeError() {
        DoubleUnaryOperator ref = x -> 0.5 * (1 + MathFunctions.erf(x / Math.sqrt(2)));
        double scalar = maxError(x -> VectorMath.normalCdf((float) x), ref, -4.2, 8, 1e-4, 0);
        double vector = maxError(x -> lane(VectorMath::normalCdf, (float) x), ref, -4.2, 8, 1e-4, 0);
        assertTrue(scalar < 3e-6 && vector < 3e-6, "Φ relative error: scalar " + scalar + ", vector " + vector);
    }

    /**
     * Exact GELU and its derivative within 3e-6 relative, far inside the contract's 1e-5. The
     * floors: GELU is ~x/2 near 0, and GELU's derivative Φ(x) + x·φ(x) crosses zero at x ≈ −0.75
     * where its two terms (~0.23 each) cancel, so it is measured against the size of the terms.
     */
    @Test
    void geluAndItsGradientAreFloatAccurate() {
        double[] errors = {
                maxError(x -> (float) x * VectorMath.normalCdf((float) x), UnaryOp.GELU::apply, -10, 10, 1e-3, 1e-6),
                maxError(x -> x * lane(VectorMath::normalCdf, (float) x), UnaryOp.GELU::apply, -10, 10, 1e-3, 1e-6),
                maxError(x -> VectorMath.normalCdf((float) x) + x * VectorMath.normalPdf((float) x), UnaryOp.GELU_GRAD::apply, -10, 10, 1e-3, 0.05),
                maxError(x -> lane(VectorMath::normalCdf, (float) x) + x * lane(VectorMath::normalPdf, (float) x), UnaryOp.GELU_GRAD::apply, -10, 10, 1e-3, 0.05)};
        for (double e : errors) {
            assertTrue(e < 3e-6, "GELU, GELU_GRAD (scalar, vector) errors " + java.util.Arrays.toString(errors));
        }
    }

    /**
     * x·Φ(x) in the negative tail keeps its relative accuracy (an absolute-error erf would not).
     * Not beyond −5: there the double definition's 1 + erf(x/√2) itself cancels (erfc(3.5) ≈ 7e-7).
     */
    @Test
    void geluTailIsRelativelyAccurate() {
        double worst = maxError(x -> x * lane(VectorMath::normalCdf, (float) x), UnaryOp.GELU::apply, -5, -2, 1e-3, 0);
        assertTrue(worst < 3e-6, "GELU tail relative error " + worst);
    }
}
