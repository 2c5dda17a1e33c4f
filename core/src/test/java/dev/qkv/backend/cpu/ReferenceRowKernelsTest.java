package dev.qkv.backend.cpu;

import org.junit.jupiter.api.Test;

import java.util.Random;
import java.util.function.DoubleSupplier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The fused-op reference is the definition every backend is tested against, so it is checked on
 * its own: a few values worked out by hand, and every backward kernel against central finite
 * differences of its forward kernel, in float64.
 */
class ReferenceRowKernelsTest {
    private static final double H = 1e-6;
    private static final double TOL = 1e-7;

    private static CpuStorage.F64 f64(double... v) {
        return new CpuStorage.F64(v);
    }

    private static CpuStorage.F64 random(int n, Random rng) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = (rng.nextBoolean() ? 1 : -1) * (0.1 + 1.9 * rng.nextDouble());
        }
        return f64(v);
    }

    /** Σ w·out. */
    private static double weighted(CpuStorage.F64 w, CpuStorage.F64 out) {
        double s = 0;
        for (int i = 0; i < w.data.length; i++) {
            s += w.data[i] * out.data[i];
        }
        return s;
    }

    /** (f(x + h) − f(x − h)) / 2h for every element of x, perturbing x in place. */
    private static double[] numeric(CpuStorage.F64 x, DoubleSupplier f) {
        double[] g = new double[x.data.length];
        for (int i = 0; i < g.length; i++) {
            double saved = x.data[i];
            x.data[i] = saved + H;
            double up = f.getAsDouble();
            x.data[i] = saved - H;
            double down = f.getAsDouble();
            x.data[i] = saved;
            g[i] = (up - down) / (2 * H);
        }
        return g;
    }

    // ----- values worked out by hand -----

    @Test
    void softmaxOfZeroAndLog2IsOneThirdTwoThirds() {
        CpuStorage.F64 out = f64(0, 0);
        ReferenceRowKernels.softmax(f64(0, Math.log(2)), out, 1, 2, false);
        assertArrayEquals(new double[] {1.0 / 3, 2.0 / 3}, out.data, 1e-15);
        ReferenceRowKernels.softmax(f64(0, Math.log(2)), out, 1, 2, true);
        assertArrayEquals(new double[] {Math.log(1.0 / 3), Math.log(2.0 / 3)}, out.data, 1e-15);
    }

    @Test
    void layerNormOfOneTwoThree() {
        // mean 2, biased variance (1 + 0 + 1)/3 = 2/3, so rstd = √(3/2) and x̂ = (−1, 0, 1)·√(3/2)
        CpuStorage.F64 out = f64(0, 0, 0);
        CpuStorage.F64 mean = f64(0);
        CpuStorage.F64 rstd = f64(0);
        ReferenceRowKernels.layerNorm(f64(1, 2, 3), f64(1, 1, 2), f64(0, 5, 0), out, mean, rstd, 1, 3, 0.0);
        double r = Math.sqrt(1.5);
        assertEquals(2, mean.data[0], 1e-15);
        assertEquals(r, rstd.data[0], 1e-15);
        assertArrayEquals(new double[] {-r, 5, 2 * r}, out.data, 1e-15);
    }

    @Test
    void rmsNormOfThreeFour() {
        // mean(x²) = (9 + 16)/2 = 12.5
        CpuStorage.F64 out = f64(0, 0);
        CpuStorage.F64 rstd = f64(0);
        ReferenceRowKernels.rmsNorm(f64(3, 4), null, out, rstd, 1, 2, 0.0);
        assertEquals(1 / Math.sqrt(12.5), rstd.data[0], 1e-15);
        assertArrayEquals(new double[] {3 / Math.sqrt(12.5), 4 / Math.sqrt(12.5)}, out.data, 1e-15);
    }

    @Test
    void crossEntropyOfZeroAndLog2() {
        // lse = log(1 + 2) = log 3; p = (1/3, 2/3). Row 0: target 1; row 1: ignored; row 2: target 0, ε = ½:
        // ½·(log 3 − 0) + ½·(log 3 − mean(0, log 2)).
        double l2 = Math.log(2);
        CpuStorage.F64 logits = f64(0, l2, 0, l2, 0, l2);
        CpuStorage.F64 loss = f64(0, 0, 0);
        CpuStorage.F64 lse = f64(0, 0, 0);
        ReferenceRowKernels.crossEntropy(logits, new CpuStorage.I64(new long[] {1, -100, 1}), loss, lse, 3, 2, -100, 0);
        assertArrayEquals(new double[] {Math.log(1.5), 0, Math.log(1.5)}, loss.data, 1e-15);
        assertArrayEquals(new double[] {Math.log(3), Math.log(3), Math.log(3)}, lse.data, 1e-15);
        ReferenceRowKernels.crossEntropy(logits, new CpuStorage.I64(new long[] {0, 0, 0}), loss, lse, 3, 2, -100, 0.5);
        assertEquals(0.5 * Math.log(3) + 0.5 * (Math.log(3) - l2 / 2), loss.data[2], 1e-15);
    }

    // ----- every backward against finite differences of its forward -----

    @Test
    void softmaxBackwardIsTheGradientOfSoftmax() {
        for (boolean log : new boolean[] {false, true}) {
            Random rng = new Random(1);
            int rows = 3;
            int cols = 5;
            CpuStorage.F64 x = random(rows * cols, rng);
            CpuStorage.F64 w = random(rows * cols, rng);            // L = Σ w·softmax(x), so dL/dy = w
            CpuStorage.F64 y = f64(new double[rows * cols]);
            DoubleSupplier loss = () -> {
                ReferenceRowKernels.softmax(x, y, rows, cols, log);
                return weighted(w, y);
            };
            double[] expected = numeric(x, loss);
            loss.getAsDouble();
            CpuStorage.F64 dx = f64(new double[rows * cols]);
            ReferenceRowKernels.softmaxBackward(y, w, dx, rows, cols, log);
            assertArrayEquals(expected, dx.data, TOL, log ? "log-softmax" : "softmax");
        }
    }

    @Test
    void layerNormBackwardIsTheGradientOfLayerNorm() {
        Random rng = new Random(2);
        int rows = 4;
        int cols = 6;
        CpuStorage.F64 x = random(rows * cols, rng);
        CpuStorage.F64 weight = random(cols, rng);
        CpuStorage.F64 bias = random(cols, rng);
        CpuStorage.F64 w = random(rows * cols, rng);
        CpuStorage.F64 out = f64(new double[rows * cols]);
        CpuStorage.F64 mean = f64(new double[rows]);
        CpuStorage.F64 rstd = f64(new double[rows]);
        DoubleSupplier loss = () -> {
            ReferenceRowKernels.layerNorm(x, weight, bias, out, mean, rstd, rows, cols, 1e-5);
            return weighted(w, out);
        };
        double[] dxExpected = numeric(x, loss);
        double[] dwExpected = numeric(weight, loss);
        double[] dbExpected = numeric(bias, loss);
        loss.getAsDouble();
        CpuStorage.F64 dx = f64(new double[rows * cols]);
        CpuStorage.F64 dw = f64(new double[cols]);
        CpuStorage.F64 db = f64(new double[cols]);
        ReferenceRowKernels.layerNormBackward(x, weight, mean, rstd, w, dx, dw, db, rows, cols);
        assertArrayEquals(dxExpected, dx.data, TOL, "dx");
        assertArrayEquals(dwExpected, dw.data, TOL, "dweight");
        assertArrayEquals(dbExpected, db.data, TOL, "dbias");
    }

    @Test
    void rmsNormBackwardIsTheGradientOfRmsNorm() {
        Random rng = new Random(3);
        int rows = 4;
        int cols = 6;
        CpuStorage.F64 x = random(rows * cols, rng);
        CpuStorage.F64 weight = random(cols, rng);
        CpuStorage.F64 w = random(rows * cols, rng);
        CpuStorage.F64 out = f64(new double[rows * cols]);
        CpuStorage.F64 rstd = f64(new double[rows]);
        DoubleSupplier loss = () -> {
            ReferenceRowKernels.rmsNorm(x, weight, out, rstd, rows, cols, 1e-6);
            return weighted(w, out);
        };
        double[] dxExpected = numeric(x, loss);
        double[] dwExpected = numeric(weight, loss);
        loss.getAsDouble();
        CpuStorage.F64 dx = f64(new double[rows * cols]);
        CpuStorage.F64 dw = f64(new double[cols]);
        ReferenceRowKernels.rmsNormBackward(x, weight, rstd, w, dx, dw, rows, cols);
        assertArrayEquals(dxExpected, dx.data, TOL, "dx");
        assertArrayEquals(dwExpected, dw.data, TOL, "dweight");
    }

    @Test
    void crossEntropyBackwardIsTheGradientOfCrossEntropy() {
        for (double smoothing : new double[] {0, 0.1}) {
            Random rng = new Random(4);
            int rows = 4;
            int cols = 5;
            CpuStorage.F64 x = random(rows * cols, rng);
            CpuStorage.I64 targets = new CpuStorage.I64(new long[] {2, -100, 0, 4});
            CpuStorage.F64 dloss = random(rows, rng);                // L = Σ dloss·loss
            CpuStorage.F64 loss = f64(new double[rows]);
            CpuStorage.F64 lse = f64(new double[rows]);
            DoubleSupplier total = () -> {
                ReferenceRowKernels.crossEntropy(x, targets, loss, lse, rows, cols, -100, smoothing);
                return weighted(dloss, loss);
            };
            double[] expected = numeric(x, total);
            total.getAsDouble();
            CpuStorage.F64 dx = f64(new double[rows * cols]);
            ReferenceRowKernels.crossEntropyBackward(x, targets, lse, dloss, dx, rows, cols, -100, smoothing);
            assertArrayEquals(expected, dx.data, TOL, "smoothing " + smoothing);
        }
    }
}
