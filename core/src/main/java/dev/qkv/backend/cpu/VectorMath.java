package dev.qkv.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * float32 special functions for the vector kernels: e^x, tanh, the normal CDF Φ (for exact GELU)
 * and density φ. Each is a scalar float function (the readable definition of the formula) and an
 * array kernel that applies the same formula to {@code n} values with SIMD lanes and the scalar
 * function for the tail. The double-precision definitions are in {@link dev.qkv.backend.UnaryOp};
 * {@code VectorMathTest} measures these against them on a dense grid.
 *
 * <p>Two things shape this file:
 * <ul>
 *   <li><b>Array kernels, not functions of a FloatVector.</b> The JIT keeps a vector in registers
 *       only if everything that touches it is compiled into one method. A helper like
 *       {@code FloatVector exp(FloatVector)} is big enough that the JIT often compiles it on its
 *       own first and then declines to inline it, and every vector passed to it is then
 *       allocated on the heap (measured: 20–60 bytes and 50–300 ns per element instead of ~1 ns).
 *       So each kernel is a plain loop over arrays; composite functions run their steps as
 *       separate sweeps over a block that stays in L1.
 *   <li><b>Our own exp and tanh.</b> The Vector API's {@code lanewise(EXP)} gives different bits
 *       in interpreted and JIT-compiled code (per-lane {@link Math#exp} vs a vector math
 *       library), so results would depend on JIT warm-up. These use only +, −, ×, ÷, FMA,
 *       conversions and bit moves, which are exactly defined, so every tier agrees.
 * </ul>
 * Unless noted, {@code y} may be the same array and offset as the input (element i is read
 * before it is written), but must not overlap it otherwise.
 */
final class VectorMath {
    private VectorMath() {
    }

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    private static final float INV_SQRT2 = (float) (1.0 / Math.sqrt(2.0));
    private static final float INV_SQRT_2PI = (float) (1.0 / Math.sqrt(2.0 * Math.PI));

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
     * into the subnormal range round correctly. Within 2 ulp. NaN gives NaN (through r).
     */
    static float exp(float x) {
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

    /** y[yi + i] = e^(x[xi + i]) for i &lt; n: {@link #exp(float)} lane by lane. */
    static void exp(float[] x, int xi, float[] y, int yi, int n) {
        FloatVector c6 = FloatVector.broadcast(S, E6);
        FloatVector c5 = FloatVector.broadcast(S, E5);
        FloatVector c4 = FloatVector.broadcast(S, E4);
        FloatVector c3 = FloatVector.broadcast(S, E3);
        FloatVector c2 = FloatVector.broadcast(S, E2);
        FloatVector one = FloatVector.broadcast(S, 1f);
        FloatVector ln2Hi = FloatVector.broadcast(S, -LN2_HI);
        FloatVector ln2Lo = FloatVector.broadcast(S, -LN2_LO);
        int i = 0;
        for (; i <= n - L; i += L) {
            FloatVector xc = FloatVector.fromArray(S, x, xi + i).max(-104f).min(89f);
            FloatVector k = xc.mul(LOG2E).add(ROUND).sub(ROUND);
            FloatVector r = k.fma(ln2Hi, xc);
            r = k.fma(ln2Lo, r);
            FloatVector p = FloatVector.broadcast(S, E7);
            p = p.fma(r, c6);
            p = p.fma(r, c5);
            p = p.fma(r, c4);
            p = p.fma(r, c3);
            p = p.fma(r, c2);
            p = p.fma(r, one);
            p = p.fma(r, one);
            IntVector ki = (IntVector) k.convert(VectorOperators.F2I, 0);
            IntVector k1 = ki.lanewise(VectorOperators.ASHR, 1);
            FloatVector two1 = k1.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
            FloatVector two2 = ki.sub(k1).add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
            p.mul(two1).mul(two2).intoArray(y, yi + i);
        }
        for (; i < n; i++) {
            y[yi + i] = exp(x[xi + i]);
        }
    }

    // ----- tanh -----

    /** Below this |x|, tanh uses its series (1 − 2/(e^2x + 1) would cancel); above, it uses exp. */
    private static final float TANH_SMALL = 0.3f;
    // tanh x = x·(1 + x²·(T3 + x²·(T5 + ...))), Taylor coefficients; at |x| = 0.3 the next term is 2e-9 relative.
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

    /** y = tanh(x) for n values, in three sweeps: y = 2|x|, y = e^y, then the formula. y ≠ x. */
    static void tanh(float[] x, int xi, float[] y, int yi, int n) {
        int i = 0;
        for (; i <= n - L; i += L) {
            FloatVector.fromArray(S, x, xi + i).abs().mul(2f).intoArray(y, yi + i);
        }
        for (; i < n; i++) {
            y[yi + i] = 2f * Math.abs(x[xi + i]);
        }
        exp(y, yi, y, yi, n);
        FloatVector one = FloatVector.broadcast(S, 1f);
        FloatVector two = FloatVector.broadcast(S, 2f);
        i = 0;
        for (; i <= n - L; i += L) {
            FloatVector v = FloatVector.fromArray(S, x, xi + i);
            FloatVector x2 = v.mul(v);
            FloatVector q = FloatVector.broadcast(S, T11);
            q = q.fma(x2, FloatVector.broadcast(S, T9));
            q = q.fma(x2, FloatVector.broadcast(S, T7));
            q = q.fma(x2, FloatVector.broadcast(S, T5));
            q = q.fma(x2, FloatVector.broadcast(S, T3));
            FloatVector series = v.mul(q.fma(x2, one));
            FloatVector t = one.sub(two.div(FloatVector.fromArray(S, y, yi + i).add(1f)));
            t = t.blend(t.neg(), v.compare(VectorOperators.LT, 0f));
            t.blend(series, v.abs().compare(VectorOperators.LT, TANH_SMALL)).intoArray(y, yi + i);
        }
        for (; i < n; i++) {
            y[yi + i] = tanh(x[xi + i]);
        }
    }

    // ----- the normal distribution: Φ for exact GELU, φ for its derivative -----

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

    /** P(t), Horner's rule. */
    private static float poly(float t) {
        float p = P9;
        p = p * t + P8;
        p = p * t + P7;
        p = p * t + P6;
        p = p * t + P5;
        p = p * t + P4;
        p = p * t + P3;
        p = p * t + P2;
        p = p * t + P1;
        return p * t + P0;
    }

    /** erfc(z) for z >= 0. */
    static float erfcNonNegative(float z) {
        float t = 1f / (1f + 0.5f * z);
        return t * exp(-z * z + poly(t));
    }

    /**
     * Φ(x), the standard normal CDF = ½·erfc(−x/√2). For x &lt; 0 it is the small tail
     * ½·erfc(|x|/√2), kept to full relative accuracy; for x ≥ 0 it is 1 minus that tail.
     */
    static float normalCdf(float x) {
        float tail = 0.5f * erfcNonNegative(Math.abs(x) * INV_SQRT2);
        return x < 0 ? tail : 1f - tail;
    }

    /** y = Φ(x) for n values, in three sweeps: y = −z² + P(t), y = e^y, then ½·t·y or 1 − ½·t·y. y ≠ x. */
    static void normalCdf(float[] x, int xi, float[] y, int yi, int n) {
        int i = 0;
        for (; i <= n - L; i += L) {
            FloatVector z = FloatVector.fromArray(S, x, xi + i).abs().mul(INV_SQRT2);
            FloatVector t = FloatVector.broadcast(S, 1f).div(z.mul(0.5f).add(1f));
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
            z.mul(z).neg().add(p).intoArray(y, yi + i);
        }
        for (; i < n; i++) {
            float z = Math.abs(x[xi + i]) * INV_SQRT2;
            y[yi + i] = -z * z + poly(1f / (1f + 0.5f * z));
        }
        exp(y, yi, y, yi, n);
        i = 0;
        for (; i <= n - L; i += L) {
            FloatVector v = FloatVector.fromArray(S, x, xi + i);
            FloatVector t = FloatVector.broadcast(S, 1f).div(v.abs().mul(INV_SQRT2).mul(0.5f).add(1f));
            FloatVector tail = t.mul(FloatVector.fromArray(S, y, yi + i)).mul(0.5f);
            FloatVector upper = FloatVector.broadcast(S, 1f).sub(tail);
            upper.blend(tail, v.compare(VectorOperators.LT, 0f)).intoArray(y, yi + i);
        }
        for (; i < n; i++) {
            float v = x[xi + i];
            float t = 1f / (1f + 0.5f * (Math.abs(v) * INV_SQRT2));
            float tail = 0.5f * (t * y[yi + i]);
            y[yi + i] = v < 0 ? tail : 1f - tail;
        }
    }

    /** φ(x) = e^(−x²/2)/√(2π), the standard normal density. */
    static float normalPdf(float x) {
        return exp(-0.5f * x * x) * INV_SQRT_2PI;
    }

    /** y = φ(x) for n values: y = −x²/2, y = e^y, y /= √(2π). y may be x. */
    static void normalPdf(float[] x, int xi, float[] y, int yi, int n) {
        int i = 0;
        for (; i <= n - L; i += L) {
            FloatVector v = FloatVector.fromArray(S, x, xi + i);
            v.mul(v).mul(-0.5f).intoArray(y, yi + i);
        }
        for (; i < n; i++) {
            y[yi + i] = -0.5f * x[xi + i] * x[xi + i];
        }
        exp(y, yi, y, yi, n);
        i = 0;
        for (; i <= n - L; i += L) {
            FloatVector.fromArray(S, y, yi + i).mul(INV_SQRT_2PI).intoArray(y, yi + i);
        }
        for (; i < n; i++) {
            y[yi + i] *= INV_SQRT_2PI;
        }
    }
}
