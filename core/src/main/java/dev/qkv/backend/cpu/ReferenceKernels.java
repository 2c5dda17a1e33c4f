package dev.qkv.backend.cpu;

import dev.qkv.backend.BinaryOp;
import dev.qkv.backend.Gemm;
import dev.qkv.backend.ReduceOp;
import dev.qkv.backend.UnaryOp;
import dev.qkv.tensor.Layout;

/**
 * The scalar reference kernels: plain loops, one element at a time, every dtype through
 * {@link CpuStorage#get}/{@link CpuStorage#set} in double precision. They define what the fast
 * kernels must compute; tests hold the two equal. They are also the float64 implementation used
 * by the gradient checks. Single-threaded on purpose: easy to read, nothing to synchronise.
 */
final class ReferenceKernels {
    private ReferenceKernels() {
    }

    static void fill(CpuStorage out, Layout ol, double value) {
        StridedLoop it = new StridedLoop(ol);
        for (int r = 0; r < it.rows; r++) {
            int o = it.rowStart(0, r);
            for (int j = 0; j < it.inner; j++, o += it.innerStride[0]) {
                out.set(o, value);
            }
        }
    }

    static void copy(CpuStorage src, Layout sl, CpuStorage dst, Layout dl) {
        // integers to integers go through long: a double would round INT64 values above 2^53
        boolean exact = !src.dtype().isFloating() && !dst.dtype().isFloating() && dst.dtype() != dev.qkv.tensor.DType.BOOL;
        StridedLoop it = new StridedLoop(sl, dl);
        for (int r = 0; r < it.rows; r++) {
            int s = it.rowStart(0, r);
            int d = it.rowStart(1, r);
            for (int j = 0; j < it.inner; j++, s += it.innerStride[0], d += it.innerStride[1]) {
                if (exact) {
                    dst.setLong(d, src.getLong(s));
                } else {
                    dst.set(d, src.get(s));
                }
            }
        }
    }

    static void unary(UnaryOp op, CpuStorage x, Layout xl, CpuStorage out, Layout ol) {
        StridedLoop it = new StridedLoop(xl, ol);
        for (int r = 0; r < it.rows; r++) {
            int s = it.rowStart(0, r);
            int d = it.rowStart(1, r);
            for (int j = 0; j < it.inner; j++, s += it.innerStride[0], d += it.innerStride[1]) {
                out.set(d, op.apply(x.get(s)));
            }
        }
    }

    static void binary(BinaryOp op, CpuStorage a, Layout al, CpuStorage b, Layout bl, CpuStorage out, Layout ol) {
        StridedLoop it = new StridedLoop(al, bl, ol);
        for (int r = 0; r < it.rows; r++) {
            int ia = it.rowStart(0, r);
            int ib = it.rowStart(1, r);
            int io = it.rowStart(2, r);
            for (int j = 0; j < it.inner; j++) {
                out.set(io, op.apply(a.get(ia), b.get(ib)));
                ia += it.innerStride[0];
                ib += it.innerStride[1];
                io += it.innerStride[2];
            }
        }
    }

    static void where(CpuStorage c, Layout cl, CpuStorage a, Layout al, CpuStorage b, Layout bl,
                      CpuStorage out, Layout ol) {
        StridedLoop it = new StridedLoop(cl, al, bl, ol);
        for (int r = 0; r < it.rows; r++) {
            int ic = it.rowStart(0, r);
            int ia = it.rowStart(1, r);
            int ib = it.rowStart(2, r);
            int io = it.rowStart(3, r);
            for (int j = 0; j < it.inner; j++) {
                out.set(io, c.get(ic) != 0 ? a.get(ia) : b.get(ib));
                ic += it.innerStride[0];
                ia += it.innerStride[1];
                ib += it.innerStride[2];
                io += it.innerStride[3];
            }
        }
    }

