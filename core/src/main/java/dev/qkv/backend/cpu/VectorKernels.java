package dev.qkv.backend.cpu;

import dev.qkv.backend.BinaryOp;
import dev.qkv.backend.ReduceOp;
import dev.qkv.backend.UnaryOp;
import dev.qkv.tensor.Layout;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * float32 elementwise and reduction kernels with the Vector API. Each loop works on the rows of
 * a {@link StridedLoop}: where the row is contiguous (stride 1, or 0 for a broadcast operand) it
 * runs SIMD lanes and finishes with a scalar tail; other strides take a plain scalar loop. Work
 * is split across the CPU pool in contiguous pieces. {@link ReferenceKernels} is the definition
 * these must match.
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

    /** The SIMD form of a unary op, or null when it has none (then the scalar definition runs). */
    static FloatVector apply(UnaryOp op, FloatVector v) {
        FloatVector one = FloatVector.broadcast(S, 1f);
        return switch (op) {
            case NEG -> v.neg();
            case ABS -> v.abs();
            case EXP -> v.lanewise(VectorOperators.EXP);
            case LOG -> v.lanewise(VectorOperators.LOG);
            case SQRT -> v.sqrt();
            case RSQRT -> one.div(v.sqrt());
            case RECIPROCAL -> one.div(v);
            case SIN -> v.lanewise(VectorOperators.SIN);
            case COS -> v.lanewise(VectorOperators.COS);
            case TANH -> v.lanewise(VectorOperators.TANH);
            case SIGMOID -> one.div(one.add(v.neg().lanewise(VectorOperators.EXP)));
            case RELU -> v.max(0f);
            case SILU -> v.div(one.add(v.neg().lanewise(VectorOperators.EXP)));
            case GELU_TANH -> {
                FloatVector inner = v.mul(v).mul(0.044715f).add(1f).mul(v).mul((float) Math.sqrt(2.0 / Math.PI));
                yield v.mul(0.5f).mul(inner.lanewise(VectorOperators.TANH).add(1f));
            }
            case SOFTPLUS -> v.max(0f).add(v.abs().neg().lanewise(VectorOperators.EXP).lanewise(VectorOperators.LOG1P));
            default -> null;
        };
    }

    static void unary(UnaryOp op, CpuStorage.F32 x, Layout xl, CpuStorage.F32 out, Layout ol) {
        StridedLoop it = new StridedLoop(xl, ol);
        float[] xs = x.data;
        float[] os = out.data;
        boolean simd = apply(op, FloatVector.zero(S)) != null;
        forPieces(it, (row, start, end) -> {
            int xi = it.rowStart(0, row);
            int oi = it.rowStart(1, row);
            int sx = it.innerStride[0];
            int so = it.innerStride[1];
            int j = start;
            if (simd && sx == 1 && so == 1) {
                for (; j <= end - S.length(); j += S.length()) {
                    apply(op, FloatVector.fromArray(S, xs, xi + j)).intoArray(os, oi + j);
                }
            }
            for (; j < end; j++) {                          // scalar tail (and strided rows)
                os[oi + j * so] = (float) op.apply(xs[xi + j * sx]);
            }
        });
    }

    private static FloatVector apply(BinaryOp op, FloatVector a, FloatVector b) {
        return switch (op) {
            case ADD -> a.add(b);
            case SUB -> a.sub(b);
            case MUL -> a.mul(b);
            case DIV -> a.div(b);
            case MAX -> a.max(b);
            case MIN -> a.min(b);
            default -> null;
        };
    }

    static void binary(BinaryOp op, CpuStorage.F32 a, Layout al, CpuStorage.F32 b, Layout bl,
                       CpuStorage.F32 out, Layout ol) {
        StridedLoop it = new StridedLoop(al, bl, ol);
        float[] as = a.data;
        float[] bs = b.data;
        float[] os = out.data;
        boolean simd = apply(op, FloatVector.zero(S), FloatVector.zero(S)) != null;
        forPieces(it, (row, start, end) -> {
            int ai = it.rowStart(0, row);
            int bi = it.rowStart(1, row);
            int oi = it.rowStart(2, row);
            int sa = it.innerStride[0];
            int sb = it.innerStride[1];
            int so = it.innerStride[2];
            int j = start;
            if (simd && so == 1 && (sa == 1 || sa == 0) && (sb == 1 || sb == 0)) {
                // stride 0 means the operand is one value broadcast along the row
                FloatVector ca = sa == 0 ? FloatVector.broadcast(S, as[ai]) : null;
                FloatVector cb = sb == 0 ? FloatVector.broadcast(S, bs[bi]) : null;
                for (; j <= end - S.length(); j += S.length()) {
                    FloatVector va = ca != null ? ca : FloatVector.fromArray(S, as, ai + j);
                    FloatVector vb = cb != null ? cb : FloatVector.fromArray(S, bs, bi + j);
                    apply(op, va, vb).intoArray(os, oi + j);
                }
            }
            for (; j < end; j++) {
                os[oi + j * so] = (float) op.apply(as[ai + j * sa], bs[bi + j * sb]);
            }
        });
    }

    /**
     * SUM/MAX/MIN. When the reduced dims form one contiguous run, each output is a SIMD reduction
     * of that run; otherwise each output walks its elements with a scalar loop.
     */
    static void reduce(ReduceOp op, CpuStorage.F32 x, Layout xl, boolean[] dims, CpuStorage.F32 out) {
        Layout[] split = ReduceViews.split(xl, dims);
        Layout kept = split[0];
        Layout reduced = split[1];
        int outer = kept.numel();
        int n = reduced.numel();
        float[] xs = x.data;
        float[] os = out.data;
        boolean contiguousRun = reduced.isContiguous();
        int grain = Math.max(1, UNIT / Math.max(n, 1));
        Parallel.forRange(outer, grain, (s, e) -> {
            for (int o = s; o < e; o++) {
                int base = kept.offsetOfLinear(o);
                os[o] = contiguousRun ? reduceRun(op, xs, base, n) : reduceStrided(op, xs, base, reduced);
            }
        });
    }

    private static float identity(ReduceOp op) {
        return switch (op) {
            case SUM -> 0f;
            case MAX -> Float.NEGATIVE_INFINITY;
            default -> Float.POSITIVE_INFINITY;
        };
    }

    /** Reduces xs[base, base + n). */
    static float reduceRun(ReduceOp op, float[] xs, int base, int n) {
        int j = 0;
        float acc = identity(op);
        if (n >= S.length()) {
            FloatVector v = FloatVector.broadcast(S, acc);
            for (; j <= n - S.length(); j += S.length()) {
                FloatVector x = FloatVector.fromArray(S, xs, base + j);
                v = switch (op) {
                    case SUM -> v.add(x);
                    case MAX -> v.max(x);
                    default -> v.min(x);
                };
            }
            acc = switch (op) {
                case SUM -> v.reduceLanes(VectorOperators.ADD);
                case MAX -> v.reduceLanes(VectorOperators.MAX);
                default -> v.reduceLanes(VectorOperators.MIN);
            };
        }
        for (; j < n; j++) {
            acc = combine(op, acc, xs[base + j]);
        }
        return acc;
    }

    private static float reduceStrided(ReduceOp op, float[] xs, int base, Layout reduced) {
        float acc = identity(op);
        int n = reduced.numel();
        for (int j = 0; j < n; j++) {
            acc = combine(op, acc, xs[base + reduced.offsetOfLinear(j)]);
        }
        return acc;
    }

    private static float combine(ReduceOp op, float acc, float v) {
        return switch (op) {
            case SUM -> acc + v;
            case MAX -> Math.max(acc, v);
            default -> Math.min(acc, v);
        };
    }
}
