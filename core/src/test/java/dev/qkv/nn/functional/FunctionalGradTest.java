package dev.qkv.nn.functional;

import dev.qkv.tensor.DType;
import dev.qkv.tensor.Generator;
import dev.qkv.tensor.Tensor;
import dev.qkv.testing.GradCheck;
import dev.qkv.testing.Rand;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Gradient checks of nn.functional: softmax, norms, losses, embedding, dropout, linear. */
class FunctionalGradTest {

    private final Generator g = new Generator(41);

    @Test
    void softmaxAndLogSoftmaxOverEveryDim() {
        Tensor x = Rand.uniform(g, -2, 2, 2, 3, 4);
        Tensor xt = Rand.transposedView(g, -2, 2, 3, 4, 2);
        for (int dim : new int[] {0, 1, 2, -1, -3}) {
            GradCheck.check("softmax dim " + dim, in -> F.softmax(in[0], dim), x);
            GradCheck.check("logSoftmax dim " + dim, in -> F.logSoftmax(in[0], dim), x);
            GradCheck.check("softmax of a transposed view dim " + dim, in -> F.softmax(in[0], dim), xt);
            GradCheck.check("logSoftmax of a transposed view dim " + dim, in -> F.logSoftmax(in[0], dim), xt);
        }
        GradCheck.check("softmax of a narrowed view", in -> F.softmax(in[0], 1), Rand.narrowedView(g, -2, 2, 3, 5));
        GradCheck.check("softmax with a size-1 dim", in -> F.softmax(in[0], 0), Rand.uniform(g, -2, 2, 1, 3));
    }

    @Test
    void layerNorm() {
        GradCheck.check("layerNorm [6] with weight and bias", in -> F.layerNorm(in[0], new int[] {6}, in[1], in[2], 1e-5),
                Rand.uniform(g, -2, 2, 2, 3, 6), Rand.uniform(g, 0.5, 1.5, 6), Rand.uniform(g, -1, 1, 6));
        GradCheck.check("layerNorm [3, 4] (multi-dim) with weight and bias",
                in -> F.layerNorm(in[0], new int[] {3, 4}, in[1], in[2], 1e-5),
                Rand.uniform(g, -2, 2, 2, 3, 4), Rand.uniform(g, 0.5, 1.5, 3, 4), Rand.uniform(g, -1, 1, 3, 4));
        GradCheck.check("layerNorm without weight and bias", in -> F.layerNorm(in[0], new int[] {5}, null, null, 1e-5),
                Rand.transposedView(g, -2, 2, 4, 5));
        GradCheck.check("layerNorm weight only, narrowed input",
                in -> F.layerNorm(in[0], new int[] {4}, in[1], null, 1e-5),
                Rand.narrowedView(g, -2, 2, 3, 4), Rand.uniform(g, 0.5, 1.5, 4));
        GradCheck.check("layerNorm bias only, whole tensor", in -> F.layerNorm(in[0], new int[] {2, 3}, null, in[1], 1e-5),
                Rand.uniform(g, -2, 2, 2, 3), Rand.uniform(g, -1, 1, 2, 3));
    }

    @Test
    void rmsNorm() {
        GradCheck.check("rmsNorm [5] with weight", in -> F.rmsNorm(in[0], new int[] {5}, in[1], 1e-6),
                Rand.uniform(g, -2, 2, 3, 5), Rand.uniform(g, 0.5, 1.5, 5));
        GradCheck.check("rmsNorm [2, 3] without weight, transposed", in -> F.rmsNorm(in[0], new int[] {2, 3}, null, 1e-6),
                Rand.transposedView(g, -2, 2, 4, 2, 3));
        GradCheck.check("rmsNorm of a narrowed view", in -> F.rmsNorm(in[0], new int[] {4}, in[1], 1e-6),
                Rand.narrowedView(g, -2, 2, 3, 4), Rand.uniform(g, 0.5, 1.5, 4));
    }

