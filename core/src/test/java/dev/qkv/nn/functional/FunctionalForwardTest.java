package dev.qkv.nn.functional;

import dev.qkv.tensor.DType;
import dev.qkv.tensor.Generator;
import dev.qkv.tensor.Tensor;
import dev.qkv.testing.Rand;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

/** Values of nn.functional by hand, each with its formula. */
class FunctionalForwardTest {

    private static final double LN2 = Math.log(2);
    private static final double LN3 = Math.log(3);

    private static double[] d(Tensor t) {
        return t.toDoubleArray();
    }

    @Test
    void softmaxOfOneTwoThree() {
        // softmax([1, 2, 3]) = [e, e², e³]/(e + e² + e³) = [1, e, e²]/(1 + e + e²)
        double z = 1 + Math.E + Math.E * Math.E;
        double[] p = {1 / z, Math.E / z, Math.E * Math.E / z};
        assertArrayEquals(p, d(F.softmax(Tensor.of(1, 2, 3), 0)), 1e-7);
        // shift invariance: +1000 must not overflow
        assertArrayEquals(p, d(F.softmax(Tensor.of(1001, 1002, 1003), -1)), 1e-7);
        // logSoftmax = x − log Σ eˣ = x − (1 + log z)
        assertArrayEquals(new double[] {-Math.log(z), 1 - Math.log(z), 2 - Math.log(z)},
                d(F.logSoftmax(Tensor.fromArray(new double[] {1, 2, 3}, 3), 0)), 1e-15);
        // over dim 0 of [[1, 5], [2, 5], [3, 5]]: column 0 is p, column 1 is uniform
        Tensor cols = Tensor.of(1, 5, 2, 5, 3, 5).view(3, 2);
        assertArrayEquals(new double[] {p[0], 1 / 3.0, p[1], 1 / 3.0, p[2], 1 / 3.0}, d(F.softmax(cols, 0)), 1e-7);
        // a masked (−inf) entry gets probability 0 exactly
        assertArrayEquals(new double[] {1, 0}, d(F.softmax(Tensor.of(0, Float.NEGATIVE_INFINITY), 0)));
        // a 0-dim tensor: softmax is 1, logSoftmax 0 (as in PyTorch)
        assertEquals(1.0, F.softmax(Tensor.scalar(3), 0).item());
        assertEquals(0.0, F.logSoftmax(Tensor.scalar(3), -1).item());
    }

    @Test
    void softmaxRowsSumToOneOnEveryLayout() {
        Generator g = new Generator(1);
        Tensor x = Rand.transposedView(g, -5, 5, 3, 4, 5).to(DType.FLOAT32);
        for (int dim = 0; dim < 3; dim++) {
            double[] s = d(F.softmax(x, dim).sum(dim));
            for (double v : s) {
                assertEquals(1.0, v, 1e-6);
            }
            // log-softmax agrees with the log of softmax
            assertArrayEquals(d(F.softmax(x, dim).log()), d(F.logSoftmax(x, dim)), 1e-5);
        }
    }

    @Test
    void layerNormOfAKnownRow() {
        // x = [1, 2, 3, 4]: mean 2.5, biased var = 5/4, so x̂ = (x − 2.5)/√(1.25 + eps)
        double eps = 1e-5;
        double r = 1 / Math.sqrt(1.25 + eps);
        double[] xhat = {-1.5 * r, -0.5 * r, 0.5 * r, 1.5 * r};
        Tensor x = Tensor.fromArray(new double[] {1, 2, 3, 4, 10, 20, 30, 40}, 2, 4);
        double[] out = d(F.layerNorm(x, new int[] {4}, null, null, eps));
        assertArrayEquals(xhat, java.util.Arrays.copyOf(out, 4), 1e-12);
        // second row: 10·(first row) has mean 25, var 125: x̂ = 10(x − 2.5)/√(125 + eps)
        double r2 = 10 / Math.sqrt(125 + eps);
        assertArrayEquals(new double[] {-1.5 * r2, -0.5 * r2, 0.5 * r2, 1.5 * r2},
                java.util.Arrays.copyOfRange(out, 4, 8), 1e-12);
        // weight and bias: x̂·w + b
        Tensor w = Tensor.fromArray(new double[] {1, 2, 1, 2}, 4);
        Tensor b = Tensor.fromArray(new double[] {0, 0, 1, 1}, 4);
        double[] wb = d(F.layerNorm(x.narrow(0, 0, 1), new int[] {4}, w, b, eps));
        assertArrayEquals(new double[] {xhat[0], 2 * xhat[1], xhat[2] + 1, 2 * xhat[3] + 1}, wb, 1e-12);
        // over two dims [2, 2], the four numbers are one group: the same x̂
        assertArrayEquals(xhat, d(F.layerNorm(x.narrow(0, 0, 1).view(1, 2, 2), new int[] {2, 2}, null, null, eps)), 1e-12);
        // float32 agrees
        assertArrayEquals(xhat, d(F.layerNorm(Tensor.of(1, 2, 3, 4), new int[] {4}, null, null, eps)), 1e-6);
    }

