package dev.qkv.backend;

import dev.qkv.backend.Compare.Tol;
import dev.qkv.backend.Views.View;
import dev.qkv.backend.cpu.CpuStorage;
import dev.qkv.tensor.DType;
import dev.qkv.tensor.Layout;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * reduce for every {@link ReduceOp} over one, several and all dims of inputs in every layout,
 * including the column sums of [rows, cols] (bias gradients) and sums over transposed inputs.
 */
public interface ReductionContract extends BackendUnderTest {

    List<int[]> SHAPES = List.of(new int[] {1}, new int[] {7}, new int[] {3, 17}, new int[] {33, 65},
            new int[] {5, 1, 9}, new int[] {4, 6, 35}, new int[] {130, 257});

    /** Shapes larger than this run in float32 only (they are there to split work across threads). */
    int BIG = 10_000;

    /**
     * float32 SUM: a float sum of n terms is within about k·2⁻²⁴·Σ|x| of the exact sum, where k
     * is the longest chain of float additions any term goes through (n for a naive loop, ~log n
     * for a tree, 32 + a few for blocked sums into a double). We allow 4e-6·Σ|x| (k ≈ 64),
     * whatever the length, plus the final rounding to float.
     */
    double SUM_ERROR_PER_ABS = 4e-6;

    /** Every non-empty subset of dims (ARGMAX/ARGMIN: single dims only). */
    static List<boolean[]> dimSets(int rank, boolean single) {
        List<boolean[]> sets = new ArrayList<>();
        for (int mask = 1; mask < (1 << rank); mask++) {
            if (single && Integer.bitCount(mask) != 1) {
                continue;
            }
            boolean[] dims = new boolean[rank];
            for (int d = 0; d < rank; d++) {
                dims[d] = (mask & (1 << d)) != 0;
            }
            sets.add(dims);
        }
        return sets;
    }

    static int keptNumel(int[] shape, boolean[] dims) {
        int n = 1;
        for (int d = 0; d < shape.length; d++) {
            n *= dims[d] ? 1 : shape[d];
        }
        return n;
    }

    /** Runs one reduction on both backends and compares; SUM on floats gets the Σ|x|-scaled bound. */
    private void check(ReduceOp op, DType dt, CpuStorage x, View xv, boolean[] dims) {
        int n = keptNumel(xv.layout().shape(), dims);
        boolean arg = op == ReduceOp.ARGMAX || op == ReduceOp.ARGMIN;
        DType outType = arg ? DType.INT64 : dt;
        Storage devOut = up(HostData.garbage(outType, n));
        backend().reduce(op, up(x), xv.layout(), dims, devOut);
        CpuStorage ref = HostData.garbage(outType, n);
        REFERENCE.reduce(op, x, xv.layout(), dims, ref);
        String what = op + " " + dt + " over " + java.util.Arrays.toString(dims) + " of " + xv;
        if (op == ReduceOp.SUM && dt.isFloating()) {
            CpuStorage absSum = CpuStorage.allocate(DType.FLOAT64, n);
            REFERENCE.reduce(ReduceOp.SUM, HostData.abs(x), xv.layout(), dims, absSum);
            double perAbs = dt == DType.FLOAT64 ? 1e-13 : SUM_ERROR_PER_ABS;
            double rel = dt == DType.FLOAT64 ? 1e-15 : 1.2e-7;
            Compare.within(what, ref, down(devOut), i -> perAbs * absSum.get(i) + rel * Math.abs(ref.get(i)));
        } else {
            Compare.close(what, ref, down(devOut), Tol.of(0, 0));      // max, min and indices are exact
        }
    }

    @ParameterizedTest
    @EnumSource(ReduceOp.class)
    default void reduceMatchesReferenceOverEveryDimSetAndLayout(ReduceOp op) {
        Random rng = new Random(500 + op.ordinal());
        boolean arg = op == ReduceOp.ARGMAX || op == ReduceOp.ARGMIN;
        for (DType dt : List.of(DType.FLOAT32, DType.FLOAT64, DType.INT64)) {
            if (!supports(dt)) {
                continue;
            }
            for (int[] shape : SHAPES) {
                if (dt != DType.FLOAT32 && Views.numel(shape) > BIG) {
                    continue;                                // big shapes test threading: float32 only
                }
                for (View xv : Views.inputs(shape)) {
                    for (boolean[] dims : dimSets(shape.length, arg)) {
                        CpuStorage x = dt.isFloating() ? HostData.signed(dt, xv.size(), rng, 0.01, 4)
                                : HostData.ints(dt, xv.size(), rng, -1000, 1000);
                        check(op, dt, x, xv, dims);
                    }
                }
            }
        }
    }

