package dev.qkv.backend.cpu;

import dev.qkv.backend.BinaryOp;
import dev.qkv.backend.UnaryOp;
import dev.qkv.tensor.Layout;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * float32 elementwise kernels (fill, copy, unary, binary, where) with the Vector API. Each loop
 * works on the rows of a {@link StridedLoop}: where the row is contiguous (stride 1, or 0 for a
 * broadcast operand) it runs SIMD lanes and finishes with a scalar tail; other strides take a
 * plain scalar loop. Work is split across the CPU pool in pieces of fixed size, so every element
 * is computed the same way whatever the thread count. {@link ReferenceKernels} is the definition
 * these must match; the unary ops' SIMD forms are in {@link VectorUnary}, reductions in
 * {@link VectorReduce}.
 */
final class VectorKernels {
    private VectorKernels() {
    }

    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    /** Elements per parallel work unit: big enough to amortise a task, small enough to balance. */
    private static final int UNIT = 16384;

    /** Body for one piece [start, end) of row {@code row}. */
    private interface RowPiece {
        void run(int row, int start, int end);
    }

    /** Splits rows × inner into pieces of at most UNIT elements and runs them on the pool. */
    private static void forPieces(StridedLoop it, RowPiece body) {
        int perRow = Math.max(1, (it.inner + UNIT - 1) / UNIT);
        int pieces = it.rows * perRow;
        int grain = Math.max(1, UNIT / Math.max(1, Math.min(it.inner, UNIT)));
        Parallel.forRange(pieces, grain, (s, e) -> {
            for (int p = s; p < e; p++) {
                int row = p / perRow;
                int c = p % perRow;
                body.run(row, c * UNIT, Math.min(it.inner, (c + 1) * UNIT));
            }
        });
    }

    static void fill(CpuStorage.F32 out, Layout ol, float value) {
        StridedLoop it = new StridedLoop(ol);
        float[] o = out.data;
        forPieces(it, (row, start, end) -> {
            int base = it.rowStart(0, row);
            int st = it.innerStride[0];
            if (st == 1) {
                java.util.Arrays.fill(o, base + start, base + end, value);
            } else {
                for (int j = start; j < end; j++) {
                    o[base + j * st] = value;
                }
            }
        });
    }

    static void copy(CpuStorage.F32 src, Layout sl, CpuStorage.F32 dst, Layout dl) {
        StridedLoop it = new StridedLoop(sl, dl);
        float[] s = src.data;
        float[] d = dst.data;
        forPieces(it, (row, start, end) -> {
            int si = it.rowStart(0, row);
            int di = it.rowStart(1, row);
            int ss = it.innerStride[0];
            int ds = it.innerStride[1];
            if (ss == 1 && ds == 1) {
                System.arraycopy(s, si + start, d, di + start, end - start);
            } else {
                for (int j = start; j < end; j++) {
                    d[di + j * ds] = s[si + j * ss];
                }
            }
        });
    }

    static void unary(UnaryOp op, CpuStorage.F32 x, Layout xl, CpuStorage.F32 out, Layout ol) {
        StridedLoop it = new StridedLoop(xl, ol);
        float[] xs = x.data;
        float[] os = out.data;
        boolean simd = VectorUnary.has(op);
        forPieces(it, (row, start, end) -> {
            int xi = it.rowStart(0, row);
            int oi = it.rowStart(1, row);
            int sx = it.innerStride[0];
            int so = it.innerStride[1];
            int j = start;
            if (simd && sx == 1 && so == 1) {
                j = VectorUnary.run(op, xs, xi, os, oi, j, end);
            }
            for (; j < end; j++) {                          // scalar tail (and strided rows)
                os[oi + j * so] = (float) op.apply(xs[xi + j * sx]);
            }
        });
    }

    /**
     * Whether {@link #binaryRun} has a SIMD loop. Not for comparisons, which write BOOL (reference
     * path), nor POW: on AVX2 the Vector API has no vector pow and falls back to Math.pow lane by
     * lane, allocating as it goes, which is slower than the scalar loop.
     */
    private static boolean hasSimd(BinaryOp op) {
        return !op.isComparison() && op != BinaryOp.POW;
    }

