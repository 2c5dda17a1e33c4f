package dev.qkv.tensor;

import dev.qkv.autograd.Autograd;
import org.junit.jupiter.api.Test;

import java.util.Locale;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Factories, reading values, printing, allClose, clone/detach and the view/reshape contract. */
class FactoryAndFormatTest {

    @Test
    void constantFactories() {
        Tensor z = Tensor.zeros(2, 3);
        assertArrayEquals(new int[] {2, 3}, z.shape());
        assertEquals(DType.FLOAT32, z.dtype());
        assertArrayEquals(new float[6], z.toFloatArray());
        assertArrayEquals(new float[] {1, 1, 1, 1}, Tensor.ones(4).toFloatArray());
        Tensor f = Tensor.full(DType.FLOAT64, 2.5, 2, 1);
        assertEquals(DType.FLOAT64, f.dtype());
        assertArrayEquals(new double[] {2.5, 2.5}, f.toDoubleArray());
        assertEquals(DType.INT64, Tensor.zeros(DType.INT64, 3).dtype());
        Tensor s = Tensor.scalar(-1.5);
        assertEquals(0, s.dim());
        assertEquals(-1.5, s.item());
        Tensor like = Tensor.onesLike(Tensor.zeros(DType.FLOAT64, 2, 2));
        assertEquals(DType.FLOAT64, like.dtype());
        assertArrayEquals(new double[] {1, 1, 1, 1}, like.toDoubleArray());
    }

    @Test
    void arangeAndFromArray() {
        Tensor a = Tensor.arange(5);
        assertEquals(DType.INT64, a.dtype());
        assertArrayEquals(new long[] {0, 1, 2, 3, 4}, a.toLongArray());
        assertEquals(0, Tensor.arange(0).numel());
        // ceil((1 − 0)/0.25) = 4 values; a negative step counts down, ceil((0 − 1)/−0.5) = 2
        assertArrayEquals(new float[] {0, 0.25f, 0.5f, 0.75f}, Tensor.arange(0, 1, 0.25).toFloatArray());
        assertArrayEquals(new float[] {1, 0.5f}, Tensor.arange(1, 0, -0.5).toFloatArray());
        assertArrayEquals(new float[] {1, 2}, Tensor.of(1, 2).toFloatArray());
        float[] data = {1, 2, 3, 4, 5, 6};
        Tensor m = Tensor.fromArray(data, 3, 2);
        data[0] = 100;                                            // the factory copied the array
        assertEquals(1.0, m.get(0, 0));
        assertEquals(6.0, m.get(-1, -1));
        assertEquals(3.0, m.get(1, 0));
        assertEquals(DType.INT32, Tensor.fromArray(new int[] {1}, 1).dtype());
        assertEquals(DType.BOOL, Tensor.fromArray(new boolean[] {true, false}, 2).dtype());
        assertArrayEquals(new long[] {1, 0}, Tensor.fromArray(new boolean[] {true, false}, 2).toLongArray());
    }

    @Test
    void randomFactoriesAreReproducible() {
        assertArrayEquals(Tensor.rand(new Generator(3), 4, 5).toFloatArray(), Tensor.rand(new Generator(3), 4, 5).toFloatArray());
        assertArrayEquals(Tensor.randn(new Generator(3), 7).toFloatArray(), Tensor.randn(new Generator(3), 7).toFloatArray());
        assertArrayEquals(Tensor.randint(new Generator(3), -2, 9, 6).toLongArray(),
                Tensor.randint(new Generator(3), -2, 9, 6).toLongArray());
        assertFalse(java.util.Arrays.equals(Tensor.rand(new Generator(3), 8).toFloatArray(),
                Tensor.rand(new Generator(4), 8).toFloatArray()), "another seed gives other numbers");
    }

    @Test
    void randomFactoriesHaveTheirDistributions() {
        int n = 20000;
        double[] u = Tensor.rand(new Generator(1), n).toDoubleArray();
        double[] z = Tensor.randn(new Generator(2), n).toDoubleArray();
        long[] k = Tensor.randint(new Generator(3), -2, 3, n).toLongArray();
        double su = 0;
        double sz = 0;
        double szz = 0;
        int[] counts = new int[5];
        for (int i = 0; i < n; i++) {
            assertTrue(u[i] >= 0 && u[i] < 1);
            su += u[i];
            sz += z[i];
            szz += z[i] * z[i];
            assertTrue(k[i] >= -2 && k[i] < 3, "randint stays in [low, high)");
            counts[(int) k[i] + 2]++;
        }
        // standard errors: uniform mean 0.29/√n = 0.002, normal mean 1/√n = 0.007, normal
        // variance √(2/n) = 0.01; the bounds are 6 standard errors
        assertEquals(0.5, su / n, 0.012);
        assertEquals(0.0, sz / n, 0.042);
        assertEquals(1.0, szz / n, 0.06);
        for (int c : counts) {
            assertEquals(n / 5.0, c, 6 * Math.sqrt(n * 0.2 * 0.8), "each of the 5 integers is equally likely");
        }
        assertEquals(DType.INT64, Tensor.randint(new Generator(1), 0, 2, 1).dtype());
    }

