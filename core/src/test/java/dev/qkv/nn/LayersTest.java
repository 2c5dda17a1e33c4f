package dev.qkv.nn;

import dev.qkv.autograd.Autograd;
import dev.qkv.tensor.DType;
import dev.qkv.tensor.Generator;
import dev.qkv.tensor.Tensor;
import dev.qkv.testing.Rand;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Forward values of each layer against hand-computed results, and gradient checks in double precision. */
class LayersTest {

    private static void set(Tensor t, float... values) {
        try (var s = Autograd.noGrad()) {
            t.copy_(Tensor.fromArray(values, t.shape()));
        }
    }

    @Test
    void linearComputesXWTransposedPlusBias() {
        Linear lin = new Linear(2, 3, true, new Generator(0));
        set(lin.weight, 1, 2, 3, 4, 5, 6);              // W = [[1,2],[3,4],[5,6]]
        set(lin.bias, 0.5f, -1, 2);
        Tensor x = Tensor.fromArray(new float[] {1, 1, 2, -1}, 2, 2);
        // row 0: [1+2+0.5, 3+4−1, 5+6+2]; row 1: [2−2+0.5, 6−4−1, 10−6+2]
        assertArrayEquals(new float[] {3.5f, 6, 13, 0.5f, 1, 6}, lin.forward(x).toFloatArray(), 1e-6f);
        // Leading dims are kept: [2, 1, 2] -> [2, 1, 3].
        assertArrayEquals(new int[] {2, 1, 3}, lin.forward(x.reshape(2, 1, 2)).shape());
    }

    @Test
    void linearInitIsUniformWithinOneOverSqrtFanIn() {
        Linear lin = new Linear(16, 64, true, new Generator(1));
        double bound = 1 / Math.sqrt(16);               // kaiming-uniform with a = √5 gives 1/√in
        double[] w = lin.weight.toDoubleArray();
        double max = 0;
        double sumSq = 0;
        for (double v : w) {
            max = Math.max(max, Math.abs(v));
            sumSq += v * v;
        }
        assertTrue(max <= bound && max > 0.95 * bound, "max |w| = " + max + ", bound " + bound);
        // U(−b, b) has variance b²/3; 1024 draws land within 10%.
        assertEquals(bound * bound / 3, sumSq / w.length, 0.1 * bound * bound / 3);
        for (double v : lin.bias.toDoubleArray()) {
            assertTrue(Math.abs(v) <= bound, "bias " + v);
        }
        assertArrayEquals(new int[] {64, 16}, lin.weight.shape());
    }

    @Test
    void linearWithoutBias() {
        Linear lin = new Linear(3, 2, false, new Generator(0));
        assertNull(lin.bias);
        assertEquals(java.util.List.of("weight"), java.util.List.copyOf(lin.namedParameters().keySet()));
        set(lin.weight, 1, 0, 0, 0, 1, 1);
        assertArrayEquals(new float[] {1, 5}, lin.forward(Tensor.of(1, 2, 3)).toFloatArray(), 1e-6f);
    }

