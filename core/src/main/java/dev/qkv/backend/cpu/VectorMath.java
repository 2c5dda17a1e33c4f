package dev.qkv.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * float32 special functions for the vector kernels, each with a scalar float twin that computes
 * the same formula one value at a time (the readable version, and what the tests measure). The
 * double-precision definitions are in {@link dev.qkv.backend.UnaryOp}; {@code VectorMathTest}
 * measures these against them on a dense grid.
 *
 * <p>Why not the Vector API's own {@code lanewise(EXP)}, {@code TANH}, ...: their results are
 * not reproducible. Interpreted and C1-compiled code computes them lane by lane with
 * {@link Math}, C2-compiled code calls a vector math library, and the two differ in the last bit
 * for some inputs, so a softmax would give different bits before and after the JIT warms up.
 * exp and tanh here use only +, −, ×, ÷, FMA, conversions and bit moves, which IEEE 754 and the
 * Vector API define exactly, so every tier gives the same bits. (LOG, SIN, COS, POW and LOG1P
 * still use the Vector API's; none of them is in a training step's hot path.) There is no erf in
 * the Vector API at all, and exact GELU needs one.
 */
final class VectorMath {
    private VectorMath() {
    }

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private static final float INV_SQRT2 = (float) (1.0 / Math.sqrt(2.0));
    private static final float INV_SQRT_2PI = (float) (1.0 / Math.sqrt(2.0 * Math.PI));
    private static final float SQRT_2_OVER_PI = (float) Math.sqrt(2.0 / Math.PI);

    // ----- exp -----

    private static final float LOG2E = (float) (1 / Math.log(2));
    /** ln 2 split in two (Cody–Waite): k·ln 2 is subtracted in two steps so r keeps its low bits. */
    private static final float LN2_HI = (float) Math.log(2);
    private static final float LN2_LO = (float) (Math.log(2) - LN2_HI);
    /** 1.5·2²³: adding and subtracting it rounds a float of magnitude &lt; 2²² to the nearest integer. */
    private static final float ROUND = 12582912f;
    // e^r for |r| ≤ ln2/2 by its Taylor series to r⁷ (the next term is below 5e-9 relative).
    private static final float E2 = 1f / 2, E3 = 1f / 6, E4 = 1f / 24, E5 = 1f / 120, E6 = 1f / 720, E7 = 1f / 5040;

    /**
     * e^x = 2^k · e^r with k = round(x / ln 2) and r = x − k·ln 2 in [−ln2/2, ln2/2]; 2^k is
     * built from its exponent bits, as 2^(k/2)·2^(k − k/2) so that results that overflow or fall
     * into the subnormal range round correctly. Within ~2 ulp of the true value.
     */
    static float exp(float x) {
        if (Float.isNaN(x)) {
            return x;
        }
        float xc = Math.min(Math.max(x, -104f), 89f);       // e^x is 0 below, ∞ above, in float
        float k = xc * LOG2E + ROUND - ROUND;
        float r = Math.fma(k, -LN2_HI, xc);
        r = Math.fma(k, -LN2_LO, r);
        float p = E7;
        p = Math.fma(p, r, E6);
        p = Math.fma(p, r, E5);
        p = Math.fma(p, r, E4);
        p = Math.fma(p, r, E3);
        p = Math.fma(p, r, E2);
        p = Math.fma(p, r, 1f);
        p = Math.fma(p, r, 1f);
        int ki = (int) k;
        int k1 = ki >> 1;
        return p * Float.intBitsToFloat((k1 + 127) << 23) * Float.intBitsToFloat((ki - k1 + 127) << 23);
    }

