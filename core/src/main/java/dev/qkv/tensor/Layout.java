package dev.qkv.tensor;

import java.util.Arrays;

/**
 * How a tensor's elements sit in its storage: element {@code (i0, i1, ..., ik)} is at
 * {@code offset + i0*strides[0] + ... + ik*strides[k]}.
 *
 * <p>Every view (transpose, narrow, select, expand, ...) is a new Layout over the same storage:
 * nothing is copied. A stride of 0 repeats an element, which is how broadcasting works without
 * memory. Layouts are immutable.
 */
public final class Layout {
    private final int[] shape;
    private final int[] strides;
    private final int offset;

    public Layout(int[] shape, int[] strides, int offset) {
        if (shape.length != strides.length) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " and strides "
                    + Arrays.toString(strides) + " differ in rank");
        }
        this.shape = shape.clone();
        this.strides = strides.clone();
        this.offset = offset;
    }

    /** The row-major (C-order) layout of a fresh tensor of this shape. */
    public static Layout contiguous(int... shape) {
        return new Layout(shape, contiguousStrides(shape), 0);
    }

    public static int[] contiguousStrides(int[] shape) {
        int[] s = new int[shape.length];
        int stride = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            s[d] = stride;
            stride = (int) Math.min((long) stride * Math.max(shape[d], 1), Integer.MAX_VALUE);
        }
        return s;
    }

    public int[] shape() {
        return shape.clone();
    }

    public int[] strides() {
        return strides.clone();
    }

    public int shape(int d) {
        return shape[d];
    }

    public int stride(int d) {
        return strides[d];
    }

    public int offset() {
        return offset;
    }

    public int rank() {
        return shape.length;
    }

    public int numel() {
        return Shapes.numel(shape);
    }

    /** True when the elements are packed in row-major order (offset may be non-zero). */
    public boolean isContiguous() {
        if (numel() == 0) {
            return true;                                        // no element is out of place
        }
        int expected = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            if (shape[d] != 1 && strides[d] != expected) {
                return false;
            }
            expected *= shape[d];
        }
        return true;
    }

    /** Storage position of the element at a multi-index. */
    public int offsetOf(int... index) {
        int pos = offset;
        for (int d = 0; d < index.length; d++) {
            pos += index[d] * strides[d];
        }
        return pos;
    }

    /** Storage position of the element with row-major linear index {@code linear} (slow path). */
    public int offsetOfLinear(int linear) {
        int pos = offset;
        for (int d = shape.length - 1; d >= 0; d--) {
            int n = shape[d];
            pos += (linear % n) * strides[d];
            linear /= n;
        }
        return pos;
    }

    // ----- views: each returns a new layout over the same storage -----

    public Layout permute(int... order) {
        int[] s = new int[order.length];
        int[] st = new int[order.length];
        for (int i = 0; i < order.length; i++) {
            s[i] = shape[order[i]];
            st[i] = strides[order[i]];
        }
        return new Layout(s, st, offset);
    }

    public Layout transpose(int d0, int d1) {
        int[] order = new int[shape.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        order[d0] = d1;
        order[d1] = d0;
        return permute(order);
    }

    public Layout narrow(int dim, int start, int length) {
        int[] s = shape.clone();
        s[dim] = length;
        return new Layout(s, strides, offset + start * strides[dim]);
    }

    /** Every {@code step}-th element of {@code [start, end)} along {@code dim}. */
    public Layout slice(int dim, int start, int end, int step) {
        int[] s = shape.clone();
        int[] st = strides.clone();
        s[dim] = Math.max(0, (end - start + step - 1) / step);
        st[dim] = strides[dim] * step;
        return new Layout(s, st, offset + start * strides[dim]);
    }

    public Layout select(int dim, int index) {
        int[] s = new int[shape.length - 1];
        int[] st = new int[shape.length - 1];
        for (int i = 0, j = 0; i < shape.length; i++) {
            if (i != dim) {
                s[j] = shape[i];
                st[j++] = strides[i];
            }
        }
        return new Layout(s, st, offset + index * strides[dim]);
    }

    public Layout unsqueeze(int dim) {
        int[] s = new int[shape.length + 1];
        int[] st = new int[shape.length + 1];
        for (int i = 0, j = 0; i < s.length; i++) {
            if (i == dim) {
                s[i] = 1;
                st[i] = dim < shape.length ? strides[dim] * shape[dim] : 1;
            } else {
                s[i] = shape[j];
                st[i] = strides[j++];
            }
        }
        return new Layout(s, st, offset);
    }

    /** Broadcast to {@code target}: new leading dims and size-1 dims get stride 0. */
    public Layout expand(int[] target) {
        int lead = target.length - shape.length;
        int[] st = new int[target.length];
        for (int i = 0; i < target.length; i++) {
            int j = i - lead;
            if (j < 0) {
                st[i] = 0;
            } else if (shape[j] == target[i]) {
                st[i] = strides[j];
            } else if (shape[j] == 1) {
                st[i] = 0;
            } else {
                throw new IllegalArgumentException("expand: cannot expand shape " + Arrays.toString(shape)
                        + " to " + Arrays.toString(target) + ": dim " + i + " has size " + shape[j]
                        + ", expected " + target[i] + " or 1");
            }
        }
        return new Layout(target, st, offset);
    }

    /**
     * The same elements seen with a new shape, without copying, or null if the strides cannot
     * express it (then the caller must copy, as {@code reshape} does).
     *
     * <p>Walk the old dims from the right, cutting them into chunks that are contiguous with each
     * other; each chunk must be covered exactly by a run of new dims, which then get strides
     * that step through the chunk (PyTorch's rule for {@code view}).
     */
    public Layout view(int[] newShape) {
        int n = numel();
        if (Shapes.numel(newShape) != n) {
            return null;
        }
        if (n == 0 || shape.length == 0) {
            return new Layout(newShape, contiguousStrides(newShape), offset);
        }
        int[] newStrides = new int[newShape.length];
        int viewDim = newShape.length - 1;
        long chunkBaseStride = strides[shape.length - 1];
        long chunkNumel = 1;
        long viewNumel = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            chunkNumel *= shape[d];
            boolean chunkEnds = d == 0 || (shape[d - 1] != 1 && strides[d - 1] != chunkNumel * chunkBaseStride);
            if (chunkEnds) {
                while (viewDim >= 0 && (viewNumel < chunkNumel || newShape[viewDim] == 1)) {
                    newStrides[viewDim] = (int) (viewNumel * chunkBaseStride);
                    viewNumel *= newShape[viewDim];
                    viewDim--;
                }
                if (viewNumel != chunkNumel) {
                    return null;
                }
                if (d > 0) {
                    chunkBaseStride = strides[d - 1];
                    chunkNumel = 1;
                    viewNumel = 1;
                }
            }
        }
        return viewDim == -1 ? new Layout(newShape, newStrides, offset) : null;
    }

    Layout withOffset(int newOffset) {
        return new Layout(shape, strides, newOffset);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Layout l && l.offset == offset && Arrays.equals(l.shape, shape)
                && Arrays.equals(l.strides, strides);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(shape) * 31 + Arrays.hashCode(strides) + offset;
    }

    @Override
    public String toString() {
        return "Layout(shape=" + Arrays.toString(shape) + ", strides=" + Arrays.toString(strides)
                + ", offset=" + offset + ")";
    }
}
