package dev.qkv.backend.cuda;

import dev.qkv.tensor.Layout;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Dim merging for the elementwise kernels, checked against Layout's own offset arithmetic. */
class ViewMergeTest {

    /** What the kernel computes (view_offsets in common.cuh): row-major coordinates dotted with strides. */
    static int kernelOffset(ViewMerge.Dims dims, ViewMerge.Strides s, int linear) {
        int pos = s.offset();
        for (int d = dims.rank() - 1; d >= 0; d--) {
            int n = dims.shape()[d];
            pos += (linear % n) * s.strides()[d];
            linear /= n;
        }
        return pos;
    }

    /** copy_x4's views: unit u of a view covers elements 4·pos(u) .. 4·pos(u)+3, the same as before. */
    @Test
    void byFourCountsSixteenByteUnitsOfTheSameElements() {
        // [B, T, H, D] heads read as [B, H, T, D] (a transpose), copied into a contiguous tensor at offset 8.
        int b = 2, t = 3, h = 5, d = 8;
        Layout src = new Layout(new int[] {b, h, t, d}, new int[] {t * h * d, d, h * d, 1}, 4);
        Layout dst = new Layout(new int[] {b, h, t, d}, new int[] {h * t * d, t * d, d, 1}, 8);
        ViewMerge.Merged m = ViewMerge.merge(src, dst);
        ViewMerge.Merged four = ViewMerge.byFour(m);
        assertEquals(m.numel() / 4, four.numel());
        for (int u = 0; u < four.numel(); u++) {
            for (int v = 0; v < 2; v++) {
                int unit = kernelOffset(four.dims(), four.views()[v], u);
                for (int k = 0; k < 4; k++) {
                    assertEquals(kernelOffset(m.dims(), m.views()[v], 4 * u + k), 4 * unit + k);
                }
            }
        }
        // Not applicable: an odd innermost length, a strided innermost dim, an offset not divisible by 4.
        assertNull(ViewMerge.byFour(ViewMerge.merge(new Layout(new int[] {3, 6}, new int[] {7, 1}, 0), Layout.contiguous(3, 6))));
        assertNull(ViewMerge.byFour(ViewMerge.merge(Layout.contiguous(4, 4).transpose(0, 1), Layout.contiguous(4, 4))));
        assertNull(ViewMerge.byFour(ViewMerge.merge(new Layout(new int[] {2, 8}, new int[] {8, 1}, 2), Layout.contiguous(2, 8))));
    }

    @Test
    void contiguousViewsBecomeOneRun() {
        ViewMerge.Merged m = ViewMerge.merge(Layout.contiguous(2, 3, 4), new Layout(new int[] {2, 3, 4}, new int[] {12, 4, 1}, 5));
        assertArrayEquals(new int[] {24}, m.dims().shape());
        assertArrayEquals(new int[] {1}, m.views()[0].strides());
        assertEquals(5, m.views()[1].offset());
        assertEquals(24, m.numel());
    }

    @Test
    void transposeAndBroadcastStaySeparateDims() {
        Layout t = Layout.contiguous(3, 4).transpose(0, 1);                       // [4, 3] strides [1, 4]
        Layout bcast = new Layout(new int[] {4, 3}, new int[] {0, 1}, 0);         // a row repeated
        ViewMerge.Merged m = ViewMerge.merge(t, bcast, Layout.contiguous(4, 3));
        assertArrayEquals(new int[] {4, 3}, m.dims().shape());
        assertArrayEquals(new int[] {1, 4}, m.views()[0].strides());
        assertArrayEquals(new int[] {0, 1}, m.views()[1].strides());
    }

