package dev.qkv.tensor;

import dev.qkv.testing.GradCheck;
import dev.qkv.testing.Rand;
import org.junit.jupiter.api.Test;

import java.util.function.BiFunction;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/** Gradient checks of sum, mean, max, min and var over one, several and all dims. */
class ReduceGradTest {

    /** Reduces over: one dim, a negative dim, two dims, all dims (by list), each with and without keepDim. */
    private static void checkDims(String name, BiFunction<Tensor, int[], Tensor> keep,
                                  BiFunction<Tensor, int[], Tensor> drop, Tensor x, Tensor xt) {
        int[][] dimSets = {{1}, {-1}, {0, 2}, {2, 0, 1}};
        for (int[] dims : dimSets) {
            String d = java.util.Arrays.toString(dims);
            GradCheck.check(name + d + " keepDim", in -> keep.apply(in[0], dims), x);
            GradCheck.check(name + d, in -> drop.apply(in[0], dims), x);
            GradCheck.check(name + d + " of a transposed view", in -> drop.apply(in[0], dims), xt);
        }
    }

    @Test
    void sum() {
        Generator g = new Generator(1);
        checkDims("sum", (x, d) -> x.sum(d, true), (x, d) -> x.sum(d, false),
                Rand.uniform(g, -1, 1, 3, 1, 4), Rand.transposedView(g, -1, 1, 2, 3, 4));
        GradCheck.check("sum()", in -> in[0].sum(), Rand.narrowedView(g, -1, 1, 3, 4));
        GradCheck.check("sum(dim)", in -> in[0].sum(0), Rand.uniform(g, -1, 1, 3, 4));
        GradCheck.check("sum of an expanded view", in -> in[0].expand(3, 4).sum(0), Rand.uniform(g, -1, 1, 1, 4));
    }

    @Test
    void mean() {
        Generator g = new Generator(2);
        checkDims("mean", (x, d) -> x.mean(d, true), (x, d) -> x.mean(d, false),
                Rand.uniform(g, -1, 1, 2, 3, 4), Rand.transposedView(g, -1, 1, 2, 3, 4));
        GradCheck.check("mean()", in -> in[0].mean(), Rand.narrowedView(g, -1, 1, 3, 4));
        GradCheck.check("mean(dim, keepDim)", in -> in[0].mean(1, true), Rand.uniform(g, -1, 1, 3, 4));
    }

    /** Distinct values (a shuffled ramp) so that max and min are unique and far from the runner-up. */
    private static Tensor distinct(Generator g, int... shape) {
        int n = Shapes.numel(shape);
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = (i - n / 2.0) * 0.1;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = (int) g.nextLong(i + 1);
            double t = v[i];
            v[i] = v[j];
            v[j] = t;
        }
        return Tensor.fromArray(v, shape);
    }

    @Test
    void maxAndMin() {
        Generator g = new Generator(3);
        checkDims("max", (x, d) -> x.max(d, true), (x, d) -> x.max(d, false),
                distinct(g, 2, 3, 4), distinct(g, 2, 4, 3).transpose(-1, -2));
        checkDims("min", (x, d) -> x.min(d, true), (x, d) -> x.min(d, false),
                distinct(g, 3, 2, 4), distinct(g, 2, 4, 3).transpose(-1, -2));
        GradCheck.check("max()", in -> in[0].max(), distinct(g, 4, 5));
        GradCheck.check("min()", in -> in[0].min(), distinct(g, 4, 5).t());
    }

    @Test
    void maxWithTiesSharesTheGradient() {
        // max of [1, 3, 3, 2] is 3, reached twice: each gets half of the gradient (like torch.amax)
        Tensor x = Tensor.fromArray(new double[] {1, 3, 3, 2}, 4).requiresGrad(true);
        x.max().backward();
        assertArrayEquals(new double[] {0, 0.5, 0.5, 0}, x.grad().toDoubleArray());
        Tensor y = Tensor.fromArray(new double[] {1, 1, 0, 2}, 2, 2).requiresGrad(true);
        y.min(1, false).sum().backward();     // row 0 ties at 1; row 1's min is 0
        assertArrayEquals(new double[] {0.5, 0.5, 1, 0}, y.grad().toDoubleArray());
    }

    @Test
    void var() {
        Generator g = new Generator(4);
        for (int correction : new int[] {0, 1}) {
            checkDims("var(correction " + correction + ")", (x, d) -> x.var(d, true, correction),
                    (x, d) -> x.var(d, false, correction),
                    Rand.uniform(g, -1, 1, 2, 3, 4), Rand.transposedView(g, -1, 1, 2, 3, 4));
        }
        GradCheck.check("var()", in -> in[0].var(), Rand.narrowedView(g, -1, 1, 3, 4));
    }
}