    /**
     * o[oi + j] = op(a[ai + j·sa], b[bi + j·sb]) for whole vectors, sa and sb each 1 or 0 (a
     * broadcast value); returns the first j not done. The switch sits inside the loop rather than
     * in a helper that returns a vector, so the vectors never leave this compiled loop (see
     * {@link VectorUnary}); the JIT hoists the loop-invariant switch.
     */
    private static int binaryRun(BinaryOp op, float[] as, int ai, int sa, float[] bs, int bi, int sb, float[] os,
                                 int oi, int j, int end) {
        FloatVector ca = FloatVector.broadcast(S, as[ai]);
        FloatVector cb = FloatVector.broadcast(S, bs[bi]);
        for (; j <= end - S.length(); j += S.length()) {
            FloatVector va = sa == 0 ? ca : FloatVector.fromArray(S, as, ai + j);
            FloatVector vb = sb == 0 ? cb : FloatVector.fromArray(S, bs, bi + j);
            FloatVector r = switch (op) {
                case ADD -> va.add(vb);
                case SUB -> va.sub(vb);
                case MUL -> va.mul(vb);
                case DIV -> va.div(vb);
                case MAX -> va.max(vb);
                case MIN -> va.min(vb);
                default -> throw new IllegalArgumentException("no SIMD loop for " + op);
            };
            r.intoArray(os, oi + j);
        }
        return j;
    }

    static void binary(BinaryOp op, CpuStorage.F32 a, Layout al, CpuStorage.F32 b, Layout bl,
                       CpuStorage.F32 out, Layout ol) {
        StridedLoop it = new StridedLoop(al, bl, ol);
        float[] as = a.data;
        float[] bs = b.data;
        float[] os = out.data;
        boolean simd = hasSimd(op);
        forPieces(it, (row, start, end) -> {
            int ai = it.rowStart(0, row);
            int bi = it.rowStart(1, row);
            int oi = it.rowStart(2, row);
            int sa = it.innerStride[0];
            int sb = it.innerStride[1];
            int so = it.innerStride[2];
            int j = start;
            // stride 0 means the operand is one value broadcast along the row
            if (simd && so == 1 && (sa == 1 || sa == 0) && (sb == 1 || sb == 0) && end > start) {
                j = binaryRun(op, as, ai, sa, bs, bi, sb, os, oi, j, end);
            }
            for (; j < end; j++) {
                os[oi + j * so] = (float) op.apply(as[ai + j * sa], bs[bi + j * sb]);
            }
        });
    }

    /** Bytes with as many lanes as {@link #S}, to load BOOL masks lane for lane. */
    private static final VectorSpecies<Byte> MASK_BYTES =
            VectorSpecies.of(byte.class, VectorShape.forBitSize(S.length() * Byte.SIZE));

    /**
     * {@code out = cond ? a : b} with a BOOL cond and float32 a, b and out. Rows whose cond, a and
     * b are contiguous or broadcast (stride 0) blend whole vectors; other strides run the scalar
     * loop.
     */
    static void where(CpuStorage.Bytes cond, Layout cl, CpuStorage.F32 a, Layout al, CpuStorage.F32 b, Layout bl,
                      CpuStorage.F32 out, Layout ol) {
        StridedLoop it = new StridedLoop(cl, al, bl, ol);
        byte[] cs = cond.data;
        float[] as = a.data;
        float[] bs = b.data;
        float[] os = out.data;
        forPieces(it, (row, start, end) -> {
            int ci = it.rowStart(0, row);
            int ai = it.rowStart(1, row);
            int bi = it.rowStart(2, row);
            int oi = it.rowStart(3, row);
            int sc = it.innerStride[0];
            int sa = it.innerStride[1];
            int sb = it.innerStride[2];
            int so = it.innerStride[3];
            int j = start;
            if (so == 1 && (sc == 1 || sc == 0) && (sa == 1 || sa == 0) && (sb == 1 || sb == 0)) {
                VectorMask<Float> fixed = sc == 0 ? S.maskAll(cs[ci] != 0) : null;
                FloatVector ca = sa == 0 ? FloatVector.broadcast(S, as[ai]) : null;
                FloatVector cb = sb == 0 ? FloatVector.broadcast(S, bs[bi]) : null;
                for (; j <= end - S.length(); j += S.length()) {
                    VectorMask<Float> m = fixed != null ? fixed
                            : ByteVector.fromArray(MASK_BYTES, cs, ci + j).compare(VectorOperators.NE, (byte) 0).cast(S);
                    FloatVector va = ca != null ? ca : FloatVector.fromArray(S, as, ai + j);
                    FloatVector vb = cb != null ? cb : FloatVector.fromArray(S, bs, bi + j);
                    vb.blend(va, m).intoArray(os, oi + j);       // lanes where cond is set take a
                }
            }
            for (; j < end; j++) {
                os[oi + j * so] = cs[ci + j * sc] != 0 ? as[ai + j * sa] : bs[bi + j * sb];
            }
        });
    }
}
