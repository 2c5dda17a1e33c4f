package dev.qkv.backend.cuda;

import dev.qkv.tensor.Layout;

import java.util.Arrays;

/**
 * Prepares strided views for the elementwise kernels: merges adjacent dims that are contiguous
 * with each other in every view (as the CPU's StridedLoop does), so that contiguous tensors
 * reach the kernel as one long rank-1 run and its per-element index arithmetic is short, and
 * drops size-1 dims, which never move an offset. The kernels accept at most {@link #MAX_DIMS}
 * dims after merging.
 */
final class ViewMerge {
    /** QKV_MAX_DIMS in common.cuh. */
    static final int MAX_DIMS = 8;

    private ViewMerge() {
    }

    /** The walked shape: the kernel's {@code Dims} struct. */
    record Dims(int[] shape, int numel) {
        Dims {
            if (shape.length > MAX_DIMS) {
                throw new IllegalArgumentException("CUDA kernels take views of at most " + MAX_DIMS
                        + " dims (after merging contiguous dims); got shape " + Arrays.toString(shape));
            }
        }

        int rank() {
            return shape.length;
        }
    }

    /** One operand's offset and strides over the walked shape: the kernel's {@code Strides} struct. */
    record Strides(int offset, int[] strides) {
        Strides {
            if (strides.length > MAX_DIMS) {
                throw new IllegalArgumentException("CUDA kernels take views of at most " + MAX_DIMS + " dims; got "
                        + strides.length);
            }
        }
    }

    /** The merged shape and, per view, its merged strides (same order as the views passed in). */
    record Merged(Dims dims, Strides[] views) {
        int numel() {
            return dims.numel();
        }
    }

    /** Merges views that all have the same shape. */
    static Merged merge(Layout... views) {
        int[] shape = views[0].shape();
        for (Layout v : views) {
            if (!Arrays.equals(v.shape(), shape)) {
                throw new IllegalArgumentException("views of different shapes: " + Arrays.toString(shape) + " and "
                        + Arrays.toString(v.shape()));
            }
        }
        int k = views.length;
        int numel = 1;
        for (int s : shape) {
            numel *= s;
        }
        int[] ms = new int[shape.length];
        int[][] mst = new int[k][shape.length];
        int m = 0;
        for (int d = 0; d < shape.length; d++) {
            if (shape[d] == 1) {
                continue;                                    // size-1 dims never affect offsets
            }
            boolean merge = m > 0;
            for (int v = 0; v < k && merge; v++) {
                merge = mst[v][m - 1] == views[v].stride(d) * shape[d];
            }
            if (merge) {                                     // dim m-1 steps over whole rows of dim d
                ms[m - 1] *= shape[d];
                for (int v = 0; v < k; v++) {
                    mst[v][m - 1] = views[v].stride(d);
                }
            } else {
                ms[m] = shape[d];
                for (int v = 0; v < k; v++) {
                    mst[v][m] = views[v].stride(d);
                }
                m++;
            }
        }
        if (m == 0) {                                        // a scalar, or all dims of size 1
            return scalar(views, numel);
        }
        Strides[] out = new Strides[k];
        for (int v = 0; v < k; v++) {
            out[v] = new Strides(views[v].offset(), Arrays.copyOf(mst[v], m));
        }
        return new Merged(new Dims(Arrays.copyOf(ms, m), numel), out);
    }

    private static Merged scalar(Layout[] views, int numel) {
        Strides[] out = new Strides[views.length];
        for (int v = 0; v < views.length; v++) {
            out[v] = new Strides(views[v].offset(), new int[] {0});
        }
        return new Merged(new Dims(new int[] {1}, numel), out);
    }

    /** A view as it is, without merging (for kernels that need the dims themselves, such as gather). */
    static Strides strides(Layout l) {
        return new Strides(l.offset(), l.strides());
    }

    static Dims dims(int[] shape) {
        int numel = 1;
        for (int s : shape) {
            numel *= s;
        }
        return new Dims(shape, numel);
    }

    /**
     * The merged views in units of four elements, when every view's innermost dim is contiguous
     * with a length divisible by 4 and all other strides and the offsets are too (so 16-byte units
     * stay aligned); null otherwise. For copy_x4.
     */
    static Merged byFour(Merged m) {
        int[] shape = m.dims().shape();
        int last = shape.length - 1;
        if (last < 0 || shape[last] % 4 != 0) {
            return null;
        }
        Strides[] views = new Strides[m.views().length];
        for (int v = 0; v < views.length; v++) {
            Strides s = m.views()[v];
            if (s.strides()[last] != 1 || s.offset() % 4 != 0) {
                return null;
            }
            int[] st = s.strides().clone();
            for (int d = 0; d < last; d++) {
                if (st[d] % 4 != 0) {
                    return null;
                }
                st[d] /= 4;
            }
            views[v] = new Strides(s.offset() / 4, st);
        }
        int[] sh = shape.clone();
        sh[last] /= 4;
        return new Merged(new Dims(sh, m.numel() / 4), views);
    }
}
