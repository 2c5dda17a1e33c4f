package dev.qkv.tensor;

import dev.qkv.autograd.Autograd;

import java.util.Arrays;

/**
 * Views: new layouts over the same storage, no data copied. Backward rules move the gradient
 * back through the inverse view; expand needs none, because the engine sums broadcast
 * gradients back to the input's shape.
 */
final class ViewOps {
    private ViewOps() {
    }

    private static Tensor on(Tensor x, Layout l) {
        return Tensor.fromStorage(x.storage(), l);
    }

    static Tensor view(Tensor x, int[] shape) {
        int[] s = Shapes.inferShape("view", shape, x.shape());
        Layout l = x.layout().view(s);
        if (l == null) {
            throw new IllegalStateException("view: shape " + Arrays.toString(s) + " is not compatible with the strides "
                    + Arrays.toString(x.strides()) + " of a tensor of shape " + Arrays.toString(x.shape())
                    + " (it is not contiguous); use reshape(), which copies when it must");
        }
        int[] in = x.shape();
        return Autograd.record("view", on(x, l), g -> new Tensor[] {g.reshape(in)}, x);
    }

    static Tensor reshape(Tensor x, int[] shape) {
        int[] s = Shapes.inferShape("reshape", shape, x.shape());
        return x.layout().view(s) != null ? view(x, s) : view(x.contiguousCopy(), s);
    }

    static Tensor flatten(Tensor x, int start, int end) {
        int r = x.dim();
        int s = Shapes.dim("flatten", start, x.shape());
        int e = Shapes.dim("flatten", end, x.shape());
        if (r == 0) {
            return x.reshape(1);
        }
        int[] in = x.shape();
        int[] out = new int[r - (e - s)];
        int j = 0;
        for (int d = 0; d < s; d++) {
            out[j++] = in[d];
        }
        int merged = 1;
        for (int d = s; d <= e; d++) {
            merged *= in[d];
        }
        out[j++] = merged;
        for (int d = e + 1; d < r; d++) {
            out[j++] = in[d];
        }
        return x.reshape(out);
    }

    static Tensor permute(Tensor x, int[] order) {
        int r = x.dim();
        if (order.length != r) {
            throw new IllegalArgumentException("permute: got " + order.length + " dims " + Arrays.toString(order)
                    + " for a tensor of rank " + r);
        }
        int[] o = new int[r];
        boolean[] seen = new boolean[r];
        for (int i = 0; i < r; i++) {
            o[i] = Shapes.dim("permute", order[i], x.shape());
            if (seen[o[i]]) {
                throw new IllegalArgumentException("permute: dim " + o[i] + " appears twice in " + Arrays.toString(order));
            }
            seen[o[i]] = true;
        }
        int[] inverse = new int[r];
        for (int i = 0; i < r; i++) {
            inverse[o[i]] = i;
        }
        return Autograd.record("permute", on(x, x.layout().permute(o)), g -> new Tensor[] {g.permute(inverse)}, x);
    }

    static Tensor transpose(Tensor x, int d0, int d1) {
        int r = x.dim();
        int a = Shapes.dim("transpose", d0, x.shape());
        int b = Shapes.dim("transpose", d1, x.shape());
        if (r == 0) {
            return x;                                  // a 0-dim tensor is its own transpose
        }
        return Autograd.record("transpose", on(x, x.layout().transpose(a, b)), g -> new Tensor[] {g.transpose(a, b)}, x);
    }

    static Tensor t(Tensor x) {
        if (x.dim() != 2) {
            throw new IllegalArgumentException("t: expects a 2-D tensor, got shape " + Arrays.toString(x.shape())
                    + "; use transpose(d0, d1)");
        }
        return transpose(x, 0, 1);
    }

    /** Backward of a view that picks part of x: zeros of x's shape with g written into the part. */
    private static Tensor scatterInto(Tensor x, Tensor g, java.util.function.UnaryOperator<Tensor> part) {
        Tensor z = Tensor.zeros(g.dtype(), g.device(), x.shape());
        part.apply(z).copy_(g);
        return z;
    }