    @Test
    void linearRejectsWrongInputWidth() {
        Linear lin = new Linear(3, 2, true, new Generator(0));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> lin.forward(Tensor.zeros(4, 5)));
        assertTrue(e.getMessage().contains("linear") && e.getMessage().contains("[4, 5]"), e.getMessage());
    }

    @Test
    void embeddingPicksRows() {
        Embedding emb = new Embedding(3, 2, new Generator(0));
        set(emb.weight, 10, 11, 20, 21, 30, 31);
        Tensor ids = Tensor.fromArray(new long[] {0, 2, 1, 0}, 2, 2);
        Tensor out = emb.forward(ids);
        assertArrayEquals(new int[] {2, 2, 2}, out.shape());
        assertArrayEquals(new float[] {10, 11, 30, 31, 20, 21, 10, 11}, out.toFloatArray());
        assertThrows(IllegalArgumentException.class, () -> emb.forward(Tensor.of(1f)));
    }

    @Test
    void embeddingInitIsStandardNormal() {
        double[] w = new Embedding(100, 20, new Generator(2)).weight.toDoubleArray();
        double mean = 0;
        double sq = 0;
        for (double v : w) {
            mean += v / w.length;
            sq += v * v / w.length;
        }
        assertEquals(0, mean, 0.1);                      // 2000 draws: standard error ≈ 0.022
        assertEquals(1, sq - mean * mean, 0.1);
    }

    @Test
    void layerNormNormalizesThenScalesAndShifts() {
        LayerNorm ln = new LayerNorm(4);
        set(ln.weight, 1, 2, 1, 1);
        set(ln.bias, 0, 0, 1, 0);
        // x = [1,2,3,4]: mean 2.5, biased variance 1.25, so x̂ = (x − 2.5)/√(1.25 + 1e-5)
        double r = 1 / Math.sqrt(1.25 + 1e-5);
        float[] expected = {(float) (-1.5 * r), (float) (2 * -0.5 * r), (float) (0.5 * r + 1), (float) (1.5 * r)};
        assertArrayEquals(expected, ln.forward(Tensor.of(1, 2, 3, 4)).toFloatArray(), 1e-5f);
        assertEquals(2, ln.parameters().size());
    }

    @Test
    void layerNormWithoutAffineOrBias() {
        LayerNorm plain = new LayerNorm(new int[] {2}, 0, false);
        assertEquals(0, plain.numParameters());
        assertArrayEquals(new float[] {-1, 1}, plain.forward(Tensor.of(3, 5)).toFloatArray(), 1e-6f);
        LayerNorm noBias = new LayerNorm(new int[] {2}, 1e-5, true, false);
        assertEquals(java.util.List.of("weight"), java.util.List.copyOf(noBias.namedParameters().keySet()));
    }

    @Test
    void rmsNormDividesByRootMeanSquare() {
        RMSNorm norm = new RMSNorm(4, 1e-6);
        set(norm.weight, 1, 1, 2, 1);
        // mean(x²) = (1 + 4 + 9 + 16)/4 = 7.5
        double r = 1 / Math.sqrt(7.5 + 1e-6);
        float[] expected = {(float) r, (float) (2 * r), (float) (2 * 3 * r), (float) (4 * r)};
        assertArrayEquals(expected, norm.forward(Tensor.of(1, 2, 3, 4)).toFloatArray(), 1e-6f);
    }

    @Test
    void dropoutZeroesAndRescalesInTrainingOnly() {
        Dropout drop = new Dropout(0.25, new Generator(3));
        Tensor x = Tensor.ones(1000);
        float[] y = drop.forward(x).toFloatArray();
        int zeros = 0;
        for (float v : y) {
            assertTrue(v == 0 || Math.abs(v - 1 / 0.75f) < 1e-6, "dropout output " + v);
            zeros += v == 0 ? 1 : 0;
        }
        assertEquals(250, zeros, 45);                    // binomial(1000, 0.25): sd ≈ 14
        drop.eval();
        assertSame(x, drop.forward(x));
        assertThrows(IllegalArgumentException.class, () -> new Dropout(1.5, new Generator(0)));
    }

    @Test
    void activationsMatchTheirFormulas() {
        Tensor x = Tensor.of(-1, 0.5f, 1);
        assertArrayEquals(new float[] {0, 0.5f, 1}, new ReLU().forward(x).toFloatArray());
        assertArrayEquals(new float[] {(float) Math.tanh(-1), (float) Math.tanh(0.5), (float) Math.tanh(1)},
                new Tanh().forward(x).toFloatArray(), 1e-6f);
        float[] sig = {(float) (1 / (1 + Math.E)), (float) (1 / (1 + Math.exp(-0.5))), (float) (1 / (1 + Math.exp(-1)))};
        assertArrayEquals(sig, new Sigmoid().forward(x).toFloatArray(), 1e-6f);
        assertArrayEquals(new float[] {-sig[0], 0.5f * sig[1], sig[2]}, new SiLU().forward(x).toFloatArray(), 1e-6f);
        // x·Φ(x) with Φ(−1) = 0.15865525, Φ(0.5) = 0.69146246, Φ(1) = 0.84134475
        assertArrayEquals(new float[] {-0.15865525f, 0.5f * 0.69146246f, 0.84134475f},
                new GELU().forward(x).toFloatArray(), 1e-6f);
        float[] approx = new float[3];
        float[] xs = x.toFloatArray();
        for (int i = 0; i < 3; i++) {
            double v = xs[i];
            approx[i] = (float) (0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v))));
        }
        assertArrayEquals(approx, new GELU(true).forward(x).toFloatArray(), 1e-6f);
        // softmax([1, 2, 3]) = e^x / (e + e² + e³)
        double z = Math.E + Math.exp(2) + Math.exp(3);
        assertArrayEquals(new float[] {(float) (Math.E / z), (float) (Math.exp(2) / z), (float) (Math.exp(3) / z)},
                new Softmax(-1).forward(Tensor.of(1, 2, 3)).toFloatArray(), 1e-6f);
    }

    @Test
    void sequentialAppliesLayersInOrder() {
        Linear lin = new Linear(2, 2, false, new Generator(0));
        set(lin.weight, 1, 0, 0, -1);                    // (a, b) -> (a, −b)
        Sequential seq = new Sequential(lin, new ReLU());
        assertArrayEquals(new float[] {2, 0}, seq.forward(Tensor.of(2, 3)).toFloatArray());
        assertSame(lin, seq.get(0));
        assertEquals(2, seq.size());
        assertThrows(IndexOutOfBoundsException.class, () -> seq.get(2));
    }

    // ===================================================================== gradient checks

    @Test
    void linearGradients() {
        Generator g = new Generator(10);
        Linear lin = new Linear(3, 4, true, g);
        lin.to(DType.FLOAT64);
        ModuleGradCheck.check("Linear", lin, Rand.uniform(g, -1, 1, 2, 5, 3));
    }

    @Test
    void embeddingGradients() {
        Embedding emb = new Embedding(5, 3, new Generator(11));
        emb.to(DType.FLOAT64);
        // id 1 appears twice: its row's gradient is the sum of both uses.
        ModuleGradCheck.check("Embedding", emb, Tensor.fromArray(new long[] {1, 4, 1, 0}, 2, 2));
    }

    @Test
    void layerNormGradients() {
        Generator g = new Generator(12);
        LayerNorm ln = new LayerNorm(new int[] {5}, 1e-5, true);
        ln.to(DType.FLOAT64);
        Init.uniform_(ln.weight, 0.5, 1.5, g);
        Init.uniform_(ln.bias, -0.5, 0.5, g);
        ModuleGradCheck.check("LayerNorm", ln, Rand.uniform(g, -2, 2, 3, 5));
    }

    @Test
    void rmsNormGradients() {
        Generator g = new Generator(13);
        RMSNorm norm = new RMSNorm(6, 1e-6);
        norm.to(DType.FLOAT64);
        Init.uniform_(norm.weight, 0.5, 1.5, g);
        ModuleGradCheck.check("RMSNorm", norm, Rand.uniform(g, -2, 2, 2, 2, 6));
    }

    @Test
    void mlpGradients() {
        Generator g = new Generator(14);
        Sequential mlp = new Sequential(new Linear(3, 5, true, g), new GELU(true), new LayerNorm(5), new Linear(5, 2, g));
        mlp.to(DType.FLOAT64);
        ModuleGradCheck.check("MLP", mlp, Rand.uniform(g, -1, 1, 4, 3));
    }
}
