package dev.qkv.backend.cpu;

import dev.qkv.backend.ReduceOp;
import dev.qkv.tensor.Layout;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * float32 SUM/MAX/MIN over any set of dims, with the Vector API. The input is split into kept
 * dims (one output element each) and reduced dims, and one of two loops runs:
 *
 * <ul>
 *   <li><b>rows</b>: the reduced elements lie in contiguous runs (e.g. a sum over the last dim).
 *       Each output is a SIMD reduction of its runs.
 *   <li><b>columns</b>: the kept elements are the contiguous ones (e.g. the sum over dim 0 of
 *       [rows, cols], a bias gradient). A tile of adjacent outputs is accumulated vector-wise,
 *       one reduced element (a row of the tile) at a time.
 * </ul>
 * Other layouts take the rows loop with scalar steps.
 *
 * <p>Precision: SUM adds float lanes over short stretches only: a float partial covers at most
 * {@link #CHUNK} elements of a run (32 per lane with 4 accumulators of 8 lanes) or
 * {@link #ROW_BLOCK} rows of a column, and is then added into a double total. So the error is
 * at most about 40·2⁻²⁴·Σ|x| however many elements are summed, not n·2⁻²⁴·Σ|x|.
 *
 * <p>Every output is computed by one task in a fixed order, so results do not depend on the
 * number of threads. {@link ReferenceKernels#reduce} is the definition.
 */
final class VectorReduce {
    private VectorReduce() {
    }

    private static final VectorSpecies<Float> S = VectorKernels.S;
    /** Longest stretch of a contiguous run summed in float lanes before going into the double total. */
    static final int CHUNK = 1024;
    /** Rows of a column reduction summed in float before going into the double total. */
    static final int ROW_BLOCK = 32;
    /** Adjacent outputs per task in the columns loop (a tile of 1 KiB of floats). */
    private static final int COL_TILE = 256;
    /** Elements per parallel work unit. */
    private static final int UNIT = 16384;

    static void reduce(ReduceOp op, CpuStorage.F32 x, Layout xl, boolean[] dims, CpuStorage.F32 out) {
        if (op != ReduceOp.SUM && op != ReduceOp.MAX && op != ReduceOp.MIN) {
            throw new IllegalArgumentException("VectorReduce: " + op + " writes indices: use the reference kernel");
        }
        Layout[] split = ReduceViews.split(xl, dims);
        StridedLoop kept = new StridedLoop(split[0]);
        StridedLoop red = new StridedLoop(split[1]);
        if (red.innerStride[0] != 1 && kept.innerStride[0] == 1 && kept.inner > 1) {
            columns(op, x.data, kept, red, out.data);
        } else {
            rows(op, x.data, kept, red, out.data);
        }
    }

    // ----- rows: each output reduces its own runs -----

    private static void rows(ReduceOp op, float[] xs, StridedLoop kept, StridedLoop red, float[] os) {
        int outer = kept.rows * kept.inner;
        int n = red.rows * red.inner;
        Parallel.forRange(outer, Math.max(1, UNIT / Math.max(n, 1)), (s, e) -> {
            for (int o = s; o < e; o++) {
                int base = kept.rowStart(0, o / kept.inner) + (o % kept.inner) * kept.innerStride[0];
                if (op == ReduceOp.SUM) {
                    double total = 0;
                    for (int r = 0; r < red.rows; r++) {
                        total += sumRun(xs, base + red.rowStart(0, r), red.inner, red.innerStride[0]);
                    }
                    os[o] = (float) total;
                } else {
                    float acc = identity(op);
                    for (int r = 0; r < red.rows; r++) {
                        acc = combine(op, acc, extremeRun(op, xs, base + red.rowStart(0, r), red.inner, red.innerStride[0]));
                    }
                    os[o] = acc;
                }
            }
        });
    }

    /** Σ xs[base + j·stride] for j &lt; n: float lanes over chunks of {@link #CHUNK}, totals in double. */
    static double sumRun(float[] xs, int base, int n, int stride) {
        double total = 0;
        int j = 0;
        if (stride == 1) {
            int step = 4 * S.length();
            for (; j <= n - step; ) {
                int chunkEnd = Math.min(n, j + CHUNK);
                FloatVector a0 = FloatVector.zero(S);
                FloatVector a1 = FloatVector.zero(S);
                FloatVector a2 = FloatVector.zero(S);
                FloatVector a3 = FloatVector.zero(S);
                for (; j <= chunkEnd - step; j += step) {       // four accumulators: adds overlap
                    a0 = a0.add(FloatVector.fromArray(S, xs, base + j));
                    a1 = a1.add(FloatVector.fromArray(S, xs, base + j + S.length()));
                    a2 = a2.add(FloatVector.fromArray(S, xs, base + j + 2 * S.length()));
                    a3 = a3.add(FloatVector.fromArray(S, xs, base + j + 3 * S.length()));
                }
                total += VectorRows.sumLanes(a0.add(a1).add(a2.add(a3)));
            }
        }
        for (; j < n; j++) {                                    // tail, or a strided run
            total += xs[base + j * stride];
        }
        return total;
    }

    /** MAX or MIN of xs[base + j·stride] for j &lt; n; NaN wins, as in Math.max. */
    static float extremeRun(ReduceOp op, float[] xs, int base, int n, int stride) {
        float acc = identity(op);
        int j = 0;
        if (stride == 1 && n >= S.length()) {
            // One loop per op: a max-or-min choice inside the loop would cost more than the loop.
            FloatVector v = FloatVector.broadcast(S, acc);
            if (op == ReduceOp.MAX) {
                for (; j <= n - S.length(); j += S.length()) {
                    v = v.max(FloatVector.fromArray(S, xs, base + j));
                }
                acc = v.reduceLanes(VectorOperators.MAX);          // max and min are exact in any order
            } else {
                for (; j <= n - S.length(); j += S.length()) {
                    v = v.min(FloatVector.fromArray(S, xs, base + j));
                }
                acc = v.reduceLanes(VectorOperators.MIN);
            }
        }
        for (; j < n; j++) {
            acc = combine(op, acc, xs[base + j * stride]);
        }
        return acc;
    }

    // ----- columns: a tile of adjacent outputs accumulates one reduced element at a time -----

    private static void columns(ReduceOp op, float[] xs, StridedLoop kept, StridedLoop red, float[] os) {
        int tilesPerRow = (kept.inner + COL_TILE - 1) / COL_TILE;
        int n = red.rows * red.inner;
        int work = n * Math.min(kept.inner, COL_TILE);
        Parallel.forRange(kept.rows * tilesPerRow, Math.max(1, UNIT / Math.max(work, 1)), (s, e) -> {
            float[] part = new float[COL_TILE];                 // per task range, not per row
            double[] total = new double[COL_TILE];
            for (int t = s; t < e; t++) {
                int keptRow = t / tilesPerRow;
                int j0 = (t % tilesPerRow) * COL_TILE;
                int width = Math.min(COL_TILE, kept.inner - j0);
                int base = kept.rowStart(0, keptRow) + j0;       // x position of output column j0
                int o = keptRow * kept.inner + j0;               // its output position
                if (op == ReduceOp.SUM) {
                    sumColumns(xs, base, width, red, part, total);
                    for (int j = 0; j < width; j++) {
                        os[o + j] = (float) total[j];
                    }
                } else {
                    extremeColumns(op, xs, base, width, red, os, o);
                }
            }
        });
    }

    /** total[j] = Σ_r xs[base + off(r) + j], in float over blocks of ROW_BLOCK reduced elements. */
    private static void sumColumns(float[] xs, int base, int width, StridedLoop red, float[] part, double[] total) {
        java.util.Arrays.fill(total, 0, width, 0.0);
        java.util.Arrays.fill(part, 0, width, 0f);
        int inBlock = 0;
        for (int rr = 0; rr < red.rows; rr++) {
            int runStart = base + red.rowStart(0, rr);
            for (int ri = 0; ri < red.inner; ri++) {
                int row = runStart + ri * red.innerStride[0];
                int j = 0;
                for (; j <= width - S.length(); j += S.length()) {
                    FloatVector.fromArray(S, part, j).add(FloatVector.fromArray(S, xs, row + j)).intoArray(part, j);
                }
                for (; j < width; j++) {
                    part[j] += xs[row + j];
                }
                if (++inBlock == ROW_BLOCK) {                    // move the float block sum into double
                    flush(part, total, width);
                    inBlock = 0;
                }
            }
        }
        flush(part, total, width);
    }

    private static void flush(float[] part, double[] total, int width) {
        for (int j = 0; j < width; j++) {
            total[j] += part[j];
            part[j] = 0f;
        }
    }

    /** os[o + j] = MAX/MIN over r of xs[base + off(r) + j]. */
    private static void extremeColumns(ReduceOp op, float[] xs, int base, int width, StridedLoop red,
                                       float[] os, int o) {
        java.util.Arrays.fill(os, o, o + width, identity(op));
        for (int rr = 0; rr < red.rows; rr++) {
            int runStart = base + red.rowStart(0, rr);
            for (int ri = 0; ri < red.inner; ri++) {
                int row = runStart + ri * red.innerStride[0];
                int j = 0;
                if (op == ReduceOp.MAX) {
                    for (; j <= width - S.length(); j += S.length()) {
                        FloatVector.fromArray(S, os, o + j).max(FloatVector.fromArray(S, xs, row + j)).intoArray(os, o + j);
                    }
                } else {
                    for (; j <= width - S.length(); j += S.length()) {
                        FloatVector.fromArray(S, os, o + j).min(FloatVector.fromArray(S, xs, row + j)).intoArray(os, o + j);
                    }
                }
                for (; j < width; j++) {
                    os[o + j] = combine(op, os[o + j], xs[row + j]);
                }
            }
        }
    }

    private static float identity(ReduceOp op) {
        return op == ReduceOp.MAX ? Float.NEGATIVE_INFINITY : op == ReduceOp.MIN ? Float.POSITIVE_INFINITY : 0f;
    }

    private static float combine(ReduceOp op, float acc, float v) {
        return op == ReduceOp.MAX ? Math.max(acc, v) : op == ReduceOp.MIN ? Math.min(acc, v) : acc + v;
    }
}
