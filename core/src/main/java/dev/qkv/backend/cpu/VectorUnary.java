package dev.qkv.backend.cpu;

import dev.qkv.backend.UnaryOp;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The SIMD form of each float32 unary op, applied to a contiguous run in blocks of
 * {@link #BLOCK}: simple ops are one loop; ops built on exp or tanh first compute those with the
 * array kernels of {@link VectorMath} into scratch blocks, then combine (see there for why no
 * {@link FloatVector} is ever passed to or returned from a method that might not be inlined).
 * The blocks stay in L1, so the extra sweeps cost little. x and o may be the same buffer.
 *
 * <p>LOG, SIN, COS and LOG1P are the Vector API's own (not reproducible bit for bit across JIT
 * tiers; none is in a training step's hot path). LOGICAL_NOT has no SIMD form: it makes masks,
 * whose BOOL outputs take the reference path.
 */
final class VectorUnary {
    private VectorUnary() {
    }

    private static final VectorSpecies<Float> S = VectorKernels.S;
    private static final int L = S.length();
    /** Elements per block; a multiple of every vector length. */
    private static final int BLOCK = 256;

    /** One op on n values (n a multiple of the vector length), with two scratch blocks. */
    private interface Block {
        void run(float[] x, int xi, float[] o, int oi, int n, float[] s1, float[] s2);
    }

    private static Block block(UnaryOp op) {
        return switch (op) {
            case NEG -> VectorUnary::neg;
            case ABS -> VectorUnary::abs;
            case SIGN -> VectorUnary::sign;
            case EXP -> (x, xi, o, oi, n, s1, s2) -> VectorMath.exp(x, xi, o, oi, n);
            case LOG -> VectorUnary::log;
            case SQRT -> VectorUnary::sqrt;
            case RSQRT -> VectorUnary::rsqrt;
            case RECIPROCAL -> VectorUnary::reciprocal;
            case SIN -> VectorUnary::sin;
            case COS -> VectorUnary::cos;
            case TANH -> VectorUnary::tanh;
            case SIGMOID -> VectorUnary::sigmoid;
            case RELU -> VectorUnary::relu;
            case GELU -> VectorUnary::gelu;
            case GELU_TANH -> VectorUnary::geluTanh;
            case SILU -> VectorUnary::silu;
            case SOFTPLUS -> VectorUnary::softplus;
            case GELU_GRAD -> VectorUnary::geluGrad;
            case GELU_TANH_GRAD -> VectorUnary::geluTanhGrad;
            case LOGICAL_NOT -> null;
        };
    }

    /** Whether {@link #run} has a SIMD form for this op. */
    static boolean has(UnaryOp op) {
        return op != UnaryOp.LOGICAL_NOT;
    }

    /**
     * o[oi + j] = op(x[xi + j]) for whole vectors from j toward end; returns the first j not done
     * (the caller finishes with the scalar definition).
     */
    static int run(UnaryOp op, float[] x, int xi, float[] o, int oi, int j, int end) {
        Block b = block(op);
        float[] s1 = new float[BLOCK];                     // per row piece, not per element
        float[] s2 = new float[BLOCK];
        while (end - j >= L) {
            int n = Math.min(BLOCK, end - j) / L * L;
            b.run(x, xi + j, o, oi + j, n, s1, s2);
            j += n;
        }
        return j;
    }

    private static FloatVector at(float[] a, int i) {
        return FloatVector.fromArray(S, a, i);
    }

    // ----- one loop each -----

    private static void neg(float[] x, int xi, float[] o, int oi, int n, float[] s1, float[] s2) {
        for (int i = 0; i < n; i += L) {
            at(x, xi + i).neg().intoArray(o, oi + i);
        }
    }

    private static void abs(float[] x, int xi, float[] o, int oi, int n, float[] s1, float[] s2) {
        for (int i = 0; i < n; i += L) {
            at(x, xi + i).abs().intoArray(o, oi + i);
        }
    }

    /** −1, +1, and x itself for ±0 and NaN (like Math.signum). */
    private static void sign(float[] x, int xi, float[] o, int oi, int n, float[] s1, float[] s2) {
        FloatVector one = FloatVector.broadcast(S, 1f);
        FloatVector minusOne = FloatVector.broadcast(S, -1f);
        for (int i = 0; i < n; i += L) {
            FloatVector v = at(x, xi + i);
            v.blend(one, v.compare(VectorOperators.GT, 0f)).blend(minusOne, v.compare(VectorOperators.LT, 0f))
                    .intoArray(o, oi + i);
        }
    }

    // LOG, SIN, COS: the Vector API's (SVML on x86). Each has its own loop because the operator
    // must be a constant where lanewise() is compiled, or the JIT cannot use the vector routine.

    private static void log(float[] x, int xi, float[] o, int oi, int n, float[] s1, float[] s2) {
        for (int i = 0; i < n; i += L) {
            at(x, xi + i).lanewise(VectorOperators.LOG).intoArray(o, oi + i);
        }
    }

    private static void sin(float[] x, int xi, float[] o, int oi, int n, float[] s1, float[] s2) {
        for (int i = 0; i < n; i += L) {
            at(x, xi + i).lanewise(VectorOperators.SIN).intoArray(o, oi + i);
        }
    }

    private static void cos(float[] x, int xi, float[] o, int oi, int n, float[] s1, float[] s2) {
        for (int i = 0; i < n; i += L) {
            at(x, xi + i).lanewise(VectorOperators.COS).intoArray(o, oi + i);
        }
    }

    private static void sqrt(float[] x, int xi, float[] o, int oi, int n, float[] s1, float[] s2) {
        for (int i = 0; i < n; i += L) {
            at(x, xi + i).sqrt().intoArray(o, oi + i);
        }
    }

    private static void rsqrt(float[] x, int xi, float[] o, int oi, int n, float[] s1, float[] s2) {
        FloatVector one = FloatVector.broadcast(S, 1f);
        for (int i = 0; i < n; i += L) {
            one.div(at(x, xi + i).sqrt()).intoArray(o, oi + i);
        }
    }

    private static void reciprocal(float[] x, int xi, float[] o, int oi, int n, float[] s1, float[] s2) {
        FloatVector one = FloatVector.broadcast(S, 1f);
        for (int i = 0; i < n; i += L) {
            one.div(at(x, xi + i)).intoArray(o, oi + i);
        }
    }

    /** max(x, 0) with Math.max semantics: NaN stays NaN. */
    private static void relu(float[] x, int xi, float[] o, int oi, int n, float[] s1, float[] s2) {
        for (int i = 0; i < n; i += L) {
            at(x, xi + i).max(0f).intoArray(o, oi + i);
        }
    }

    // ----- built on exp / tanh / Φ: compute those into scratch, then combine -----

    private static void tanh(float[] x, int xi, float[] o, int oi, int n, float[] s1, float[] s2) {
        VectorMath.tanh(x, xi, s1, 0, n);
        System.arraycopy(s1, 0, o, oi, n);
    }

    /** 1/(1 + e^−x); for x ≪ 0, e^−x is +∞ and the result is the correct 0. */
    private static void sigmoid(float[] x, int xi, float[] o, int oi, int n, float[] s1, float[] s2) {
        expOfMinus(x, xi, s1, n);
        FloatVector one = FloatVector.broadcast(S, 1f);
        for (int i = 0; i < n; i += L) {
            one.div(one.add(at(s1, i))).intoArray(o, oi + i);
        }
    }

    /** x·sigmoid(x) = x/(1 + e^−x). */
    private static void silu(float[] x, int xi, float[] o, int oi, int n, float[] s1, float[] s2) {
        expOfMinus(x, xi, s1, n);
        for (int i = 0; i < n; i += L) {
            at(x, xi + i).div(at(s1, i).add(1f)).intoArray(o, oi + i);
        }
    }

    /** s[i] = e^(−x[xi + i]). */
    private static void expOfMinus(float[] x, int xi, float[] s, int n) {
        for (int i = 0; i < n; i += L) {
            at(x, xi + i).neg().intoArray(s, i);
        }
        VectorMath.exp(s, 0, s, 0, n);
    }

    /** max(x, 0) + log1p(e^−|x|): never overflows. */
    private static void softplus(float[] x, int xi, float[] o, int oi, int n, float[] s1, float[] s2) {
        for (int i = 0; i < n; i += L) {
            at(x, xi + i).abs().neg().intoArray(s1, i);
        }
        VectorMath.exp(s1, 0, s1, 0, n);
        for (int i = 0; i < n; i += L) {
            at(x, xi + i).max(0f).add(at(s1, i).lanewise(VectorOperators.LOG1P)).intoArray(o, oi + i);
        }
    }

    /** Exact GELU: x·Φ(x). */
    private static void gelu(float[] x, int xi, float[] o, int oi, int n, float[] s1, float[] s2) {
        VectorMath.normalCdf(x, xi, s1, 0, n);
        for (int i = 0; i < n; i += L) {
            at(x, xi + i).mul(at(s1, i)).intoArray(o, oi + i);
        }
    }

    /** d/dx of exact GELU: Φ(x) + x·φ(x). */
    private static void geluGrad(float[] x, int xi, float[] o, int oi, int n, float[] s1, float[] s2) {
        VectorMath.normalCdf(x, xi, s1, 0, n);
        VectorMath.normalPdf(x, xi, s2, 0, n);
        for (int i = 0; i < n; i += L) {
            at(x, xi + i).fma(at(s2, i), at(s1, i)).intoArray(o, oi + i);
        }
    }

    private static final float SQRT_2_OVER_PI = (float) Math.sqrt(2.0 / Math.PI);

    /** s = √(2/π)·(x + 0.044715x³), the argument of tanh in the tanh-approximate GELU. */
    private static void geluTanhInner(float[] x, int xi, float[] s, int n) {
        for (int i = 0; i < n; i += L) {
            FloatVector v = at(x, xi + i);
            v.mul(v).mul(0.044715f).add(1f).mul(v).mul(SQRT_2_OVER_PI).intoArray(s, i);
        }
    }

    /** x/2·(1 + tanh(√(2/π)·(x + 0.044715x³))). */
    private static void geluTanh(float[] x, int xi, float[] o, int oi, int n, float[] s1, float[] s2) {
        geluTanhInner(x, xi, s1, n);
        VectorMath.tanh(s1, 0, s2, 0, n);
        for (int i = 0; i < n; i += L) {
            at(x, xi + i).mul(0.5f).mul(at(s2, i).add(1f)).intoArray(o, oi + i);
        }
    }

    /** ½(1 + t) + ½x(1 − t²)·√(2/π)(1 + 3·0.044715x²), t = tanh(inner). */
    private static void geluTanhGrad(float[] x, int xi, float[] o, int oi, int n, float[] s1, float[] s2) {
        geluTanhInner(x, xi, s1, n);
        VectorMath.tanh(s1, 0, s2, 0, n);
        FloatVector one = FloatVector.broadcast(S, 1f);
        for (int i = 0; i < n; i += L) {
            FloatVector v = at(x, xi + i);
            FloatVector t = at(s2, i);
            FloatVector dInner = v.mul(v).mul(3f * 0.044715f).add(1f).mul(SQRT_2_OVER_PI);
            FloatVector oneMinusT2 = one.sub(t.mul(t));
            t.add(1f).mul(0.5f).add(v.mul(0.5f).mul(oneMinusT2).mul(dInner)).intoArray(o, oi + i);
        }
    }
}