    @Test
    void rmsNormOfAKnownRow() {
        // x = [3, 4]: mean(x²) = 12.5, so y = x/√(12.5 + eps)·w
        double eps = 1e-6;
        double r = 1 / Math.sqrt(12.5 + eps);
        Tensor x = Tensor.fromArray(new double[] {3, 4}, 1, 2);
        assertArrayEquals(new double[] {3 * r, 4 * r}, d(F.rmsNorm(x, new int[] {2}, null, eps)), 1e-12);
        Tensor w = Tensor.fromArray(new double[] {2, -1}, 2);
        assertArrayEquals(new double[] {6 * r, -4 * r}, d(F.rmsNorm(x, new int[] {2}, w, eps)), 1e-12);
    }

    @Test
    void crossEntropyByHand() {
        // logits log([1, 2, 3]) give p = [1/6, 2/6, 3/6]: −log p = [ln 6, ln 3, ln 2]
        Tensor row = Tensor.fromArray(new double[] {0, LN2, LN3}, 1, 3);
        Tensor logits = Tensor.cat(java.util.List.of(row, row, row), 0);
        Tensor t = Tensor.ofLongs(2, 0, -100);
        double ln6 = Math.log(6);
        assertArrayEquals(new double[] {LN2, ln6, 0}, d(F.crossEntropy(logits, t, Reduction.NONE, -100, 0)), 1e-12);
        assertEquals(LN2 + ln6, F.crossEntropy(logits, t, Reduction.SUM, -100, 0).item(), 1e-12);
        assertEquals((LN2 + ln6) / 2, F.crossEntropy(logits, t, Reduction.MEAN, -100, 0).item(), 1e-12,
                "MEAN divides by the 2 targets that are not ignored");
        // label smoothing ε: (1 − ε)·(−log p[t]) + ε·mean_c(−log p[c])
        double eps = 0.3;
        double smooth = (ln6 + LN3 + LN2) / 3;
        assertEquals(((1 - eps) * LN2 + eps * smooth + (1 - eps) * ln6 + eps * smooth) / 2,
                F.crossEntropy(logits, t, Reduction.MEAN, -100, eps).item(), 1e-12);
        // uniform logits over C classes: ln C, whatever the target
        assertEquals(Math.log(5), F.crossEntropy(Tensor.zeros(4, 5), Tensor.ofLongs(0, 1, 2, 4)).item(), 1e-6);
        // all targets ignored: MEAN is 0/0 = NaN, as in PyTorch
        assertEquals(Double.NaN, F.crossEntropy(logits, Tensor.ofLongs(-100, -100, -100)).item());
    }

    @Test
    void crossEntropyOverExtraDimsEqualsFlattened() {
        Generator g = new Generator(2);
        Tensor logits = Rand.uniform(g, -2, 2, 2, 4, 3);                    // [N, C, d]
        Tensor t = Tensor.fromArray(new long[] {0, 3, 2, 1, 1, 0}, 2, 3);   // [N, d]
        Tensor flat = logits.permute(0, 2, 1).reshape(6, 4);
        Tensor none = F.crossEntropy(logits, t, Reduction.NONE, -100, 0.1);
        assertArrayEquals(new int[] {2, 3}, none.shape());
        assertArrayEquals(d(F.crossEntropy(flat, t.reshape(6), Reduction.NONE, -100, 0.1)), d(none), 1e-12);
    }

