package dev.qkv.tensor;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Values and shapes of reductions, by hand. */
class ReduceForwardTest {

    /** [[0, 1, 2], [3, 4, 5]] as float32. */
    private static Tensor m() {
        return Tensor.arange(0, 6, 1).view(2, 3);
    }

    @Test
    void sumAndMeanValues() {
        assertEquals(15.0, m().sum().item());
        assertEquals(0, m().sum().dim(), "a full reduction is 0-dim");
        assertArrayEquals(new float[] {3, 5, 7}, m().sum(0).toFloatArray());
        assertArrayEquals(new float[] {3, 12}, m().sum(1).toFloatArray());
        assertArrayEquals(new float[] {3, 12}, m().sum(-1).toFloatArray());
        assertEquals(2.5, m().mean().item());
        assertArrayEquals(new float[] {1, 4}, m().mean(1).toFloatArray());
        assertArrayEquals(new float[] {1.5f, 2.5f, 3.5f}, m().mean(0).toFloatArray());
        // of a transposed view: the same numbers, reduced along the other dim
        assertArrayEquals(new float[] {3, 5, 7}, m().t().sum(1).toFloatArray());
        // over two of three dims: Σ over dims 0 and 2 of arange(24).view(2, 3, 4)
        // = Σ_{i,k} (12i + 4j + k) = 8·4j + 4·12 + 2·6 = 16j·2 + 60
        Tensor x = Tensor.arange(0, 24, 1).view(2, 3, 4);
        assertArrayEquals(new float[] {60, 92, 124}, x.sum(new int[] {0, 2}, false).toFloatArray());
        assertArrayEquals(new float[] {7.5f, 11.5f, 15.5f}, x.mean(new int[] {2, 0}, false).toFloatArray());
        assertEquals(276.0, x.sum(new int[] {0, 1, 2}, false).item());
    }

    @Test
    void keepDimShapes() {
        Tensor x = Tensor.zeros(2, 3, 4);
        assertArrayEquals(new int[] {2, 1, 4}, x.sum(1, true).shape());
        assertArrayEquals(new int[] {2, 4}, x.sum(1, false).shape());
        assertArrayEquals(new int[] {1, 3, 1}, x.mean(new int[] {0, -1}, true).shape());
        assertArrayEquals(new int[] {3}, x.max(new int[] {0, 2}, false).shape());
        assertArrayEquals(new int[] {1, 1, 1}, x.min(new int[] {0, 1, 2}, true).shape());
        assertArrayEquals(new int[] {}, x.min(new int[] {0, 1, 2}, false).shape());
        assertArrayEquals(new int[] {2, 3, 1}, x.argmax(-1, true).shape());
        assertArrayEquals(new int[] {3, 4}, x.argmin(0, false).shape());
        assertArrayEquals(new int[] {2, 1, 1}, x.var(new int[] {1, 2}, true).shape());
    }

    @Test
    void maxMinAndArgExtremaTakeTheFirstTie() {
        Tensor x = Tensor.of(3, 1, 3, 0, 1, 0).view(2, 3);       // [[3, 1, 3], [0, 1, 0]]
        assertArrayEquals(new float[] {3, 1}, x.max(1, false).toFloatArray());
        assertArrayEquals(new float[] {1, 0}, x.min(1, false).toFloatArray());
        assertArrayEquals(new float[] {3, 1, 3}, x.max(0, false).toFloatArray());
        assertEquals(3.0, x.max().item());
        assertEquals(0.0, x.min().item());
        Tensor am = x.argmax(1, false);
        assertEquals(DType.INT64, am.dtype());
        assertArrayEquals(new long[] {0, 1}, am.toLongArray(), "row 0 ties at 0 and 2: the first wins");
        assertArrayEquals(new long[] {1, 0}, x.argmin(1, false).toLongArray(), "row 1 ties at 0 and 2");
        assertArrayEquals(new long[] {0, 0, 0}, x.argmax(0, false).toLongArray(), "column 1 ties: row 0");
        assertEquals(0, x.argmax().item(), "flattened: first of the two 3s");
        assertEquals(3, x.argmin().item(), "flattened: first of the two 0s");
        assertArrayEquals(new float[] {3, 1}, x.max(1).toFloatArray(), "max(dim) drops the dim");
        assertArrayEquals(new float[] {0, 1, 0}, x.min(0).toFloatArray());
        // of a transposed view [[3, 0], [1, 1], [3, 0]]: column 0 ties at rows 0 and 2
        assertArrayEquals(new long[] {0, 1}, x.t().argmax(0, false).toLongArray());
        // -inf everywhere still has an argmax (the first)
        assertArrayEquals(new long[] {0}, Tensor.full(Double.NEGATIVE_INFINITY, 1, 3).argmax(1, false).toLongArray());
        assertEquals(1.0, Tensor.arange(0, 64, 1).neg().add(1).max().item(), "64 wide: the SIMD path");
        assertEquals(-62.0, Tensor.arange(0, 64, 1).neg().add(1).min().item());
    }

    @Test
    void varByHand() {
        // x = [1, 2, 3, 4]: mean 2.5, Σ(x − mean)² = 2.25 + 0.25 + 0.25 + 2.25 = 5
        Tensor x = Tensor.of(1, 2, 3, 4);
        assertEquals(5.0 / 3, x.var().item(), 1e-6, "unbiased: 5/(n − 1)");
        assertEquals(5.0 / 4, x.var(new int[] {0}, false, 0).item(), 1e-6, "biased: 5/n");
        // per row of [[1, 2, 3, 4], [2, 2, 2, 2]]: 5/3 and 0
        Tensor rows = Tensor.cat(java.util.List.of(x, Tensor.full(2, 4)), 0).view(2, 4);
        assertClose(new float[] {5f / 3, 0}, rows.var(new int[] {1}, false));
        // per column of the same: each column (a, b) has variance (a − b)²/2 (unbiased)
        assertClose(new float[] {0.5f, 0, 0.5f, 2}, rows.var(new int[] {0}, false));
    }

    private static void assertClose(float[] expected, Tensor t) {
        assertArrayEquals(expected, t.toFloatArray(), 1e-6f);
    }

    @Test
    void integerAndBoolReductions() {
        Tensor ids = Tensor.ofLongs(1, 2, 3, 4);
        assertEquals(DType.INT64, ids.sum().dtype());
        assertEquals(10, ids.sum().item());
        assertEquals(DType.FLOAT32, ids.mean().dtype(), "mean of integers is float32");
        assertEquals(2.5, ids.mean().item());
        Tensor mask = ids.gt(2);
        assertEquals(DType.INT64, mask.sum().dtype(), "counting a mask gives int64");
        assertEquals(2, mask.sum().item());
        assertEquals(4, ids.max().item());
        assertEquals(DType.INT64, ids.max().dtype());
        assertArrayEquals(new long[] {3}, ids.argmax(0, true).toLongArray());
        assertTrue(Double.isNaN(Tensor.of(1, Float.NaN, 3).max().item()), "NaN propagates through max");
    }

    @Test
    void reductionsOfZeroDimTensors() {
        Tensor s = Tensor.scalar(4);
        assertEquals(4.0, s.sum().item());
        assertEquals(4.0, s.sum(0).item(), "dim 0 (or −1) of a 0-dim tensor is the tensor itself, as in PyTorch");
        assertEquals(4.0, s.mean(-1).item());
        assertEquals(4.0, s.max(0, true).item());
    }
}
