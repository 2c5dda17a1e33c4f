package dev.qkv.tensor;

import dev.qkv.autograd.Autograd;
import dev.qkv.backend.Gemm;

import java.util.Arrays;

/**
 * torch.matmul: vectors, matrices and broadcast batches of matrices, run as one batched GEMM.
 *
 * <p>Operands are passed to the backend without copying whenever their last two dims are
 * row-major (stride 1 along columns) or column-major (a transposed view: stride 1 along rows);
 * the transpose flags of {@link Gemm} carry the difference. Batch dims that cannot be expressed
 * with a single batch stride are copied first.
 */
final class MatmulOp {
    private MatmulOp() {
    }

    static Tensor matmul(Tensor a, Tensor b) {
        BinaryOps.checkDevices("matmul", a, b);
        if (a.dim() == 0 || b.dim() == 0) {
            throw new IllegalArgumentException("matmul: both operands need at least 1 dim, got shapes "
                    + Arrays.toString(a.shape()) + " and " + Arrays.toString(b.shape()));
        }
        if (!a.dtype().isFloating() || a.dtype() != b.dtype()) {
            throw new IllegalArgumentException("matmul: expects two floating tensors of one dtype, got " + a.dtype()
                    + " and " + b.dtype());
        }
        // Vectors become matrices (a row for the left operand, a column for the right) and the
        // added dim is removed from the result, as torch.matmul does.
        boolean aVec = a.dim() == 1;
        boolean bVec = b.dim() == 1;
        Tensor a2 = aVec ? a.unsqueeze(0) : a;
        Tensor b2 = bVec ? b.unsqueeze(1) : b;
        Tensor out = matmulNd(a2, b2);
        if (aVec) {
            out = out.squeeze(-2);
        }
        if (bVec) {
            out = out.squeeze(-1);
        }
        return out;
    }

    /** Both operands have rank ≥ 2. */
    private static Tensor matmulNd(Tensor a, Tensor b) {
        int[] as = a.shape();
        int[] bs = b.shape();
        int m = as[as.length - 2];
        int k = as[as.length - 1];
        int k2 = bs[bs.length - 2];
        int n = bs[bs.length - 1];
        if (k != k2) {
            throw new IllegalArgumentException("matmul: shapes " + Arrays.toString(as) + " and " + Arrays.toString(bs)
                    + " cannot be multiplied: the last dim of the first (" + k + ") must equal the second-to-last "
                    + "dim of the second (" + k2 + ")");
        }
        int[] batchA = Arrays.copyOf(as, as.length - 2);
        int[] batchB = Arrays.copyOf(bs, bs.length - 2);
        int[] batchShape;
        try {
            batchShape = Shapes.broadcast("matmul", batchA, batchB);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("matmul: shapes " + Arrays.toString(as) + " and " + Arrays.toString(bs)
                    + " cannot be multiplied: their batch dims " + Arrays.toString(batchA) + " and "
                    + Arrays.toString(batchB) + " do not broadcast (sizes must match or one must be 1)");
        }
        int batch = Shapes.numel(batchShape);
        int[] outShape = Arrays.copyOf(batchShape, batchShape.length + 2);
        outShape[batchShape.length] = m;
        outShape[batchShape.length + 1] = n;
        Tensor out = Tensor.empty(a.dtype(), a.device(), outShape);     // beta = 0: C is never read

        Operand pa = Operand.of(a, batchShape);
        Operand pb = Operand.of(b, batchShape);
        a.backend().gemm(new Gemm(batch, m, n, k,
                pa.t.storage(), pa.offset, pa.batchStride, pa.ld, pa.trans,
                pb.t.storage(), pb.offset, pb.batchStride, pb.ld, pb.trans,
                out.storage(), 0, m * n, n, 1.0, 0.0));
        // in the forward pass this was: out = a @ b, so now we have:
        // da = g @ bᵀ and db = aᵀ @ g (summed over broadcast batch dims by the engine)
        return Autograd.record("matmul", out, g -> new Tensor[] {
                a.requiresGrad() ? g.matmul(b.transpose(-1, -2)) : null,
                b.requiresGrad() ? a.transpose(-1, -2).matmul(g) : null}, a, b);
    }

    /** One operand as GEMM arguments: storage, offset, batch stride, leading dim, transposed. */
    private record Operand(Tensor t, int offset, int batchStride, int ld, boolean trans) {

        static Operand of(Tensor x, int[] batchShape) {
            int r = x.dim();
            int[] target = Arrays.copyOf(batchShape, batchShape.length + 2);
            target[batchShape.length] = x.layout().shape(r - 2);
            target[batchShape.length + 1] = x.layout().shape(r - 1);
            Layout l = x.layout().expand(target);
            Operand o = fromLayout(x, l);
            if (o != null) {
                return o;
            }
            Tensor c = Tensor.fromStorage(x.storage(), l).contiguousCopy();   // materialize, then row-major
            return fromLayout(c, c.layout());
        }

        /** Null when the layout cannot be described by (batchStride, ld, trans). */
        private static Operand fromLayout(Tensor x, Layout l) {
            int r = l.rank();
            int rows = l.shape(r - 2);
            int cols = l.shape(r - 1);
            int rs = l.stride(r - 2);
            int cs = l.stride(r - 1);
            Integer batchStride = collapseBatch(l);
            if (batchStride == null) {
                return null;
            }
            // Row-major: element (i, p) at i·ld + p, with rows at least a full row apart.
            if ((cs == 1 || cols == 1) && (rows == 1 || rs >= cols)) {
                return new Operand(x, l.offset(), batchStride, rows == 1 ? Math.max(cols, 1) : rs, false);
            }
            // Column-major (a transposed view): element (i, p) at p·ld + i.
            if ((rs == 1 || rows == 1) && (cols == 1 || cs >= rows)) {
                return new Operand(x, l.offset(), batchStride, cols == 1 ? Math.max(rows, 1) : cs, true);
            }
            return null;
        }

        /** The single stride that walks all batch dims in order, or null if there is none. */
        private static Integer collapseBatch(Layout l) {
            int nb = l.rank() - 2;
            int stride = 0;
            int expectedNext = -1;                   // stride the next outer dim must have
            boolean first = true;
            for (int d = nb - 1; d >= 0; d--) {
                int size = l.shape(d);
                if (size == 1) {
                    continue;
                }
                int st = l.stride(d);
                if (first) {
                    stride = st;
                    first = false;
                } else if (st != expectedNext) {
                    return null;
                }
                expectedNext = st * size;
            }
            return stride;
        }
    }
}