    @Test
    void nllMseBceByHand() {
        Tensor lp = Tensor.fromArray(new double[] {-1, -2, -3, -4, -5, -6}, 2, 3);
        assertEquals((3 + 4) / 2.0, F.nllLoss(lp, Tensor.ofLongs(2, 0), Reduction.MEAN, -100).item(), 1e-12);
        assertEquals(2, F.nllLoss(lp, Tensor.ofLongs(1, -1), Reduction.MEAN, -1).item(), 1e-12, "ignored row");
        assertEquals((2 + 4) / 2.0, F.nllLoss(lp, Tensor.ofLongs(1, 0)).item(), 1e-12, "mean by default");
        assertArrayEquals(new double[] {2, 0}, d(F.nllLoss(lp, Tensor.ofLongs(1, -1), Reduction.NONE, -1)));
        assertEquals(3, F.nllLoss(lp.select(0, 0), Tensor.ofLongs(2).reshape(), Reduction.MEAN, -100).item(), 1e-12);

        // mse: ((1 − 0)² + (2 − 4)²)/2 = 2.5
        Tensor a = Tensor.of(1, 2);
        Tensor b = Tensor.of(0, 4);
        assertEquals(2.5, F.mseLoss(a, b).item(), 1e-6);
        assertEquals(5, F.mseLoss(a, b, Reduction.SUM).item(), 1e-6);
        assertArrayEquals(new double[] {1, 4}, d(F.mseLoss(a, b, Reduction.NONE)), 1e-6);

        // bce(x, y) = −[y·log σ(x) + (1 − y)·log(1 − σ(x))]: at x = 0 it is ln 2 for any y;
        // bce(2, 1) = log(1 + e⁻²); bce(−3, 1) = log(1 + e³); bce(1000, 0) = 1000 (no overflow)
        Tensor x = Tensor.fromArray(new double[] {0, 2, -3, 1000}, 4);
        Tensor y = Tensor.fromArray(new double[] {0.3, 1, 1, 0}, 4);
        assertArrayEquals(new double[] {LN2, Math.log1p(Math.exp(-2)), Math.log1p(Math.exp(3)), 1000},
                d(F.binaryCrossEntropyWithLogits(x, y, null, Reduction.NONE)), 1e-12);
        // posWeight w multiplies the positive term: w·y·log(1 + e⁻ˣ) + (1 − y)·log(1 + eˣ)
        Tensor w = Tensor.fromArray(new double[] {2, 2, 2, 2}, 4);
        assertArrayEquals(new double[] {(2 * 0.3 + 0.7) * LN2, 2 * Math.log1p(Math.exp(-2)), 2 * Math.log1p(Math.exp(3)), 1000},
                d(F.binaryCrossEntropyWithLogits(x, y, w, Reduction.NONE)), 1e-12);
        assertEquals((LN2 + Math.log1p(Math.exp(-2))) / 2,
                F.binaryCrossEntropyWithLogits(x.narrow(0, 0, 2), y.narrow(0, 0, 2)).item(), 1e-12);
    }

    @Test
    void linearEmbeddingDropoutOneHot() {
        // [1, 2]·Wᵀ + b with W = [[1, 0], [1, 1], [0, 2]], b = [0, 1, −1]: [1, 4, 3]
        Tensor w = Tensor.of(1, 0, 1, 1, 0, 2).view(3, 2);
        Tensor b = Tensor.of(0, 1, -1);
        assertArrayEquals(new float[] {1, 4, 3}, F.linear(Tensor.of(1, 2), w, b).toFloatArray());
        Tensor x3 = Tensor.of(1, 2, 0, 1).view(2, 1, 2);
        Tensor y3 = F.linear(x3, w, null);
        assertArrayEquals(new int[] {2, 1, 3}, y3.shape());
        assertArrayEquals(new float[] {1, 3, 4, 0, 1, 2}, y3.toFloatArray());

        Tensor table = Tensor.arange(0, 6, 1).view(3, 2);
        Tensor e = F.embedding(Tensor.fromArray(new long[] {2, 0, 2, 1}, 2, 2), table);
        assertArrayEquals(new int[] {2, 2, 2}, e.shape());
        assertArrayEquals(new float[] {4, 5, 0, 1, 4, 5, 2, 3}, e.toFloatArray());

        Tensor x = Tensor.ones(3, 4);
        assertSame(x, F.dropout(x, 0, true, new Generator(1)), "p = 0 is the identity");
        assertSame(x, F.dropout(x, 0.9, false, new Generator(1)), "eval mode is the identity");
        assertArrayEquals(new float[12], F.dropout(x, 1, true, new Generator(1)).toFloatArray(), "p = 1 drops all");
        assertArrayEquals(F.dropout(x, 0.5, true, new Generator(9)).toFloatArray(),
                F.dropout(x, 0.5, true, new Generator(9)).toFloatArray(), "the same seed gives the same mask");
    }
}