    @Test
    void itemAndGet() {
        assertEquals(7.0, Tensor.of(7).item());
        assertEquals(7.0, Tensor.of(7).view(1, 1).item());
        Tensor t = Tensor.arange(6).view(2, 3).t();               // [[0, 3], [1, 4], [2, 5]]
        assertEquals(4.0, t.get(1, 1));
        assertEquals(5.0, t.get(-1, -1));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Tensor.zeros(2, 3).item());
        assertTrue(e.getMessage().contains("item") && e.getMessage().contains("[2, 3]"), e.getMessage());
    }

    @Test
    void toStringLooksLikePyTorch() {
        assertEquals("tensor([1.0000, 2.5000], shape=[2])", Tensor.of(1, 2.5f).toString());
        assertEquals("tensor([[0, 1, 2],\n        [3, 4, 5]], shape=[2, 3], dtype=int64)",
                Tensor.arange(6).view(2, 3).toString());
        // as PyTorch: inner rows align under the opening brackets, blocks are separated by a blank line
        assertEquals("tensor([[[1.0000],\n         [2.0000]],\n\n        [[3.0000],\n         [4.0000]]], shape=[2, 2, 1])",
                Tensor.of(1, 2, 3, 4).view(2, 2, 1).toString());
        assertEquals("tensor([ True, False], shape=[2], dtype=bool)", Tensor.of(1, 0).gt(0.5).toString());
        assertEquals("tensor(-3.0000, shape=[])", Tensor.scalar(-3).toString());
        assertEquals("tensor([1.0000e-05, 1.0000e+00], shape=[2])", Tensor.of(1e-5f, 1f).toString());
        assertEquals("tensor([nan, inf], shape=[2], dtype=float64)",
                Tensor.fromArray(new double[] {Double.NaN, Double.POSITIVE_INFINITY}, 2).toString());
        assertEquals("tensor([ 2.0000, -4.0000], shape=[2], grad_fn=mulBackward)",
                Tensor.of(1, -2).requiresGrad(true).mul(2).toString());
        assertEquals("tensor([1.0000], shape=[1], requires_grad=true)", Tensor.of(1).requiresGrad(true).toString());
        // a transposed view prints its own (logical) order
        assertEquals("tensor([[0, 2],\n        [1, 3]], shape=[2, 2], dtype=int64)", Tensor.arange(4).view(2, 2).t().toString());
    }

    @Test
    void toStringSummarizesMoreThanAThousandElements() {
        assertEquals("tensor([   0,    1,    2, ...,  998,  999, 1000], shape=[1001], dtype=int64)",
                Tensor.arange(1001).toString());
        assertFalse(Tensor.arange(1000).toString().contains("..."), "1000 elements are printed in full");
        String big = Tensor.arange(40 * 30).view(40, 30).toString();
        // three rows from each end, and in each row three values from each end
        assertTrue(big.startsWith("tensor([[   0,    1,    2, ...,   27,   28,   29],\n        [  30,"), big);
        assertTrue(big.contains("        ...,\n        [1110, 1111, 1112, ..., 1137, 1138, 1139],"), big);
        assertEquals(7, big.split("\n").length, "3 rows + ... + 3 rows");
    }

    @Test
    void toStringDoesNotDependOnTheDefaultLocale() {
        Locale saved = Locale.getDefault();
        try {
            Locale.setDefault(Locale.GERMANY);                      // writes 1,5 for 1.5
            assertEquals("tensor([1.5000], shape=[1])", Tensor.of(1.5f).toString());
            assertEquals("tensor([1.5000e-05], shape=[1])", Tensor.of(1.5e-5f).toString());
        } finally {
            Locale.setDefault(saved);
        }
    }

    @Test
    void allClose() {
        Tensor a = Tensor.of(1, 2, Float.POSITIVE_INFINITY);
        assertTrue(a.allClose(Tensor.of(1, 2.00001f, Float.POSITIVE_INFINITY)));   // |Δ| = 1e-5 ≤ 1e-8 + 1e-5·2
        assertFalse(a.allClose(Tensor.of(1, 2.001f, Float.POSITIVE_INFINITY)));
        assertFalse(a.allClose(Tensor.of(1, 2, Float.NEGATIVE_INFINITY)), "inf and −inf are not close");
        assertFalse(Tensor.of(Float.POSITIVE_INFINITY).allClose(Tensor.of(1e30f)), "inf is close only to itself");
        assertFalse(Tensor.of(1e30f).allClose(Tensor.of(Float.POSITIVE_INFINITY)), "in either order");
        assertFalse(Tensor.of(Float.NaN).allClose(Tensor.of(Float.NaN)), "NaN is never close");
        assertFalse(Tensor.of(1, 2).allClose(Tensor.of(1, 2).view(1, 2)), "shapes must match");
        assertTrue(Tensor.of(1).allClose(Tensor.of(1.4f), 0, 0.5));
        assertTrue(Tensor.of(100).allClose(Tensor.of(110), 0.1, 0), "rtol scales with |other|");
        assertTrue(Tensor.arange(4).view(2, 2).t().allClose(Tensor.fromArray(new long[] {0, 2, 1, 3}, 2, 2)));
    }

    @Test
    void viewNeedsCompatibleStridesAndReshapeCopiesWhenItMust() {
        Tensor x = Tensor.arange(6).view(2, 3);
        Tensor xt = x.t();                                        // [3, 2], not contiguous
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> xt.view(6));
        assertTrue(e.getMessage().contains("view") && e.getMessage().contains("[3, 2]")
                && e.getMessage().contains("reshape"), e.getMessage());
        // a view that splits a dim of a transposed tensor is still possible
        assertArrayEquals(new long[] {0, 3, 1, 4, 2, 5}, xt.view(3, 1, 2).toLongArray());

        Tensor copied = xt.reshape(6);                            // must copy
        Tensor shared = x.reshape(3, 2);                          // can view
        assertArrayEquals(new long[] {0, 3, 1, 4, 2, 5}, copied.toLongArray());
        x.fill_(9);
        assertArrayEquals(new long[] {0, 3, 1, 4, 2, 5}, copied.toLongArray(), "the copy does not see writes");
        assertArrayEquals(new long[] {9, 9, 9, 9, 9, 9}, shared.toLongArray(), "the view does");
        assertTrue(xt.contiguous().isContiguous());
        assertSame(x, x.contiguous());
    }

    @Test
    void viewsShareStorage() {
        Tensor x = Tensor.zeros(3, 4);
        x.narrow(1, 1, 2).select(0, -1).fill_(5);                 // row 2, columns 1 and 2
        x.slice(1, 0, 4, 3).fill_(1);                             // columns 0 and 3
        assertArrayEquals(new float[] {1, 0, 0, 1, 1, 0, 0, 1, 1, 5, 5, 1}, x.toFloatArray());
        Tensor e = Tensor.of(1, 2).view(2, 1).expand(2, 3);
        assertArrayEquals(new int[] {1, 0}, e.strides(), "expand broadcasts with stride 0");
        assertArrayEquals(new float[] {1, 1, 1, 2, 2, 2}, e.toFloatArray());
        assertArrayEquals(new int[] {3, 2}, Tensor.zeros(1, 3, 1, 2).squeeze().shape());
        assertArrayEquals(new int[] {3, 1, 2}, Tensor.zeros(1, 3, 1, 2).squeeze(0).shape());
        assertArrayEquals(new int[] {1, 3, 1, 2}, Tensor.zeros(1, 3, 1, 2).squeeze(1).shape(), "size 3 is not squeezed");
        assertArrayEquals(new int[] {3, 2, 1}, Tensor.zeros(3, 2).unsqueeze(-1).shape());
        assertArrayEquals(new int[] {4, 2, 3}, Tensor.zeros(2, 3, 4).permute(2, 0, 1).shape());
        assertArrayEquals(new int[] {2, 12}, Tensor.zeros(2, 3, 4).flatten(1, 2).shape());
        assertArrayEquals(new int[] {2}, Tensor.zeros(7).slice(0, 1, 5, 3).shape(), "elements 1 and 4");
        assertArrayEquals(new int[] {0}, Tensor.zeros(7).slice(0, 5, 2).shape(), "empty when end ≤ start");
    }

    @Test
    void cloneAndDetach() {
        Tensor x = Tensor.of(1, 2).requiresGrad(true);
        Tensor c = x.clone();
        assertNotSame(x.storage(), c.storage());
        assertTrue(c.requiresGrad(), "clone stays in the graph");
        c.mul(Tensor.of(3, 4)).sum().backward();
        assertArrayEquals(new float[] {3, 4}, x.grad().toFloatArray());

        Tensor d = x.detach();
        assertSame(x.storage(), d.storage(), "detach shares the data");
        assertFalse(d.requiresGrad());
        assertTrue(d.isLeaf());
        try (var s = Autograd.noGrad()) {
            x.fill_(5);
        }
        assertArrayEquals(new float[] {5, 5}, d.toFloatArray());
        assertArrayEquals(new float[] {1, 2}, c.toFloatArray());
    }
}