    /**
     * For each output element, walks the reduced sub-block of the input. The input is viewed as
     * [kept dims..., reduced dims...] so that output element o is row o of that view.
     */
    static void reduce(ReduceOp op, CpuStorage x, Layout xl, boolean[] dims, CpuStorage out) {
        Layout[] split = ReduceViews.split(xl, dims);
        Layout kept = split[0];
        Layout reduced = split[1];
        int outer = kept.numel();
        int n = reduced.numel();
        for (int o = 0; o < outer; o++) {
            int base = kept.offsetOfLinear(o);
            double acc = switch (op) {
                case SUM -> 0.0;
                case MAX, ARGMAX -> Double.NEGATIVE_INFINITY;
                case MIN, ARGMIN -> Double.POSITIVE_INFINITY;
            };
            int best = 0;
            for (int j = 0; j < n; j++) {
                double v = x.get(base + reduced.offsetOfLinear(j));
                switch (op) {
                    case SUM -> acc += v;
                    case MAX -> acc = Double.isNaN(v) || Double.isNaN(acc) ? Double.NaN : Math.max(acc, v);
                    case MIN -> acc = Double.isNaN(v) || Double.isNaN(acc) ? Double.NaN : Math.min(acc, v);
                    case ARGMAX -> {
                        if (v > acc || (Double.isNaN(v) && !Double.isNaN(acc))) {
                            acc = v;
                            best = j;
                        }
                    }
                    case ARGMIN -> {
                        if (v < acc || (Double.isNaN(v) && !Double.isNaN(acc))) {
                            acc = v;
                            best = j;
                        }
                    }
                }
            }
            out.set(o, op == ReduceOp.ARGMAX || op == ReduceOp.ARGMIN ? best : acc);
        }
    }

    /** C = alpha·op(A)·op(B) + beta·C, the textbook triple loop with a double accumulator. */
    static void gemm(Gemm g) {
        CpuStorage a = (CpuStorage) g.a();
        CpuStorage b = (CpuStorage) g.b();
        CpuStorage c = (CpuStorage) g.c();
        for (int bt = 0; bt < g.batch(); bt++) {
            for (int i = 0; i < g.m(); i++) {
                for (int j = 0; j < g.n(); j++) {
                    double acc = 0;
                    for (int p = 0; p < g.k(); p++) {
                        acc += a.get(g.aIndex(bt, i, p)) * b.get(g.bIndex(bt, p, j));
                    }
                    int ci = g.cIndex(bt, i, j);
                    c.set(ci, g.beta() == 0 ? g.alpha() * acc : g.alpha() * acc + g.beta() * c.get(ci));
                }
            }
        }
    }

    static void indexSelect(CpuStorage src, Layout sl, int dim, CpuStorage idx, Layout il, CpuStorage out) {
        int[] outShape = sl.shape();
        outShape[dim] = il.numel();
        Layout ol = Layout.contiguous(outShape);
        int size = sl.shape(dim);
        for (int i = 0; i < il.numel(); i++) {
            int k = IndexCheck.index("indexSelect", idx.get(il.offsetOfLinear(i)), size);
            copy(src, sl.select(dim, k), out, ol.select(dim, i));
        }
    }

    static void indexAdd(CpuStorage dst, Layout dl, int dim, CpuStorage idx, Layout il, CpuStorage src, Layout sl) {
        int size = dl.shape(dim);
        for (int i = 0; i < il.numel(); i++) {
            int k = IndexCheck.index("indexAdd", idx.get(il.offsetOfLinear(i)), size);
            binary(BinaryOp.ADD, dst, dl.select(dim, k), src, sl.select(dim, i), dst, dl.select(dim, k));
        }
    }

    static void gather(CpuStorage src, Layout sl, int dim, CpuStorage idx, Layout il, CpuStorage out) {
        int n = il.numel();
        int[] shape = il.shape();
        int[] pos = new int[shape.length];
        for (int i = 0; i < n; i++) {
            int k = IndexCheck.index("gather", idx.get(il.offsetOf(pos)), sl.shape(dim));
            int saved = pos[dim];
            pos[dim] = k;
            out.set(i, src.get(sl.offsetOf(pos)));
            pos[dim] = saved;
            IndexCheck.increment(pos, shape);
        }
    }

    static void scatterAdd(CpuStorage dst, Layout dl, int dim, CpuStorage idx, Layout il, CpuStorage src, Layout sl) {
        int n = il.numel();
        int[] shape = il.shape();
        int[] pos = new int[shape.length];
        for (int i = 0; i < n; i++) {
            int k = IndexCheck.index("scatterAdd", idx.get(il.offsetOf(pos)), dl.shape(dim));
            double v = src.get(sl.offsetOf(pos));
            int saved = pos[dim];
            pos[dim] = k;
            int d = dl.offsetOf(pos);
            dst.set(d, dst.get(d) + v);
            pos[dim] = saved;
            IndexCheck.increment(pos, shape);
        }
    }
}
