package dev.qkv.backend.cpu;

import dev.qkv.tensor.Layout;

/**
 * Walks k views of one shape together, as rows of an inner loop. Adjacent dims that are
 * contiguous with each other in every view are merged first, so a contiguous tensor becomes one
 * long row and the inner loop is as long as possible (which is what the vector kernels want).
 */
final class StridedLoop {
    final int rows;
    final int inner;
    /** Stride of the innermost (merged) dim, per view. */
    final int[] innerStride;
    private final int[] outerShape;
    private final int[][] outerStrides;
    private final int[] offsets;

    StridedLoop(Layout... views) {
        int k = views.length;
        int[] shape = views[0].shape();
        int rank = shape.length;
        int[][] strides = new int[k][];
        for (int v = 0; v < k; v++) {
            strides[v] = views[v].strides();
        }
        // Merge dim d into d+1 wherever every view has stride[d] == stride[d+1]·shape[d+1].
        int[] ms = new int[Math.max(rank, 1)];
        int[][] mst = new int[k][Math.max(rank, 1)];
        int m = 0;
        if (rank == 0) {
            ms[0] = 1;
            m = 1;
        }
        for (int d = 0; d < rank; d++) {
            if (shape[d] == 1) {
                continue;                                   // size-1 dims never affect offsets
            }
            boolean merge = m > 0;
            for (int v = 0; v < k && merge; v++) {
                merge = mst[v][m - 1] == strides[v][d] * shape[d];
            }
            if (merge) {
                ms[m - 1] *= shape[d];
                for (int v = 0; v < k; v++) {
                    mst[v][m - 1] = strides[v][d];
                }
            } else {
                ms[m] = shape[d];
                for (int v = 0; v < k; v++) {
                    mst[v][m] = strides[v][d];
                }
                m++;
            }
        }
        if (m == 0) {                                       // all dims are size 1: one element
            ms[0] = 1;
            m = 1;
        }
        inner = ms[m - 1];
        innerStride = new int[k];
        outerShape = new int[m - 1];
        outerStrides = new int[k][m - 1];
        int r = 1;
        for (int d = 0; d < m - 1; d++) {
            outerShape[d] = ms[d];
            r *= ms[d];
        }
        for (int v = 0; v < k; v++) {
            innerStride[v] = mst[v][m - 1];
            System.arraycopy(mst[v], 0, outerStrides[v], 0, m - 1);
        }
        rows = isEmpty(shape) ? 0 : r;
        offsets = new int[k];
        for (int v = 0; v < k; v++) {
            offsets[v] = views[v].offset();
        }
    }

    /** Storage position of element 0 of row {@code row} in view {@code v}. */
    int rowStart(int v, int row) {
        int pos = offsets[v];
        int[] st = outerStrides[v];
        for (int d = outerShape.length - 1; d >= 0; d--) {
            int n = outerShape[d];
            pos += (row % n) * st[d];
            row /= n;
        }
        return pos;
    }

    private static boolean isEmpty(int[] shape) {
        for (int s : shape) {
            if (s == 0) {
                return true;
            }
        }
        return false;
    }
}