    static FloatVector exp(FloatVector x) {
        FloatVector xc = x.max(-104f).min(89f);
        FloatVector k = xc.mul(LOG2E).add(ROUND).sub(ROUND);
        FloatVector r = k.fma(FloatVector.broadcast(S, -LN2_HI), xc);
        r = k.fma(FloatVector.broadcast(S, -LN2_LO), r);
        FloatVector p = FloatVector.broadcast(S, E7);
        p = p.fma(r, FloatVector.broadcast(S, E6));
        p = p.fma(r, FloatVector.broadcast(S, E5));
        p = p.fma(r, FloatVector.broadcast(S, E4));
        p = p.fma(r, FloatVector.broadcast(S, E3));
        p = p.fma(r, FloatVector.broadcast(S, E2));
        p = p.fma(r, FloatVector.broadcast(S, 1f));
        p = p.fma(r, FloatVector.broadcast(S, 1f));
        IntVector ki = (IntVector) k.convert(VectorOperators.F2I, 0);
        IntVector k1 = ki.lanewise(VectorOperators.ASHR, 1);
        FloatVector two1 = k1.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        FloatVector two2 = ki.sub(k1).add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        return p.mul(two1).mul(two2).blend(x, x.test(VectorOperators.IS_NAN));
    }

    // ----- tanh -----

    /** Below this |x|, tanh uses its series (1 − 2/(e^2x + 1) would cancel); above, it uses exp. */
    private static final float TANH_SMALL = 0.3f;
    // tanh x = x + x³·(T3 + x²·(T5 + ...)), Taylor coefficients; at |x| = 0.3 the next term is 2e-9 relative.
    private static final float T3 = -1f / 3, T5 = 2f / 15, T7 = -17f / 315, T9 = 62f / 2835, T11 = -1382f / 155925;

    /** tanh x = sign(x)·(1 − 2/(e^(2|x|) + 1)), or the odd Taylor series for |x| &lt; 0.3. */
    static float tanh(float x) {
        float a = Math.abs(x);
        if (a < TANH_SMALL) {
            float x2 = x * x;
            float q = T11;
            q = Math.fma(q, x2, T9);
            q = Math.fma(q, x2, T7);
            q = Math.fma(q, x2, T5);
            q = Math.fma(q, x2, T3);
            return x * Math.fma(q, x2, 1f);                 // x·(…), not x + …: keeps tanh(−0) = −0
        }
        float t = 1f - 2f / (exp(2f * a) + 1f);
        return x < 0 ? -t : t;
    }

    static FloatVector tanh(FloatVector x) {
        FloatVector a = x.abs();
        FloatVector x2 = x.mul(x);
        FloatVector q = FloatVector.broadcast(S, T11);
        q = q.fma(x2, FloatVector.broadcast(S, T9));
        q = q.fma(x2, FloatVector.broadcast(S, T7));
        q = q.fma(x2, FloatVector.broadcast(S, T5));
        q = q.fma(x2, FloatVector.broadcast(S, T3));
        FloatVector series = x.mul(q.fma(x2, FloatVector.broadcast(S, 1f)));
        FloatVector one = FloatVector.broadcast(S, 1f);
        FloatVector t = one.sub(FloatVector.broadcast(S, 2f).div(exp(a.mul(2f)).add(1f)));
        t = t.blend(t.neg(), x.compare(VectorOperators.LT, 0f));
        return t.blend(series, a.compare(VectorOperators.LT, TANH_SMALL));
    }

    // erfc(z) for z >= 0 as t·exp(−z² + P(t)), t = 1/(1 + z/2), with P a degree-9 Chebyshev fit
    // (Numerical Recipes §6.2, "erfcc"). Its *relative* error is below 1.2e-7 for every z >= 0,
    // which matters for GELU: x·Φ(x) for x ≪ 0 is a small number that an absolute-error erf
    // (such as Abramowitz–Stegun 7.1.26, |error| ≤ 1.5e-7) would get wrong in every digit.
    private static final float P0 = -1.26551223f;
    private static final float P1 = 1.00002368f;
    private static final float P2 = 0.37409196f;
    private static final float P3 = 0.09678418f;
    private static final float P4 = -0.18628806f;
    private static final float P5 = 0.27886807f;
    private static final float P6 = -1.13520398f;
    private static final float P7 = 1.48851587f;
    private static final float P8 = -0.82215223f;
    private static final float P9 = 0.17087277f;

    /** erfc(z) for z >= 0 (scalar twin of the vector form below). */
    static float erfcNonNegative(float z) {
        float t = 1f / (1f + 0.5f * z);
        float p = P9;
        p = p * t + P8;
        p = p * t + P7;
        p = p * t + P6;
        p = p * t + P5;
        p = p * t + P4;
        p = p * t + P3;
        p = p * t + P2;
        p = p * t + P1;
        p = p * t + P0;
        return t * exp(-z * z + p);
    }

