package dev.qkv.tensor;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Integer exactness and empty shapes. */
class EdgeCaseTest {
    @Test
    void int64ValuesAbove2To53SurviveCopiesAndViews() {
        long[] big = {-3395222065404655890L, Long.MAX_VALUE, (1L << 53) + 1, 7};
        Tensor t = Tensor.fromArray(big, 2, 2);
        assertArrayEquals(big, t.toLongArray());
        assertArrayEquals(new long[] {big[0], big[2], big[1], big[3]}, t.t().contiguous().toLongArray());
        assertArrayEquals(big, t.clone().toLongArray());
    }

    @Test
    void emptyShapesAreValid() {
        assertEquals(0, Shapes.numel(new int[] {2147483647, 1, 0}));
        assertEquals(0, Shapes.numel(new int[] {0, 65536, 65536}));
        assertTrue(Layout.contiguous(2, 0).isContiguous());
        Tensor e = Tensor.zeros(3, 0);
        assertEquals(0, e.numel());
        assertArrayEquals(new float[0], e.t().contiguous().toFloatArray());
        assertThrows(IllegalArgumentException.class, () -> Shapes.numel(new int[] {65536, 65536}));
        assertThrows(IllegalArgumentException.class, () -> Shapes.numel(new int[] {3, -1, 0}));
    }
}
