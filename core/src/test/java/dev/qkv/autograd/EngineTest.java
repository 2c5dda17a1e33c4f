package dev.qkv.autograd;

import dev.qkv.tensor.DType;
import dev.qkv.tensor.Generator;
import dev.qkv.tensor.Tensor;
import dev.qkv.testing.GradCheck;
import dev.qkv.testing.Rand;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The engine: graph shapes, accumulation, what is recorded and what is not. */
class EngineTest {

    @Test
    void diamondGraphSumsBothPaths() {
        // y = exp(x)·sin(x) + exp(x): x reaches y by three paths through a shared node
        GradCheck.check("diamond", in -> {
            Tensor e = in[0].exp();
            return e.mul(in[0].sin()).add(e);
        }, Rand.uniform(new Generator(1), -1, 1, 5));
        // by hand: d/dx (x·x·x) = 3x²
        Tensor x = Tensor.fromArray(new double[] {2}, 1).requiresGrad(true);
        x.mul(x).mul(x).sum().backward();
        assertEquals(12.0, x.grad().item());
    }

    @Test
    void deepChainsDoNotOverflowTheStack() {
        // 20000 nodes deep: the topological sort is iterative
        Tensor x = Tensor.fromArray(new double[] {1}, 1).requiresGrad(true);
        Tensor y = x;
        for (int i = 0; i < 20000; i++) {
            y = y.mul(1.0001);
        }
        y.sum().backward();
        assertEquals(Math.pow(1.0001, 20000), x.grad().item(), 1e-9);
    }

    @Test
    void onlyLeavesKeepGradients() {
        Tensor x = Tensor.of(1, 2).requiresGrad(true);
        Tensor y = x.mul(2);
        y.sum().backward();
        assertNull(y.grad(), "intermediate results do not keep their gradient (as in PyTorch)");
        assertArrayEquals(new float[] {2, 2}, x.grad().toFloatArray());
        assertFalse(y.isLeaf());
        assertTrue(x.isLeaf());
    }

    @Test
    void explicitGradientIsTheSeed() {
        Tensor x = Tensor.of(1, 2, 3).requiresGrad(true);
        x.mul(x).backward(Tensor.of(1, 0, -1));          // d(x²) = 2x, times the seed
        assertArrayEquals(new float[] {2, 0, -6}, x.grad().toFloatArray());
    }

    @Test
    void constantsAndIntegerInputsGetNoGradient() {
        Tensor x = Tensor.of(1, 2).requiresGrad(true);
        Tensor c = Tensor.of(3, 4);
        Tensor ids = Tensor.ofLongs(1, 0);
        x.mul(c).add(ids).sum().backward();
        assertNull(c.grad());
        assertNull(ids.grad());
        assertArrayEquals(new float[] {3, 4}, x.grad().toFloatArray());
        assertFalse(c.mul(2).requiresGrad(), "ops on constants record nothing");
        assertNull(c.mul(2).gradFn());
    }

    @Test
    void gradientsKeepTheLeafDtypeAcrossBackwardCalls() {
        // a float32 leaf in a float64 computation: its gradient is float32, also when accumulated
        Tensor x = Tensor.of(1, 2).requiresGrad(true);
        Tensor w = Tensor.fromArray(new double[] {0.5, 0.25}, 2);
        x.mul(w).sum().backward();
        assertEquals(DType.FLOAT32, x.grad().dtype());
        x.mul(w).sum().backward();
        assertEquals(DType.FLOAT32, x.grad().dtype(), "after a second backward too");
        assertArrayEquals(new float[] {1, 0.5f}, x.grad().toFloatArray());
    }

    @Test
    void accumulatedGradientIsACopyNotAnAlias() {
        // sum's backward hands out an expanded view of one number; the leaf must own its gradient
        Tensor x = Tensor.zeros(2, 2).requiresGrad(true);
        x.sum().backward();
        assertArrayEquals(new int[] {2, 1}, x.grad().strides(), "a fresh contiguous gradient");
        try (var s = Autograd.noGrad()) {
            x.grad().select(0, 0).fill_(5);
        }
        assertArrayEquals(new float[] {5, 5, 1, 1}, x.grad().toFloatArray());
    }

    @Test
    void noGradAndEnableGrad() {
        Tensor x = Tensor.of(1).requiresGrad(true);
        Tensor y;
        try (var s = Autograd.noGrad()) {
            assertFalse(x.mul(2).requiresGrad());
            try (var e = Autograd.enableGrad()) {
                y = x.mul(2);
            }
        }
        assertTrue(y.requiresGrad());
        Tensor z = x.mul(3).detach().mul(x);            // the detached branch is a constant
        z.sum().backward();
        assertEquals(3.0, x.grad().item());
    }

    @Test
    void secondBackwardThroughAReleasedGraphIsRefused() {
        Tensor x = Tensor.of(1).requiresGrad(true);
        Tensor shared = x.exp();
        shared.sum().backward();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> shared.mul(2).sum().backward());
        assertTrue(e.getMessage().contains("'exp'") && e.getMessage().contains("released"), e.getMessage());
    }
}