    /** Many equal values: ARGMAX/ARGMIN must return the first index of the extreme. */
    @ParameterizedTest
    @EnumSource(value = ReduceOp.class, names = {"ARGMAX", "ARGMIN"})
    default void argReductionsReturnTheFirstOfTies(ReduceOp op) {
        assumeTrue(supports(DType.FLOAT32));
        Random rng = new Random(600);
        for (int[] shape : List.of(new int[] {9, 40}, new int[] {3, 130})) {
            for (View xv : Views.inputs(shape)) {
                for (boolean[] dims : dimSets(2, true)) {
                    check(op, DType.FLOAT32, HostData.ints(DType.FLOAT32, xv.size(), rng, 0, 2), xv, dims);
                }
            }
        }
    }

    /** MAX/MIN/ARGMAX/ARGMIN propagate NaN (it wins wherever it is), like torch.max. */
    @ParameterizedTest
    @EnumSource(value = ReduceOp.class, names = {"MAX", "MIN", "ARGMAX", "ARGMIN"})
    default void extremesPropagateNaN(ReduceOp op) {
        assumeTrue(supports(DType.FLOAT32));
        Random rng = new Random(700);
        int[] shape = {6, 37};
        CpuStorage x = HostData.signed(DType.FLOAT32, 6 * 37, rng, 0.01, 4);
        x.set(1 * 37 + 3, Double.NaN);                            // row 1: early, inside the vector part
        x.set(4 * 37 + 36, Double.NaN);                           // row 4: the last element, in the tail
        x.set(5 * 37 + 20, Double.NaN);
        x.set(5 * 37 + 30, Double.NaN);
        for (boolean[] dims : dimSets(2, op == ReduceOp.ARGMAX || op == ReduceOp.ARGMIN)) {
            check(op, DType.FLOAT32, x, Views.contiguous(shape), dims);
        }
    }

    /**
     * One large term followed by 200 000 tiny ones (1 + Σ 1e-8·u): a single float accumulator
     * stops growing at 1 and loses all of them (1e-3 relative); blocked or pairwise sums keep them.
     */
    @Test
    default void longSumsKeepSmallTerms() {
        assumeTrue(supports(DType.FLOAT32));
        Random rng = new Random(800);
        int n = 200_000;
        CpuStorage x = HostData.uniform(DType.FLOAT32, n, rng, 0.5e-8, 1.5e-8);
        x.set(0, 1.0);
        check(ReduceOp.SUM, DType.FLOAT32, x, Views.contiguous(new int[] {n}), new boolean[] {true});
        int rows = 20_000;                                        // and long column sums
        CpuStorage y = HostData.uniform(DType.FLOAT32, rows * 15, rng, 0.5e-8, 1.5e-8);
        for (int j = 0; j < 15; j++) {
            y.set(j, 1.0);
        }
        check(ReduceOp.SUM, DType.FLOAT32, y, Views.contiguous(new int[] {rows, 15}), new boolean[] {true, false});
    }

    /** Shapes with a 0-length dim: SUM gives 0, and nothing is read. */
    @Test
    default void sumOverAnEmptyDimIsZero() {
        assumeTrue(supports(DType.FLOAT32));
        Layout l = Layout.contiguous(3, 0);
        Storage devOut = up(HostData.garbage(DType.FLOAT32, 3));
        backend().reduce(ReduceOp.SUM, up(CpuStorage.allocate(DType.FLOAT32, 1)), l, new boolean[] {false, true}, devOut);
        CpuStorage ref = HostData.garbage(DType.FLOAT32, 3);
        REFERENCE.reduce(ReduceOp.SUM, CpuStorage.allocate(DType.FLOAT32, 1), l, new boolean[] {false, true}, ref);
        Compare.close("SUM over an empty dim", ref, down(devOut), Tol.of(0, 0));
    }
}