    /** erfc(z) lane-wise for z >= 0: the same Horner steps as {@link #erfcNonNegative(float)}. */
    static FloatVector erfcNonNegative(FloatVector z) {
        FloatVector t = z.mul(0.5f).add(1f);
        t = FloatVector.broadcast(S, 1f).div(t);
        FloatVector p = FloatVector.broadcast(S, P9);
        p = p.mul(t).add(P8);
        p = p.mul(t).add(P7);
        p = p.mul(t).add(P6);
        p = p.mul(t).add(P5);
        p = p.mul(t).add(P4);
        p = p.mul(t).add(P3);
        p = p.mul(t).add(P2);
        p = p.mul(t).add(P1);
        p = p.mul(t).add(P0);
        return t.mul(exp(z.mul(z).neg().add(p)));
    }

    /**
     * Φ(x), the standard normal CDF = ½·erfc(−x/√2). For x &lt; 0 it is the small tail
     * ½·erfc(|x|/√2), kept to full relative accuracy; for x ≥ 0 it is 1 minus that tail.
     */
    static float normalCdf(float x) {
        float tail = 0.5f * erfcNonNegative(Math.abs(x) * INV_SQRT2);
        return x < 0 ? tail : 1f - tail;
    }

    static FloatVector normalCdf(FloatVector x) {
        FloatVector tail = erfcNonNegative(x.abs().mul(INV_SQRT2)).mul(0.5f);
        FloatVector upper = FloatVector.broadcast(S, 1f).sub(tail);
        return upper.blend(tail, x.compare(VectorOperators.LT, 0f));
    }

    /** Exact GELU: x·Φ(x). */
    static float gelu(float x) {
        return x * normalCdf(x);
    }

    static FloatVector gelu(FloatVector x) {
        return x.mul(normalCdf(x));
    }

    /** d/dx of exact GELU: Φ(x) + x·φ(x), φ(x) = e^(−x²/2)/√(2π). */
    static float geluGrad(float x) {
        float pdf = exp(-0.5f * x * x) * INV_SQRT_2PI;
        return normalCdf(x) + x * pdf;
    }

    static FloatVector geluGrad(FloatVector x) {
        FloatVector pdf = exp(x.mul(x).mul(-0.5f)).mul(INV_SQRT_2PI);
        return normalCdf(x).add(x.mul(pdf));
    }

    /** tanh-approximate GELU: x/2·(1 + tanh(√(2/π)·(x + 0.044715x³))). */
    static FloatVector geluTanh(FloatVector x) {
        FloatVector inner = x.mul(x).mul(0.044715f).add(1f).mul(x).mul(SQRT_2_OVER_PI);
        return x.mul(0.5f).mul(tanh(inner).add(1f));
    }

    /** d/dx of the tanh GELU: ½(1 + t) + ½x(1 − t²)·√(2/π)(1 + 3·0.044715x²), t = tanh(inner). */
    static FloatVector geluTanhGrad(FloatVector x) {
        FloatVector x2 = x.mul(x);
        FloatVector t = tanh(x2.mul(0.044715f).add(1f).mul(x).mul(SQRT_2_OVER_PI));
        FloatVector dInner = x2.mul(3f * 0.044715f).add(1f).mul(SQRT_2_OVER_PI);
        FloatVector oneMinusT2 = FloatVector.broadcast(S, 1f).sub(t.mul(t));
        return t.add(1f).mul(0.5f).add(x.mul(0.5f).mul(oneMinusT2).mul(dInner));
    }

    /** 1/(1 + e^−x); for x ≪ 0, e^−x overflows to +∞ and the result is the correct 0. */
    static FloatVector sigmoid(FloatVector x) {
        FloatVector one = FloatVector.broadcast(S, 1f);
        return one.div(one.add(exp(x.neg())));
    }

    /** signum: −1, +1, and x itself for ±0 and NaN (like Math.signum). */
    static FloatVector sign(FloatVector x) {
        FloatVector one = FloatVector.broadcast(S, 1f);
        return x.blend(one, x.compare(VectorOperators.GT, 0f)).blend(one.neg(), x.compare(VectorOperators.LT, 0f));
    }
}