    @Test
    void crossEntropy() {
        Tensor t = Tensor.ofLongs(1, 0, 4, -100, 2);
        for (Reduction r : Reduction.values()) {
            for (double smoothing : new double[] {0, 0.1}) {
                GradCheck.check("crossEntropy " + r + " ε=" + smoothing, in -> F.crossEntropy(in[0], t, r, -100, smoothing),
                        Rand.uniform(g, -2, 2, 5, 6));
            }
        }
        GradCheck.check("crossEntropy of transposed logits", in -> F.crossEntropy(in[0], t),
                Rand.transposedView(g, -2, 2, 5, 6));
        // [N, C, d] with targets [N, d], an ignore index of 3 (a valid class number)
        Tensor td = Tensor.fromArray(new long[] {0, 3, 2, 1, 3, 0}, 2, 3);
        GradCheck.check("crossEntropy [N,C,d] mean ignore=3 ε=0.2",
                in -> F.crossEntropy(in[0], td, Reduction.MEAN, 3, 0.2), Rand.uniform(g, -2, 2, 2, 4, 3));
        GradCheck.check("crossEntropy [N,C,d] none", in -> F.crossEntropy(in[0], td, Reduction.NONE, -100, 0),
                Rand.uniform(g, -2, 2, 2, 4, 3));
        GradCheck.check("crossEntropy [C] with a 0-dim target", in -> F.crossEntropy(in[0], Tensor.ofLongs(2).reshape()),
                Rand.uniform(g, -2, 2, 4));
    }

    @Test
    void crossEntropyGradientWithAMaskedFirstClass() {
        // p = softmax([mask, 0, 1]) = [0, 1/(1+e), e/(1+e)]; d/dx = p − onehot(2)
        double e = Math.E;
        for (float mask : new float[] {Float.NEGATIVE_INFINITY, -1e8f, -3.4e38f}) {
            Tensor x = Tensor.of(mask, 0, 1).view(1, 3).requiresGrad(true);
            F.crossEntropy(x, Tensor.ofLongs(2)).backward();
            assertArrayEquals(new double[] {0, 1 / (1 + e), e / (1 + e) - 1}, x.grad().toDoubleArray(), 1e-6,
                    "first logit " + mask);
        }
    }

    @Test
    void nllLoss() {
        Tensor t = Tensor.ofLongs(1, -100, 3, 0);
        for (Reduction r : Reduction.values()) {
            GradCheck.check("nllLoss " + r, in -> F.nllLoss(in[0], t, r, -100), Rand.uniform(g, -3, 0, 4, 5));
        }
        GradCheck.check("nllLoss of logSoftmax equals crossEntropy's gradient",
                in -> F.nllLoss(F.logSoftmax(in[0], 1), t, Reduction.MEAN, -100), Rand.transposedView(g, -2, 2, 4, 5));
        Tensor td = Tensor.fromArray(new long[] {0, 2, 1, 1}, 2, 2);
        GradCheck.check("nllLoss [N,C,d]", in -> F.nllLoss(in[0], td, Reduction.SUM, -100), Rand.uniform(g, -3, 0, 2, 3, 2));
    }

    @Test
    void mseLoss() {
        for (Reduction r : Reduction.values()) {
            GradCheck.check("mseLoss " + r, in -> F.mseLoss(in[0], in[1], r),
                    Rand.uniform(g, -2, 2, 3, 4), Rand.transposedView(g, -2, 2, 3, 4));
        }
    }

    @Test
    void binaryCrossEntropyWithLogits() {
        for (Reduction r : Reduction.values()) {
            // the gradient with respect to the target is checked too (PyTorch supports it)
            GradCheck.check("bce " + r, in -> F.binaryCrossEntropyWithLogits(in[0], in[1], null, r),
                    Rand.uniform(g, -4, 4, 3, 4), Rand.uniform(g, 0, 1, 3, 4));
            GradCheck.check("bce posWeight " + r, in -> F.binaryCrossEntropyWithLogits(in[0], in[1], in[2], r),
                    Rand.transposedView(g, -4, 4, 3, 4), Rand.uniform(g, 0, 1, 3, 4), Rand.uniform(g, 0.5, 3, 4));
        }
    }

