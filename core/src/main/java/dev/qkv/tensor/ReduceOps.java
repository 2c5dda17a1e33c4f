package dev.qkv.tensor;

import dev.qkv.autograd.Autograd;
import dev.qkv.backend.ReduceOp;

import java.util.Arrays;

/** Reductions over one or more dims, with keepDim, and their backward rules. */
final class ReduceOps {
    private ReduceOps() {
    }

    /**
     * Which dims to reduce: all when dims is null; negative dims count from the end. A 0-dim
     * tensor accepts dim 0 or −1 and has nothing to reduce.
     */
    static boolean[] mask(String op, int[] shape, int[] dims) {
        boolean[] m = new boolean[shape.length];
        if (dims == null) {
            Arrays.fill(m, true);
            return m;
        }
        for (int d : dims) {
            int k = Shapes.dim(op, d, shape);
            if (shape.length == 0) {
                continue;
            }
            if (m[k]) {
                throw new IllegalArgumentException(op + ": dim " + k + " appears twice in " + Arrays.toString(dims));
            }
            m[k] = true;
        }
        return m;
    }

    /** Runs a reduction kernel; returns the result in keepDim shape. */
    private static Tensor run(ReduceOp op, Tensor x, boolean[] m, DType outType) {
        int[] keep = Shapes.reduced(x.shape(), m, true);
        Tensor out = Tensor.empty(outType, x.device(), keep);          // every output is written
        if (x.numel() == 0 && op != ReduceOp.SUM) {
            throw new IllegalArgumentException(op.name().toLowerCase() + ": cannot reduce an empty tensor of shape "
                    + Arrays.toString(x.shape()));
        }
        x.backend().reduce(op, x.storage(), x.layout(), m, out.storage());
        return out;
    }

    private static Tensor shaped(Tensor keepShaped, int[] inShape, boolean[] m, boolean keepDim) {
        return keepDim ? keepShaped : keepShaped.reshape(Shapes.reduced(inShape, m, false));
    }

    static Tensor sum(Tensor x, int[] dims, boolean keepDim) {
        boolean[] m = mask("sum", x.shape(), dims);
        DType dt = x.dtype().isFloating() ? x.dtype() : DType.INT64;
        Tensor y;
        try (var s = Autograd.noGrad()) {
            y = shaped(run(ReduceOp.SUM, x, m, dt), x.shape(), m, keepDim);
        }
        int[] in = x.shape();
        int[] keep = Shapes.reduced(in, m, true);
        // Every input element contributed once: its gradient is the output's, broadcast back.
        return Autograd.record("sum", y, g -> new Tensor[] {g.reshape(keep).expand(in)}, x);
    }

    static Tensor mean(Tensor x, int[] dims, boolean keepDim) {
        boolean[] m = mask("mean", x.shape(), dims);
        int n = 1;
        for (int d = 0; d < m.length; d++) {
            if (m[d]) {
                n *= x.layout().shape(d);
            }
        }
        Tensor xf = x.dtype().isFloating() ? x : x.to(DType.FLOAT32);
        return sum(xf, dims, keepDim).div(n);
    }

    static Tensor max(Tensor x, int[] dims, boolean keepDim) {
        return extreme(x, dims, keepDim, ReduceOp.MAX, "max");
    }

    static Tensor min(Tensor x, int[] dims, boolean keepDim) {
        return extreme(x, dims, keepDim, ReduceOp.MIN, "min");
    }

    /** max/min values; the gradient goes to the extreme elements, shared evenly on ties. */
    private static Tensor extreme(Tensor x, int[] dims, boolean keepDim, ReduceOp op, String name) {
        boolean[] m = mask(name, x.shape(), dims);
        Tensor keepShaped = run(op, x, m, x.dtype());
        Tensor y = shaped(keepShaped, x.shape(), m, keepDim);
        int[] in = x.shape();
        int[] keep = Shapes.reduced(in, m, true);
        return Autograd.record(name, y, g -> {
            Tensor hit = x.eq(keepShaped).to(g.dtype());                       // 1 where x is the extreme
            Tensor count = hit.sum(dimsOf(m), true);
            return new Tensor[] {hit.div(count).mul(g.reshape(keep))};
        }, x);
    }

    private static int[] dimsOf(boolean[] m) {
        return java.util.stream.IntStream.range(0, m.length).filter(d -> m[d]).toArray();
    }

    static Tensor argmax(Tensor x, int dim, boolean keepDim, boolean max) {
        boolean[] m = mask(max ? "argmax" : "argmin", x.shape(), new int[] {dim});
        Tensor out = run(max ? ReduceOp.ARGMAX : ReduceOp.ARGMIN, x, m, DType.INT64);
        return shaped(out, x.shape(), m, keepDim);
    }

    /** Σ(x − mean)² / (n − correction), composed of differentiable ops. */
    static Tensor var(Tensor x, int[] dims, boolean keepDim, int correction) {
        boolean[] m = mask("var", x.shape(), dims);
        int n = 1;
        for (int d = 0; d < m.length; d++) {
            if (m[d]) {
                n *= x.layout().shape(d);
            }
        }
        int[] ds = dimsOf(m);
        Tensor centered = x.sub(x.mean(ds, true));
        return centered.mul(centered).sum(ds, keepDim).div(Math.max(n - correction, 0));
    }

    /**
     * The reverse of broadcasting: sums g over the leading dims that broadcasting added and over
     * the dims where the target has size 1.
     */
    static Tensor sumToShape(Tensor g, int[] shape) {
        int[] gs = g.shape();
        if (Arrays.equals(gs, shape)) {
            return g;
        }
        int lead = gs.length - shape.length;
        if (lead < 0) {
            throw new IllegalArgumentException("sumToShape: gradient shape " + Arrays.toString(gs)
                    + " has fewer dims than target " + Arrays.toString(shape));
        }
        boolean[] m = new boolean[gs.length];
        for (int d = 0; d < gs.length; d++) {
            m[d] = d < lead || (shape[d - lead] == 1 && gs[d] != 1);
        }
        return g.sum(dimsOf(m), true).reshape(shape);
    }
}
