package dev.qkv.tensor;

import dev.qkv.autograd.Autograd;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Gathering, scattering, joining and splitting along a dim. */
final class IndexOps {
    private IndexOps() {
    }

    private static void checkIndex(String op, Tensor index) {
        if (index.dtype().isFloating() || index.dtype() == DType.BOOL) {
            throw new IllegalArgumentException(op + ": index must be an integer tensor, got " + index.dtype());
        }
    }

    static Tensor indexSelect(Tensor x, int dim, Tensor index) {
        BinaryOps.checkDevices("indexSelect", x, index);
        checkIndex("indexSelect", index);
        if (index.dim() > 1) {
            throw new IllegalArgumentException("indexSelect: index must be 0-D or 1-D, got shape "
                    + Arrays.toString(index.shape()));
        }
        int d = Shapes.existingDim("indexSelect", dim, x.shape());
        int[] outShape = x.shape();
        outShape[d] = index.numel();
        Tensor out = Tensor.zeros(x.dtype(), x.device(), outShape);
        Tensor idx = index.reshape(-1);                  // 1-D; a view for any 0-D or 1-D index
        x.backend().indexSelect(x.storage(), x.layout(), d, idx.storage(), idx.layout(), out.storage());
        int[] in = x.shape();
        // Each picked slice's gradient is added back into the slice it came from (repeats add up).
        return Autograd.record("indexSelect", out, g -> {
            Tensor z = Tensor.zeros(g.dtype(), g.device(), in);
            z.backend().indexAdd(z.storage(), z.layout(), d, idx.storage(), idx.layout(), g.storage(), g.layout());
            return new Tensor[] {z};
        }, x);
    }

    static Tensor gather(Tensor x, int dim, Tensor index) {
        BinaryOps.checkDevices("gather", x, index);
        checkIndex("gather", index);
        int d = Shapes.existingDim("gather", dim, x.shape());
        if (index.dim() != x.dim()) {
            throw new IllegalArgumentException("gather: index rank " + index.dim() + " must equal input rank " + x.dim());
        }
        for (int i = 0; i < x.dim(); i++) {
            if (i != d && index.size(i) > x.size(i)) {
                throw new IllegalArgumentException("gather: index shape " + Arrays.toString(index.shape())
                        + " exceeds input shape " + Arrays.toString(x.shape()) + " at dim " + i);
            }
        }
        Tensor out = Tensor.zeros(x.dtype(), x.device(), index.shape());
        x.backend().gather(x.storage(), x.layout(), d, index.storage(), index.layout(), out.storage());
        int[] in = x.shape();
        return Autograd.record("gather", out, g -> {
            Tensor z = Tensor.zeros(g.dtype(), g.device(), in);
            z.backend().scatterAdd(z.storage(), z.layout(), d, index.storage(), index.layout(), g.storage(), g.layout());
            return new Tensor[] {z};
        }, x);
    }

    static Tensor cat(List<Tensor> ts, int dim) {
        if (ts.isEmpty()) {
            throw new IllegalArgumentException("cat: expects a non-empty list of tensors");
        }
        Tensor first = ts.get(0);
        int d = Shapes.existingDim("cat", dim, first.shape());
        int total = 0;
        DType dt = first.dtype();
        for (Tensor t : ts) {
            BinaryOps.checkDevices("cat", first, t);
            if (t.dim() != first.dim()) {
                throw new IllegalArgumentException("cat: tensors must have the same number of dims, got shapes "
                        + Arrays.toString(first.shape()) + " and " + Arrays.toString(t.shape()));
            }
            int[] a = first.shape();
            int[] b = t.shape();
            a[d] = 0;
            b[d] = 0;
            if (!Arrays.equals(a, b)) {
                throw new IllegalArgumentException("cat: shapes " + Arrays.toString(first.shape()) + " and "
                        + Arrays.toString(t.shape()) + " must match in every dim except dim " + d);
            }
            total += t.size(d);
            dt = DType.promote(dt, t.dtype());
        }
        int[] outShape = first.shape();
        outShape[d] = total;
        Tensor out = Tensor.zeros(dt, first.device(), outShape);
        int[] sizes = new int[ts.size()];
        int at = 0;
        for (int i = 0; i < ts.size(); i++) {
            Tensor t = ts.get(i);
            sizes[i] = t.size(d);
            Layout part = out.layout().narrow(d, at, sizes[i]);
            out.backend().copy(t.storage(), t.layout(), out.storage(), part);
            at += sizes[i];
        }
        // The gradient of each input is its own slice of the output's gradient.
        return Autograd.record("cat", out, g -> {
            Tensor[] grads = new Tensor[sizes.length];
            int start = 0;
            for (int i = 0; i < sizes.length; i++) {
                grads[i] = g.narrow(d, start, sizes[i]);
                start += sizes[i];
            }
            return grads;
        }, ts.toArray(new Tensor[0]));
    }

    static Tensor stack(List<Tensor> ts, int dim) {
        if (ts.isEmpty()) {
            throw new IllegalArgumentException("stack: expects a non-empty list of tensors");
        }
        int d = Shapes.newDim("stack", dim, ts.get(0).shape());
        List<Tensor> us = new ArrayList<>();
        for (Tensor t : ts) {
            if (!Arrays.equals(t.shape(), ts.get(0).shape())) {
                throw new IllegalArgumentException("stack: all tensors must have one shape, got "
                        + Arrays.toString(ts.get(0).shape()) + " and " + Arrays.toString(t.shape()));
            }
            us.add(t.unsqueeze(d));
        }
        return cat(us, d);
    }

    static List<Tensor> split(Tensor x, int size, int dim) {
        int d = Shapes.existingDim("split", dim, x.shape());
        if (size <= 0) {
            throw new IllegalArgumentException("split: size must be positive, got " + size);
        }
        List<Tensor> parts = new ArrayList<>();
        int n = x.size(d);
        for (int start = 0; start < n; start += size) {
            parts.add(x.narrow(d, start, Math.min(size, n - start)));
        }
        return parts;
    }

    static List<Tensor> chunk(Tensor x, int chunks, int dim) {
        if (chunks <= 0) {
            throw new IllegalArgumentException("chunk: number of chunks must be positive, got " + chunks);
        }
        int n = x.size(dim);
        return split(x, Math.max(1, (n + chunks - 1) / chunks), dim);
    }
}
