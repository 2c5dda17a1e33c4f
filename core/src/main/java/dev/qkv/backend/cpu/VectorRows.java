package dev.qkv.backend.cpu;

import dev.qkv.backend.ReduceOp;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Sweeps over one contiguous float32 row, the building blocks of the fused row kernels
 * ({@link VectorSoftmax}, {@link VectorNorms}). Each is a SIMD loop with a scalar tail; e^x is
 * {@link VectorMath#exp(float[], int, float[], int, int)}.
 *
 * <p>Sums run in float lanes over chunks of {@link #CHUNK} elements (32 per lane with 8 lanes)
 * and add each chunk's total into a double, so their error does not grow with the row length
 * (a 50257-wide vocabulary row is summed as accurately as a 64-wide one).
 */
final class VectorRows {
    private VectorRows() {
    }

    private static final VectorSpecies<Float> S = VectorKernels.S;
    static final int CHUNK = 256;
    private static final int L = S.length();

    /**
     * The lanes of v added in lane order, in double. Not {@code reduceLanes(ADD)}: its Javadoc
     * lets it add floats in any order, and the JIT-compiled and the interpreted code do use
     * different orders, so a result would depend on how warm the JVM is (the thread-count
     * reproducibility test caught this).
     */
    static double sumLanes(FloatVector v) {
        double s = 0;
        for (int i = 0; i < S.length(); i++) {
            s += v.lane(i);
        }
        return s;
    }

    /** max of x[off, off + n); NaN if any is NaN. */
    static float max(float[] x, int off, int n) {
        return VectorReduce.extremeRun(ReduceOp.MAX, x, off, n, 1);
    }

    /** Σ x[off, off + n). */
    static double sum(float[] x, int off, int n) {
        return VectorReduce.sumRun(x, off, n, 1);
    }

    /**
     * Σ (x − shift) over the row. With shift = one of the row's values this is the shifted sum
     * used for means: the terms are as small as the row's spread, so a row around 20 with
     * spread 1 sums as accurately as one around 0.
     */
    static double sumMinus(float[] x, int xo, float shift, int n) {
        double total = 0;
        int j = 0;
        for (; j <= n - S.length(); ) {
            int end = Math.min(n, j + CHUNK);
            FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
            for (; j <= end - 4 * L; j += 4 * L) {                // four chains: see dot
                a0 = a0.add(FloatVector.fromArray(S, x, xo + j).sub(shift));
                a1 = a1.add(FloatVector.fromArray(S, x, xo + j + L).sub(shift));
                a2 = a2.add(FloatVector.fromArray(S, x, xo + j + 2 * L).sub(shift));
                a3 = a3.add(FloatVector.fromArray(S, x, xo + j + 3 * L).sub(shift));
            }
            for (; j <= end - L; j += L) {
                a0 = a0.add(FloatVector.fromArray(S, x, xo + j).sub(shift));
            }
            total += sumLanes(a0.add(a1).add(a2.add(a3)));
        }
        for (; j < n; j++) {
            total += x[xo + j] - shift;
        }
        return total;
    }

    /** y[yo + j] = x[xo + j] − c for j &lt; n. */
    static void minus(float[] x, int xo, float c, float[] y, int yo, int n) {
        int j = 0;
        for (; j <= n - S.length(); j += S.length()) {
            FloatVector.fromArray(S, x, xo + j).sub(c).intoArray(y, yo + j);
        }
        for (; j < n; j++) {
            y[yo + j] = x[xo + j] - c;
        }
    }

    /** Σ a[ao + j]·b[bo + j] for j &lt; n. */
    static double dot(float[] a, int ao, float[] b, int bo, int n) {
        double total = 0;
        int j = 0;
        for (; j <= n - S.length(); ) {
            int end = Math.min(n, j + CHUNK);
            // Four independent chains: with one, each step waited for the previous FMA (4 cycles
            // on Zen 3) and a 768-long row spent its time in that wait.
            FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
            for (; j <= end - 4 * L; j += 4 * L) {
                a0 = FloatVector.fromArray(S, a, ao + j).fma(FloatVector.fromArray(S, b, bo + j), a0);
                a1 = FloatVector.fromArray(S, a, ao + j + L).fma(FloatVector.fromArray(S, b, bo + j + L), a1);
                a2 = FloatVector.fromArray(S, a, ao + j + 2 * L).fma(FloatVector.fromArray(S, b, bo + j + 2 * L), a2);
                a3 = FloatVector.fromArray(S, a, ao + j + 3 * L).fma(FloatVector.fromArray(S, b, bo + j + 3 * L), a3);
            }
            for (; j <= end - L; j += L) {
                a0 = FloatVector.fromArray(S, a, ao + j).fma(FloatVector.fromArray(S, b, bo + j), a0);
            }
            total += sumLanes(a0.add(a1).add(a2.add(a3)));
        }
        for (; j < n; j++) {
            total += a[ao + j] * b[bo + j];
        }
        return total;
    }

    /** Σ (x − m)² over the row: the second pass of a two-pass variance. */
    static double sumSquaredDeviation(float[] x, int xo, float m, int n) {
        double total = 0;
        int j = 0;
        for (; j <= n - S.length(); ) {
            int end = Math.min(n, j + CHUNK);
            FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
            for (; j <= end - 4 * L; j += 4 * L) {                // four chains: see dot
                FloatVector d0 = FloatVector.fromArray(S, x, xo + j).sub(m);
                FloatVector d1 = FloatVector.fromArray(S, x, xo + j + L).sub(m);
                FloatVector d2 = FloatVector.fromArray(S, x, xo + j + 2 * L).sub(m);
                FloatVector d3 = FloatVector.fromArray(S, x, xo + j + 3 * L).sub(m);
                a0 = d0.fma(d0, a0);
                a1 = d1.fma(d1, a1);
                a2 = d2.fma(d2, a2);
                a3 = d3.fma(d3, a3);
            }
            for (; j <= end - L; j += L) {
                FloatVector d = FloatVector.fromArray(S, x, xo + j).sub(m);
                a0 = d.fma(d, a0);
            }
            total += sumLanes(a0.add(a1).add(a2.add(a3)));
        }
        for (; j < n; j++) {
            float d = x[xo + j] - m;
            total += d * d;
        }
        return total;
    }
}