    @Test
    void binaryCrossEntropyGradientAtZeroLogit() {
        // d/dx [softplus(x) − x·y] = σ(x) − y, which at x = 0 is 0.5 − y (no kink there: the
        // loss is smooth, though the stable formula is written with |x| and max(x, 0))
        Tensor x = Tensor.fromArray(new double[] {0, 0, 0}, 3).requiresGrad(true);
        Tensor y = Tensor.fromArray(new double[] {0, 1, 0.25}, 3);
        F.binaryCrossEntropyWithLogits(x, y, null, Reduction.SUM).backward();
        assertArrayEquals(new double[] {0.5, -0.5, 0.25}, x.grad().toDoubleArray(), 1e-15);
        Tensor xw = Tensor.fromArray(new double[] {0, 0, 0}, 3).requiresGrad(true);
        // with posWeight w: d/dx = (1 − y)·σ(x) − w·y·(1 − σ(x)) = 0.5·(1 − y − w·y) at x = 0
        F.binaryCrossEntropyWithLogits(xw, y, Tensor.fromArray(new double[] {2, 2, 2}, 3), Reduction.SUM).backward();
        assertArrayEquals(new double[] {0.5, -1, 0.5 * (1 - 0.25 - 0.5)}, xw.grad().toDoubleArray(), 1e-15);
    }

    @Test
    void embeddingWithRepeatedIds() {
        Tensor ids = Tensor.fromArray(new long[] {3, 1, 3, 0, 3, 1}, 2, 3);
        GradCheck.check("embedding", in -> F.embedding(ids, in[0]), Rand.uniform(g, -1, 1, 4, 5));
        // by hand: id 3 appears three times, id 2 never
        Tensor w = Tensor.zeros(DType.FLOAT64, 4, 2).requiresGrad(true);
        F.embedding(ids, w).sum().backward();
        assertArrayEquals(new double[] {1, 1, 2, 2, 0, 0, 3, 3}, w.grad().toDoubleArray());
    }

    @Test
    void dropoutWithAFixedMask() {
        // a fresh Generator in the function, so every evaluation draws the same mask
        GradCheck.check("dropout p=0.3", in -> F.dropout(in[0], 0.3, true, new Generator(5)),
                Rand.transposedView(g, -1, 1, 4, 6));
        Tensor x = Tensor.ones(2000).to(DType.FLOAT64).requiresGrad(true);
        Tensor y = F.dropout(x, 0.25, true, new Generator(6));
        y.sum().backward();
        double[] out = y.toDoubleArray();
        double[] grad = x.grad().toDoubleArray();
        int kept = 0;
        for (int i = 0; i < out.length; i++) {
            // each element is either dropped (0) or scaled by 1/(1 − p); its gradient is the same factor
            assertEquals(out[i] == 0 ? 0 : 1 / 0.75, out[i], 1e-12);
            assertEquals(out[i], grad[i], 1e-12);
            kept += out[i] == 0 ? 0 : 1;
        }
        // 2000 Bernoulli(0.75) draws: mean 1500, sd ≈ 19.4; ±6 sd never fails by chance
        assertEquals(1500, kept, 117);
        assertEquals(x, F.dropout(x, 0.5, false, new Generator(1)), "eval mode is the identity");
    }

    @Test
    void linear() {
        GradCheck.check("linear 2-D with bias", in -> F.linear(in[0], in[1], in[2]),
                Rand.uniform(g, -1, 1, 3, 4), Rand.uniform(g, -1, 1, 5, 4), Rand.uniform(g, -1, 1, 5));
        GradCheck.check("linear 3-D input without bias", in -> F.linear(in[0], in[1], null),
                Rand.transposedView(g, -1, 1, 2, 3, 4), Rand.transposedView(g, -1, 1, 2, 4));
        GradCheck.check("linear 1-D input", in -> F.linear(in[0], in[1], in[2]),
                Rand.uniform(g, -1, 1, 4), Rand.uniform(g, -1, 1, 3, 4), Rand.uniform(g, -1, 1, 3));
    }
}