    @Test
    void sizeOneDimsAndScalarsCollapse() {
        ViewMerge.Merged m = ViewMerge.merge(new Layout(new int[] {1, 5, 1}, new int[] {99, 2, 77}, 3));
        assertArrayEquals(new int[] {5}, m.dims().shape());
        assertArrayEquals(new int[] {2}, m.views()[0].strides());
        ViewMerge.Merged s = ViewMerge.merge(Layout.contiguous(1, 1), new Layout(new int[] {1, 1}, new int[] {0, 0}, 7));
        assertArrayEquals(new int[] {1}, s.dims().shape());
        assertEquals(1, s.numel());
        assertEquals(7, s.views()[1].offset());
        ViewMerge.Merged rank0 = ViewMerge.merge(new Layout(new int[0], new int[0], 4));
        assertArrayEquals(new int[] {1}, rank0.dims().shape());
        assertEquals(4, rank0.views()[0].offset());
    }

    @Test
    void emptyShapesHaveNoElements() {
        assertEquals(0, ViewMerge.merge(Layout.contiguous(3, 0, 2)).numel());
    }

    @Test
    void moreThanEightDimsAfterMergingIsAnError() {
        int[] shape = {2, 2, 2, 2, 2, 2, 2, 2, 2};
        int[] strides = new int[9];
        for (int d = 0, st = 1; d < 9; d++, st *= 3) {
            strides[8 - d] = st;                                  // steps of 3 over dims of 2: nothing merges
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ViewMerge.merge(new Layout(shape, strides, 0)));
        assertEquals(true, e.getMessage().contains("at most 8 dims"));
        // Nine contiguous dims merge into one and are fine.
        assertEquals(512, ViewMerge.merge(Layout.contiguous(shape)).numel());
    }

    @Test
    void mergedOffsetsVisitTheSameElementsAsTheLayouts() {
        Random r = new Random(7);
        for (int trial = 0; trial < 500; trial++) {
            int rank = r.nextInt(6);
            int[] shape = new int[rank];
            for (int d = 0; d < rank; d++) {
                shape[d] = 1 + r.nextInt(4);
            }
            Layout a = randomView(r, shape);
            Layout b = randomView(r, shape);
            ViewMerge.Merged m = ViewMerge.merge(a, b);
            assertEquals(a.numel(), m.numel());
            for (int i = 0; i < a.numel(); i++) {
                assertEquals(a.offsetOfLinear(i), kernelOffset(m.dims(), m.views()[0], i), "trial " + trial);
                assertEquals(b.offsetOfLinear(i), kernelOffset(m.dims(), m.views()[1], i), "trial " + trial);
            }
        }
    }

    /** A contiguous layout, a permutation of one, a broadcast, or a sliced view, of this shape. */
    private static Layout randomView(Random r, int[] shape) {
        int rank = shape.length;
        switch (r.nextInt(4)) {
            case 0:
                return new Layout(shape, Layout.contiguousStrides(shape), r.nextInt(3));
            case 1: {
                int[] order = new int[rank];
                for (int i = 0; i < rank; i++) {
                    order[i] = i;
                }
                for (int i = rank - 1; i > 0; i--) {
                    int j = r.nextInt(i + 1);
                    int t = order[i];
                    order[i] = order[j];
                    order[j] = t;
                }
                int[] permuted = new int[rank];
                for (int i = 0; i < rank; i++) {
                    permuted[order[i]] = shape[i];
                }
                return Layout.contiguous(permuted).permute(order);    // shape[i] = permuted[order[i]]
            }
            case 2: {
                int[] st = Layout.contiguousStrides(shape);
                for (int d = 0; d < rank; d++) {
                    if (r.nextBoolean()) {
                        st[d] = 0;
                    }
                }
                return new Layout(shape, st, 1);
            }
            default: {
                int[] big = shape.clone();
                for (int d = 0; d < rank; d++) {
                    big[d] = shape[d] * 2 + 1;
                }
                int[] st = Layout.contiguousStrides(big);
                for (int d = 0; d < rank; d++) {
                    st[d] *= 2;
                }
                return new Layout(shape, st, 3);
            }
        }
    }
}
