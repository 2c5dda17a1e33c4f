package dev.qkv.tensor;

import dev.qkv.testing.GradCheck;
import dev.qkv.testing.Rand;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/** matmul for every pair of ranks 1..4, batch broadcasting, and operands in every layout. */
class MatmulGradTest {

    private final Generator g = new Generator(31);

    private void check(String what, Tensor a, Tensor b, int... expectedShape) {
        assertArrayEquals(expectedShape, a.matmul(b).shape(), what + ": result shape");
        GradCheck.check(what, in -> in[0].matmul(in[1]), a, b);
    }

    private Tensor u(int... shape) {
        return Rand.uniform(g, -1, 1, shape);
    }

    @Test
    void vectorsAndMatrices() {
        check("1-D · 1-D (dot)", u(4), u(4));
        check("1-D · 2-D", u(3), u(3, 5), 5);
        check("2-D · 1-D", u(2, 3), u(3), 2);
        check("2-D · 2-D", u(2, 3), u(3, 4), 2, 4);
        check("size-1 dims", u(1, 3), u(3, 1), 1, 1);
        check("k = 1 (outer product)", u(4, 1), u(1, 3), 4, 3);
    }

    @Test
    void batchedWithBroadcasting() {
        check("1-D · 3-D", u(3), u(2, 3, 4), 2, 4);
        check("3-D · 1-D", u(2, 4, 3), u(3), 2, 4);
        check("3-D · 2-D", u(2, 3, 4), u(4, 2), 2, 3, 2);
        check("2-D · 3-D", u(3, 4), u(2, 4, 2), 2, 3, 2);
        check("3-D · 3-D", u(2, 3, 4), u(2, 4, 2), 2, 3, 2);
        check("[2,1,3,4] · [3,4,2]", u(2, 1, 3, 4), u(3, 4, 2), 2, 3, 3, 2);
        check("[1,3,2,4] · [2,1,4,3]", u(1, 3, 2, 4), u(2, 1, 4, 3), 2, 3, 2, 3);
        check("4-D · 4-D", u(2, 2, 3, 2), u(2, 2, 2, 3), 2, 2, 3, 3);
    }

    @Test
    void nonContiguousOperands() {
        check("both transposed", Rand.transposedView(g, -1, 1, 3, 4), Rand.transposedView(g, -1, 1, 4, 2), 3, 2);
        check("narrowed (offset, ld > cols)", Rand.narrowedView(g, -1, 1, 3, 4), Rand.narrowedView(g, -1, 1, 4, 2), 3, 2);
        check("batched transposed", Rand.transposedView(g, -1, 1, 2, 3, 4), Rand.transposedView(g, -1, 1, 2, 4, 5), 2, 3, 5);
        // batch dims that no single batch stride describes: a permuted batch, an expanded batch
        check("permuted batch dims", u(3, 2, 2, 4).permute(1, 0, 2, 3), u(2, 3, 4, 2), 2, 3, 2, 2);
        check("sliced rows", u(6, 3).slice(0, 0, 6, 2), u(3, 2), 3, 2);
        check("sliced columns", u(3, 6).slice(1, 1, 6, 2), u(3, 2), 3, 2);
        GradCheck.check("expanded operand", in -> in[0].expand(2, 3, 4).matmul(in[1]), u(1, 3, 4), u(2, 4, 2));
        GradCheck.check("same operand twice (x·xᵀ)", in -> in[0].matmul(in[0].t()), u(3, 4));
    }

    @Test
    void productByHand() {
        // [[1, 2], [3, 4]] · [[5], [6]] = [[1·5 + 2·6], [3·5 + 4·6]] = [[17], [39]]
        Tensor a = Tensor.of(1, 2, 3, 4).view(2, 2);
        Tensor b = Tensor.of(5, 6).view(2, 1);
        assertArrayEquals(new float[] {17, 39}, a.matmul(b).toFloatArray());
        // and with a transposed view on each side: aᵀ·a = [[10, 14], [14, 20]]
        assertArrayEquals(new float[] {10, 14, 14, 20}, a.t().matmul(a).toFloatArray());
    }
}
