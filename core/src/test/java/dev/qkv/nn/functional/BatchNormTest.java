package dev.qkv.nn.functional;

import dev.qkv.tensor.DType;
import dev.qkv.tensor.Generator;
import dev.qkv.tensor.Tensor;
import dev.qkv.testing.GradCheck;
import dev.qkv.testing.Rand;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Batch norm against per-channel loops, gradient checks in training and eval, running statistics. */
class BatchNormTest {

    /**
     * Training-mode batch norm of x [N, C, S] (S = product of trailing dims), one channel at a
     * time: mean and biased variance over its N·S values. Also returns the new running stats.
     */
    static double[][] reference(double[] x, int n, int c, int s, double[] w, double[] b, double[] rm, double[] rv,
                                double momentum, double eps) {
        double[] y = new double[x.length];
        double[] newMean = rm.clone();
        double[] newVar = rv.clone();
        for (int ch = 0; ch < c; ch++) {
            double sum = 0;
            for (int i = 0; i < n; i++) {
                for (int k = 0; k < s; k++) {
                    sum += x[(i * c + ch) * s + k];
                }
            }
            int count = n * s;
            double mean = sum / count;
            double sq = 0;
            for (int i = 0; i < n; i++) {
                for (int k = 0; k < s; k++) {
                    double d = x[(i * c + ch) * s + k] - mean;
                    sq += d * d;
                }
            }
            double var = sq / count;                                  // biased: normalizes
            for (int i = 0; i < n; i++) {
                for (int k = 0; k < s; k++) {
                    int at = (i * c + ch) * s + k;
                    y[at] = (x[at] - mean) / Math.sqrt(var + eps) * w[ch] + b[ch];
                }
            }
            newMean[ch] = (1 - momentum) * rm[ch] + momentum * mean;
            newVar[ch] = (1 - momentum) * rv[ch] + momentum * sq / (count - 1);   // unbiased: estimates
        }
        return new double[][] {y, newMean, newVar};
    }

    @Test
    void trainingNormalizesWithBatchStatisticsAndUpdatesTheRunningOnes() {
        Generator g = new Generator(1);
        Tensor x = Rand.uniform(g, -2, 3, 3, 4, 5, 3);
        Tensor w = Rand.uniform(g, 0.5, 1.5, 4);
        Tensor b = Rand.uniform(g, -1, 1, 4);
        Tensor rm = Rand.uniform(g, -1, 1, 4);
        Tensor rv = Rand.uniform(g, 0.5, 2, 4);
        double[][] want = reference(x.toDoubleArray(), 3, 4, 15, w.toDoubleArray(), b.toDoubleArray(),
                rm.toDoubleArray(), rv.toDoubleArray(), 0.1, 1e-5);
        Tensor y = BatchNorm.batchNorm(x, rm, rv, w, b, true, 0.1, 1e-5);
        assertArrayEquals(want[0], y.toDoubleArray(), 1e-12);
        assertArrayEquals(want[1], rm.toDoubleArray(), 1e-12, "running mean");
        assertArrayEquals(want[2], rv.toDoubleArray(), 1e-12, "running var (unbiased)");
    }

    @Test
    void evalUsesTheRunningStatisticsSoExamplesAreIndependent() {
        Tensor x = Tensor.fromArray(new double[] {1, 2, 3, 4}, 2, 2);          // [N=2, C=2]
        Tensor rm = Tensor.fromArray(new double[] {1, -1}, 2);
        Tensor rv = Tensor.fromArray(new double[] {4, 0.25}, 2);
        Tensor y = BatchNorm.batchNorm(x, rm, rv, null, null, false, 0.1, 0);
        // (x − running mean)/√running var, per column
        assertArrayEquals(new double[] {0, 6, 1, 10}, y.toDoubleArray(), 1e-12);
        assertArrayEquals(new double[] {1, -1}, rm.toDoubleArray(), 0, "eval leaves running stats alone");
    }

    @Test
    void gradientsInTrainingFlowThroughTheBatchStatistics() {
        Generator g = new Generator(2);
        Tensor x = Rand.uniform(g, -2, 2, 3, 2, 3, 2);
        Tensor w = Rand.uniform(g, 0.5, 1.5, 2);
        Tensor b = Rand.uniform(g, -1, 1, 2);
        GradCheck.check("batchNorm training [N, C, H, W]",
                in -> BatchNorm.batchNorm(in[0], null, null, in[1], in[2], true, 0.1, 1e-5), x, w, b);
        Tensor x2 = Rand.uniform(g, -2, 2, 5, 3);
        GradCheck.check("batchNorm training [N, C], no affine",
                in -> BatchNorm.batchNorm(in[0], null, null, null, null, true, 0.1, 1e-3), x2);
        Tensor rm = Rand.uniform(g, -1, 1, 2);
        Tensor rv = Rand.uniform(g, 0.5, 2, 2);
        GradCheck.check("batchNorm eval [N, C, L]",
                in -> BatchNorm.batchNorm(in[0], rm, rv, in[1], in[2], false, 0.1, 1e-5),
                Rand.uniform(g, -2, 2, 2, 2, 3), w, b);
    }

    @Test
    void trainingOutputHasZeroMeanAndUnitVariancePerChannel() {
        Tensor x = Rand.uniform(new Generator(3), 5, 9, 8, 3, 4, 4);
        Tensor y = BatchNorm.batchNorm(x, null, null, null, null, true, 0.1, 0);
        Tensor mean = y.mean(new int[] {0, 2, 3}, false);
        Tensor var = y.var(new int[] {0, 2, 3}, false, 0);
        assertArrayEquals(new double[3], mean.toDoubleArray(), 1e-12);
        assertArrayEquals(new double[] {1, 1, 1}, var.toDoubleArray(), 1e-12);
    }

    @Test
    void errors() {
        Tensor x = Tensor.zeros(DType.FLOAT64, 1, 3);
        var e = assertThrows(IllegalArgumentException.class,
                () -> BatchNorm.batchNorm(x, null, null, null, null, true, 0.1, 1e-5));
        assertTrue(e.getMessage().contains("more than 1 value per channel") && e.getMessage().contains("[1, 3]"),
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> BatchNorm.batchNorm(Tensor.zeros(DType.FLOAT64, 4, 3),
                null, null, Tensor.zeros(DType.FLOAT64, 2), null, true, 0.1, 1e-5));
        assertTrue(e.getMessage().contains("weight must have shape [C] = [3]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> BatchNorm.batchNorm(Tensor.zeros(DType.FLOAT64, 4, 3),
                Tensor.zeros(3), Tensor.ones(3), null, null, true, 0.1, 1e-5));
        assertTrue(e.getMessage().contains("runningMean (FLOAT32"), e.getMessage());
        // one value per channel is fine in eval
        assertEquals(3, BatchNorm.batchNorm(x, Tensor.zeros(DType.FLOAT64, 3), Tensor.full(DType.FLOAT64, 1, 3), null,
                null, false, 0.1, 1e-5).numel());
    }
}
