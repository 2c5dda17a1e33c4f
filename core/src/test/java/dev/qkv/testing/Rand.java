package dev.qkv.testing;

import dev.qkv.tensor.Generator;
import dev.qkv.tensor.Tensor;

/** Random test inputs (never zeros), in double or float precision. */
public final class Rand {
    private Rand() {
    }

    /** FLOAT64 uniform in [lo, hi). */
    public static Tensor uniform(Generator g, double lo, double hi, int... shape) {
        int n = dev.qkv.tensor.Shapes.numel(shape);
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = lo + (hi - lo) * g.nextDouble();
        }
        return Tensor.fromArray(v, shape);
    }

    /** FLOAT64 with magnitudes in [lo, hi) and random signs: keeps away from kinks at 0. */
    public static Tensor awayFromZero(Generator g, double lo, double hi, int... shape) {
        int n = dev.qkv.tensor.Shapes.numel(shape);
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            double m = lo + (hi - lo) * g.nextDouble();
            v[i] = g.nextDouble() < 0.5 ? -m : m;
        }
        return Tensor.fromArray(v, shape);
    }

    /** FLOAT64 standard normal. */
    public static Tensor normal(Generator g, int... shape) {
        return Tensor.randn(g, shape).to(dev.qkv.tensor.DType.FLOAT64);
    }

    /** A non-contiguous FLOAT64 tensor of this 2-D+ shape: a transposed view of fresh storage. */
    public static Tensor transposedView(Generator g, double lo, double hi, int... shape) {
        int[] s = shape.clone();
        int r = s.length;
        int tmp = s[r - 1];
        s[r - 1] = s[r - 2];
        s[r - 2] = tmp;
        return uniform(g, lo, hi, s).transpose(-1, -2);
    }

    /**
     * A non-contiguous FLOAT64 tensor of this shape with a non-zero offset: the middle of a
     * larger tensor, narrowed along the last dim (and the first, when there are two or more).
     */
    public static Tensor narrowedView(Generator g, double lo, double hi, int... shape) {
        int[] s = shape.clone();
        int r = s.length;
        s[r - 1] += 3;
        if (r > 1) {
            s[0] += 1;
        }
        Tensor big = uniform(g, lo, hi, s);
        Tensor v = big.narrow(-1, 2, shape[r - 1]);
        return r > 1 ? v.narrow(0, 1, shape[0]) : v;
    }

    /** Like {@link #awayFromZero} but as a transposed (non-contiguous) view. */
    public static Tensor awayFromZeroTransposed(Generator g, double lo, double hi, int... shape) {
        int[] s = shape.clone();
        int r = s.length;
        int tmp = s[r - 1];
        s[r - 1] = s[r - 2];
        s[r - 2] = tmp;
        return awayFromZero(g, lo, hi, s).transpose(-1, -2);
    }
}
