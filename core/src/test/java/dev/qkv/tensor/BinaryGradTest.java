package dev.qkv.tensor;

import dev.qkv.testing.GradCheck;
import dev.qkv.testing.Rand;
import org.junit.jupiter.api.Test;

import java.util.function.BinaryOperator;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/**
 * Gradient checks of the elementwise functions of two tensors (with broadcasting and
 * non-contiguous operands), where and maskedFill; the tie rule of maximum/minimum by hand.
 */
class BinaryGradTest {

    /** Checks op on: equal shapes, [3,1,4] with [5,1], a transposed view with a row, and a narrowed view. */
    private static void checkShapes(String name, BinaryOperator<Tensor> op, double lo, double hi) {
        Generator g = new Generator(name.hashCode());
        GradCheck.check(name + " same shape", in -> op.apply(in[0], in[1]),
                Rand.uniform(g, lo, hi, 2, 3), Rand.uniform(g, lo, hi, 2, 3));
        GradCheck.check(name + " [3,1,4] with [5,1]", in -> op.apply(in[0], in[1]),
                Rand.uniform(g, lo, hi, 3, 1, 4), Rand.uniform(g, lo, hi, 5, 1));
        GradCheck.check(name + " transposed view with [1,3] row", in -> op.apply(in[0], in[1]),
                Rand.transposedView(g, lo, hi, 4, 3), Rand.uniform(g, lo, hi, 1, 3));
        GradCheck.check(name + " scalar-shaped [] with narrowed view", in -> op.apply(in[0], in[1]),
                Rand.uniform(g, lo, hi), Rand.narrowedView(g, lo, hi, 3, 2));
        GradCheck.check(name + " same tensor twice", in -> op.apply(in[0], in[0]), Rand.uniform(g, lo, hi, 4));
    }

    @Test
    void add() {
        checkShapes("add", Tensor::add, -2, 2);
    }

    @Test
    void sub() {
        checkShapes("sub", Tensor::sub, -2, 2);
    }

    @Test
    void mul() {
        checkShapes("mul", Tensor::mul, -2, 2);
    }

    @Test
    void div() {
        checkShapes("div", Tensor::div, 0.5, 2);
        Generator g = new Generator(3);
        GradCheck.check("div negative denominators", in -> in[0].div(in[1]),
                Rand.uniform(g, -1, 1, 3, 2), Rand.awayFromZero(g, 0.5, 2, 2));
    }

    @Test
    void powTensorTensor() {
        // base > 0 so that log(base) (the exponent's gradient) is defined
        checkShapes("pow", Tensor::pow, 0.5, 2);
    }

    @Test
    void powAtZeroBaseByHand() {
        // a^b at a = 0, as PyTorch: da = 0 where b = 0 (else b·0^(b−1): 0 for b = 2, inf for
        // b = 0.5); db = 0 where a = 0 and b ≥ 0 (0^b is flat in b there); at a = 2, b = 0:
        // da = 0 and db = 2⁰·ln 2
        Tensor a = Tensor.fromArray(new double[] {0, 0, 0, 2}, 4).requiresGrad(true);
        Tensor b = Tensor.fromArray(new double[] {0, 2, 0.5, 0}, 4).requiresGrad(true);
        a.pow(b).sum().backward();
        assertArrayEquals(new double[] {0, 0, Double.POSITIVE_INFINITY, 0}, a.grad().toDoubleArray());
        assertArrayEquals(new double[] {0, 0, 0, Math.log(2)}, b.grad().toDoubleArray());
    }

    @Test
    void maximumAndMinimumAwayFromTies() {
        Generator g = new Generator(5);
        for (String name : new String[] {"maximum", "minimum"}) {
            BinaryOperator<Tensor> op = name.equals("maximum") ? Tensor::maximum : Tensor::minimum;
            // a in ±[0.1, 1], b in ±[1.2, 2] can never tie or come close
            GradCheck.check(name + " [3,1,4] with [5,1]", in -> op.apply(in[0], in[1].mul(in[2])),
                    Rand.awayFromZero(g, 0.1, 1, 3, 1, 4), Rand.awayFromZero(g, 1.2, 2, 5, 1),
                    Rand.uniform(g, 0.9, 1.1, 5, 1));
            GradCheck.check(name + " transposed", in -> op.apply(in[0], in[1]),
                    Rand.transposedView(g, -1, -0.1, 3, 2), Rand.uniform(g, 0.1, 1, 2));
        }
    }

    @Test
    void maximumAndMinimumSplitTiesEvenly() {
        // maximum([1, 3, 2], [1, 2, 5]): a wins at 1, b wins at 2, tie at 0 → each gets half,
        // as torch.maximum's gradient does. minimum is the mirror image.
        Tensor a = Tensor.fromArray(new double[] {1, 3, 2}, 3).requiresGrad(true);
        Tensor b = Tensor.fromArray(new double[] {1, 2, 5}, 3).requiresGrad(true);
        a.maximum(b).sum().backward();
        assertArrayEquals(new double[] {0.5, 1, 0}, a.grad().toDoubleArray());
        assertArrayEquals(new double[] {0.5, 0, 1}, b.grad().toDoubleArray());
        a.zeroGrad();
        b.zeroGrad();
        a.minimum(b).sum().backward();
        assertArrayEquals(new double[] {0.5, 0, 1}, a.grad().toDoubleArray());
        assertArrayEquals(new double[] {0.5, 1, 0}, b.grad().toDoubleArray());
    }

    @Test
    void whereAndMaskedFill() {
        Generator g = new Generator(9);
        Tensor cond = Tensor.fromArray(new boolean[] {true, false, false, true, true, false, true, false}, 2, 1, 4);
        // cond [2,1,4], a [3,4], b [1] → [2,3,4]
        GradCheck.check("where broadcast", in -> Tensor.where(cond, in[0], in[1]),
                Rand.uniform(g, -1, 1, 3, 4), Rand.uniform(g, -1, 1, 1));
        GradCheck.check("where transposed operands", in -> Tensor.where(cond.squeeze(1), in[0], in[1]),
                Rand.transposedView(g, -1, 1, 2, 4), Rand.narrowedView(g, -1, 1, 2, 4));
        Tensor mask = Tensor.fromArray(new boolean[] {false, true, true}, 3, 1);
        GradCheck.check("maskedFill", in -> in[0].maskedFill(mask, -7), Rand.transposedView(g, -1, 1, 3, 5));
    }

    @Test
    void chainedWithBroadcastUsedTwice() {
        // (a + b)·a / b with b broadcast: every rule and the engine's summing in one graph
        Generator g = new Generator(11);
        GradCheck.check("composite", in -> in[0].add(in[1]).mul(in[0]).div(in[1]).sub(in[1]),
                Rand.uniform(g, -1, 1, 2, 3, 4), Rand.uniform(g, 0.5, 1.5, 3, 1));
    }
}