    static Tensor narrow(Tensor x, int dim, int start, int length) {
        int d = Shapes.existingDim("narrow", dim, x.shape());
        int size = x.layout().shape(d);
        if (start < 0 || length < 0 || start + length > size) {
            throw new IndexOutOfBoundsException("narrow: start " + start + " + length " + length
                    + " exceeds dimension " + d + " of size " + size + " (shape " + Arrays.toString(x.shape()) + ")");
        }
        Tensor out = on(x, x.layout().narrow(d, start, length));
        return Autograd.record("narrow", out, g -> new Tensor[] {scatterInto(x, g, z -> z.narrow(d, start, length))}, x);
    }

    static Tensor slice(Tensor x, int dim, int start, int end, int step) {
        int d = Shapes.existingDim("slice", dim, x.shape());
        int size = x.layout().shape(d);
        if (step <= 0) {
            throw new IllegalArgumentException("slice: step must be positive, got " + step);
        }
        // Python-style bounds: negative counts from the end, out-of-range clamps.
        int s = Math.min(Math.max(start < 0 ? start + size : start, 0), size);
        int e = Math.min(Math.max(end < 0 ? end + size : end, s), size);
        Tensor out = on(x, x.layout().slice(d, s, e, step));
        return Autograd.record("slice", out, g -> new Tensor[] {scatterInto(x, g, z -> z.slice(d, s, e, step))}, x);
    }

    static Tensor select(Tensor x, int dim, int index) {
        int d = Shapes.existingDim("select", dim, x.shape());
        int size = x.layout().shape(d);
        int i = index < 0 ? index + size : index;
        if (i < 0 || i >= size) {
            throw new IndexOutOfBoundsException("select: index " + index + " is out of bounds for dimension " + d
                    + " with size " + size + " (shape " + Arrays.toString(x.shape()) + ")");
        }
        Tensor out = on(x, x.layout().select(d, i));
        return Autograd.record("select", out, g -> new Tensor[] {scatterInto(x, g, z -> z.select(d, i))}, x);
    }

    static Tensor expand(Tensor x, int[] shape) {
        int[] target = shape.clone();
        int lead = target.length - x.dim();
        if (lead < 0) {
            throw new IllegalArgumentException("expand: target " + Arrays.toString(shape) + " has fewer dims than shape "
                    + Arrays.toString(x.shape()));
        }
        for (int i = 0; i < target.length; i++) {
            if (target[i] == -1) {
                if (i < lead) {
                    throw new IllegalArgumentException("expand: -1 is not allowed for a new leading dim in "
                            + Arrays.toString(shape));
                }
                target[i] = x.layout().shape(i - lead);
            }
        }
        return Autograd.record("expand", on(x, x.layout().expand(target)), g -> new Tensor[] {g}, x);
    }

    static Tensor squeeze(Tensor x) {
        int[] s = Arrays.stream(x.shape()).filter(v -> v != 1).toArray();
        return x.reshape(s);
    }

    static Tensor squeeze(Tensor x, int dim) {
        int d = Shapes.dim("squeeze", dim, x.shape());
        if (x.dim() == 0 || x.layout().shape(d) != 1) {
            return x;
        }
        int[] in = x.shape();
        int[] s = new int[in.length - 1];
        for (int i = 0, j = 0; i < in.length; i++) {
            if (i != d) {
                s[j++] = in[i];
            }
        }
        return x.reshape(s);
    }

    static Tensor unsqueeze(Tensor x, int dim) {
        int d = Shapes.newDim("unsqueeze", dim, x.shape());
        int[] in = x.shape();
        return Autograd.record("unsqueeze", on(x, x.layout().unsqueeze(d)), g -> new Tensor[] {g.reshape(in)}, x);
    }

    static Tensor contiguous(Tensor x) {
        return x.isContiguous() ? x : x.contiguousCopy();
    }
}
