package dev.qkv.tensor;

import dev.qkv.autograd.Autograd;
import dev.qkv.nn.functional.F;
import dev.qkv.testing.GradCheck;
import dev.qkv.testing.Rand;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AutogradBasicsTest {

    @Test
    void productRuleByHand() {
        // y = a·b + a, so dy/da = b + 1 = 4, dy/db = a = 2
        Tensor a = Tensor.of(2f).requiresGrad(true);
        Tensor b = Tensor.of(3f).requiresGrad(true);
        a.mul(b).add(a).sum().backward();
        assertEquals(4.0, a.grad().item(), 1e-6);
        assertEquals(2.0, b.grad().item(), 1e-6);
    }

    @Test
    void gradientsAccumulateAcrossBackwardCalls() {
        Tensor x = Tensor.of(1f, 2f).requiresGrad(true);
        x.mul(3).sum().backward();
        x.mul(3).sum().backward();
        assertArrayEquals(new float[] {6f, 6f}, x.grad().toFloatArray());
        x.zeroGrad();
        assertEquals(null, x.grad());
    }

    @Test
    void tensorUsedTwiceGetsBothContributions() {
        Tensor x = Tensor.of(3f).requiresGrad(true);
        Tensor y = x.mul(x);          // dy/dx = 2x = 6
        y.add(x).sum().backward();    // + 1
        assertEquals(7.0, x.grad().item(), 1e-6);
    }

    @Test
    void broadcastGradientIsSummedBackToInputShape() {
        Tensor bias = Tensor.of(1f, 2f, 3f).requiresGrad(true);
        Tensor x = Tensor.ones(4, 3);
        x.add(bias).sum().backward();
        assertArrayEquals(new float[] {4f, 4f, 4f}, bias.grad().toFloatArray());
    }

    @Test
    void backwardOnNonScalarNeedsAGradient() {
        Tensor x = Tensor.of(1f, 2f).requiresGrad(true);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> x.mul(2).backward());
        assertTrue(e.getMessage().contains("scalar"), e.getMessage());
    }

    @Test
    void graphIsReleasedAfterBackward() {
        Tensor x = Tensor.of(1f).requiresGrad(true);
        Tensor y = x.exp().sum();
        y.backward();
        IllegalStateException e = assertThrows(IllegalStateException.class, y::backward);
        assertTrue(e.getMessage().contains("released"), e.getMessage());
    }

    @Test
    void noGradRecordsNothingAndDetachCutsTheGraph() {
        Tensor x = Tensor.of(1f).requiresGrad(true);
        try (var s = Autograd.noGrad()) {
            assertTrue(!x.mul(2).requiresGrad());
        }
        assertTrue(!x.detach().requiresGrad());
        assertTrue(x.mul(2).requiresGrad());
    }

    @Test
    void anomalyModeNamesTheOpThatMadeNaN() {
        Tensor x = Tensor.of(-1f).requiresGrad(true);
        try (var s = Autograd.detectAnomaly()) {
            ArithmeticException e = assertThrows(ArithmeticException.class, () -> x.sqrt());
            assertTrue(e.getMessage().contains("'sqrt'"), e.getMessage());
        }
    }

    @Test
    void matmulGradientsInDoublePrecision() {
        Generator g = new Generator(7);
        GradCheck.check("matmul 2d", in -> in[0].matmul(in[1]), Rand.uniform(g, -1, 1, 3, 5), Rand.uniform(g, -1, 1, 5, 4));
        GradCheck.check("matmul transposed views", in -> in[0].matmul(in[1]),
                Rand.transposedView(g, -1, 1, 3, 5), Rand.transposedView(g, -1, 1, 5, 1));
        GradCheck.check("matmul batch broadcast", in -> in[0].matmul(in[1]),
                Rand.uniform(g, -1, 1, 2, 1, 3, 4), Rand.uniform(g, -1, 1, 3, 4, 2));
        GradCheck.check("matmul vector", in -> in[0].matmul(in[1]), Rand.uniform(g, -1, 1, 4), Rand.uniform(g, -1, 1, 2, 4, 3));
    }

    @Test
    void softmaxAndCrossEntropyGradients() {
        Generator g = new Generator(8);
        GradCheck.check("softmax", in -> F.softmax(in[0], 1), Rand.uniform(g, -2, 2, 3, 5, 2));
        GradCheck.check("logSoftmax", in -> F.logSoftmax(in[0], -1), Rand.uniform(g, -2, 2, 4, 7));
        Tensor targets = Tensor.ofLongs(1, 0, 4, -100, 2);
        GradCheck.check("crossEntropy", in -> F.crossEntropy(in[0], targets, dev.qkv.nn.functional.Reduction.MEAN, -100, 0.1),
                Rand.uniform(g, -2, 2, 5, 6));
        GradCheck.check("layerNorm", in -> F.layerNorm(in[0], new int[] {6}, in[1], in[2], 1e-5),
                Rand.uniform(g, -2, 2, 4, 6), Rand.uniform(g, 0.5, 1.5, 6), Rand.uniform(g, -1, 1, 6));
        GradCheck.check("rmsNorm", in -> F.rmsNorm(in[0], new int[] {3, 2}, in[1], 1e-6),
                Rand.uniform(g, -2, 2, 4, 3, 2), Rand.uniform(g, 0.5, 1.5, 3, 2));
    }
}
