package dev.qkv.backend;

import dev.qkv.backend.Compare.Tol;
import dev.qkv.backend.Views.View;
import dev.qkv.backend.cpu.CpuStorage;
import dev.qkv.tensor.DType;
import dev.qkv.tensor.Layout;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * indexSelect / indexAdd (whole slices: embedding lookup and its gradient) and gather /
 * scatterAdd (one element per index: cross-entropy's pick and its gradient), with repeated
 * indices, every layout of source, destination and index, and the out-of-range error.
 */
public interface IndexingContract extends BackendUnderTest {

    /** Sums of a handful of float terms: a few ulp of the largest. */
    Tol F32_SUMS = Tol.scaled(1e-6, 1e-6);

    /** {shape, dim}: rows of a [V, C] table, columns of it, and the middle dim of a 3-D tensor. */
    List<int[][]> CASES = List.of(new int[][] {{17, 33}, {0}}, new int[][] {{17, 33}, {1}},
            new int[][] {{5, 7, 9}, {1}}, new int[][] {{65, 130}, {0}}, new int[][] {{1, 1}, {0}});

    private List<DType> dtypes() {
        return List.of(DType.FLOAT32, DType.FLOAT64, DType.INT64).stream().filter(this::supports).toList();
    }

    private static Tol tol(DType dt) {
        return dt == DType.FLOAT32 ? F32_SUMS : Compare.F64;
    }

    /** A buffer of INT64 indices in [0, size): repeats are likely (there are often more than size). */
    static CpuStorage indices(int size, Random rng, int storageSize) {
        return HostData.ints(DType.INT64, storageSize, rng, 0, size - 1);
    }

    /** 1-D index views: contiguous, or every third element of a longer buffer. */
    static List<View> indexViews(int n) {
        return List.of(Views.contiguous(new int[] {n}), Views.stepped(new int[] {n}));
    }

    @Test
    default void indexSelectMatchesReference() {
        Random rng = new Random(1000);
        for (DType dt : dtypes()) {
            for (int[][] c : CASES) {
                int[] shape = c[0];
                int dim = c[1][0];
                for (View sv : Views.inputs(shape)) {
                    for (int n : new int[] {1, 7, 40}) {
                        for (View iv : indexViews(n)) {
                            CpuStorage src = ElementwiseContract.sample(dt, sv.size(), rng);
                            CpuStorage idx = indices(shape[dim], rng, iv.size());
                            int[] outShape = shape.clone();
                            outShape[dim] = n;
                            int outN = Views.numel(outShape);
                            Storage devOut = up(HostData.garbage(dt, outN));
                            backend().indexSelect(up(src), sv.layout(), dim, up(idx), iv.layout(), devOut);
                            CpuStorage ref = HostData.garbage(dt, outN);
                            REFERENCE.indexSelect(src, sv.layout(), dim, idx, iv.layout(), ref);
                            Compare.close("indexSelect " + dt + " dim " + dim + " of " + sv + " at " + n + " indices",
                                    ref, down(devOut), Tol.of(0, 0));
                        }
                    }
                }
            }
        }
    }

    @Test
    default void indexAddAccumulatesRepeatedIndices() {
        Random rng = new Random(1100);
        for (DType dt : dtypes()) {
            for (int[][] c : CASES) {
                int[] shape = c[0];
                int dim = c[1][0];
                for (View dv : Views.outputs(shape)) {
                    for (int n : new int[] {1, 7, 40}) {
                        int[] srcShape = shape.clone();
                        srcShape[dim] = n;
                        List<View> srcViews = Views.inputs(srcShape);
                        View sv = srcViews.get((n + dv.name().length()) % srcViews.size());
                        View iv = indexViews(n).get(n % 2);
                        CpuStorage dst = ElementwiseContract.sample(dt, dv.size(), rng);
                        CpuStorage src = ElementwiseContract.sample(dt, sv.size(), rng);
                        CpuStorage idx = indices(shape[dim], rng, iv.size());
                        Storage devDst = up(dst);
                        backend().indexAdd(devDst, dv.layout(), dim, up(idx), iv.layout(), up(src), sv.layout());
                        CpuStorage ref = HostData.copy(dst);
                        REFERENCE.indexAdd(ref, dv.layout(), dim, idx, iv.layout(), src, sv.layout());
                        Compare.close("indexAdd " + dt + " dim " + dim + " into " + dv + " from " + sv + " at " + n
                                + " indices", ref, down(devDst), tol(dt));
                    }
                }
            }
        }
    }

    /** {src shape, index shape, dim}: index dims may be shorter than src's (except along dim, any length). */
    List<int[][]> GATHER_CASES = List.of(new int[][] {{7, 33}, {7, 5}, {1}}, new int[][] {{7, 33}, {20, 33}, {0}},
            new int[][] {{7, 33}, {4, 50}, {1}}, new int[][] {{5, 6, 9}, {3, 11, 9}, {1}},
            new int[][] {{130, 65}, {130, 1}, {1}});

    @Test
    default void gatherMatchesReference() {
        Random rng = new Random(1200);
        for (DType dt : dtypes()) {
            for (int[][] c : GATHER_CASES) {
                int dim = c[2][0];
                List<View> srcViews = Views.inputs(c[0]);
                List<View> idxViews = Views.outputs(c[1]);
                for (int i = 0; i < srcViews.size(); i++) {
                    View sv = srcViews.get(i);
                    View iv = idxViews.get(i % idxViews.size());
                    CpuStorage src = ElementwiseContract.sample(dt, sv.size(), rng);
                    CpuStorage idx = indices(c[0][dim], rng, iv.size());
                    int n = Views.numel(c[1]);
                    Storage devOut = up(HostData.garbage(dt, n));
                    backend().gather(up(src), sv.layout(), dim, up(idx), iv.layout(), devOut);
                    CpuStorage ref = HostData.garbage(dt, n);
                    REFERENCE.gather(src, sv.layout(), dim, idx, iv.layout(), ref);
                    Compare.close("gather " + dt + " dim " + dim + " of " + sv + " at " + iv, ref, down(devOut),
                            Tol.of(0, 0));
                }
            }
        }
    }

    @Test
    default void scatterAddAccumulatesRepeatedIndices() {
        Random rng = new Random(1300);
        for (DType dt : dtypes()) {
            for (int[][] c : GATHER_CASES) {
                int dim = c[2][0];
                List<View> dstViews = Views.outputs(c[0]);
                List<View> idxViews = Views.outputs(c[1]);
                List<View> srcViews = Views.inputs(c[1]);
                for (int i = 0; i < dstViews.size(); i++) {
                    View dv = dstViews.get(i);
                    View iv = idxViews.get((i + 1) % idxViews.size());
                    View sv = srcViews.get((i + 2) % srcViews.size());
                    CpuStorage dst = ElementwiseContract.sample(dt, dv.size(), rng);
                    CpuStorage src = ElementwiseContract.sample(dt, sv.size(), rng);
                    CpuStorage idx = indices(c[0][dim], rng, iv.size());
                    Storage devDst = up(dst);
                    backend().scatterAdd(devDst, dv.layout(), dim, up(idx), iv.layout(), up(src), sv.layout());
                    CpuStorage ref = HostData.copy(dst);
                    REFERENCE.scatterAdd(ref, dv.layout(), dim, idx, iv.layout(), src, sv.layout());
                    Compare.close("scatterAdd " + dt + " dim " + dim + " into " + dv + " at " + iv + " from " + sv, ref,
                            down(devDst), tol(dt));
                }
            }
        }
    }

    enum IndexOp { INDEX_SELECT, INDEX_ADD, GATHER, SCATTER_ADD }

    /**
     * An index equal to the dim's size, or negative, throws and says which index and which size.
     * The CPU throws from the call; a device backend whose kernels cannot throw may report it at
     * its next synchronisation instead, so the exception is expected by the time the output is
     * read back, and its message must start with the CPU's (a device may add where it saw it).
     */
    @ParameterizedTest
    @EnumSource(IndexOp.class)
    default void outOfRangeIndicesThrowWithAClearMessage(IndexOp op) {
        assumeTrue(supports(DType.FLOAT32));
        int[] shape = {5, 3};
        Layout l = Layout.contiguous(shape);
        for (long bad : new long[] {5, 7, -1}) {
            CpuStorage idx = CpuStorage.allocate(DType.INT64, 3);
            idx.set(0, 1);
            idx.set(1, bad);
            idx.set(2, 0);
            Storage x = up(HostData.signed(DType.FLOAT32, 15, new Random(1), 0.5, 1));
            Storage out = up(HostData.garbage(DType.FLOAT32, 9));
            Storage i = up(idx);
            Layout il = Layout.contiguous(3);
            Layout il2 = new Layout(new int[] {3, 1}, new int[] {1, 1}, 0);  // a [3, 1] index for gather/scatter
            Layout ol = Layout.contiguous(3, 3);
            String name = switch (op) {
                case INDEX_SELECT -> "indexSelect";
                case INDEX_ADD -> "indexAdd";
                case GATHER -> "gather";
                case SCATTER_ADD -> "scatterAdd";
            };
            Runnable call = switch (op) {
                case INDEX_SELECT -> () -> backend().indexSelect(x, l, 0, i, il, out);
                case INDEX_ADD -> () -> backend().indexAdd(x, l, 0, i, il, out, ol);
                case GATHER -> () -> backend().gather(x, new Layout(new int[] {3, 5}, new int[] {1, 3}, 0), 1, i, il2,
                        out);
                case SCATTER_ADD -> () -> backend().scatterAdd(x, new Layout(new int[] {3, 5}, new int[] {1, 3}, 0), 1,
                        i, il2, out, il2);
            };
            IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class, () -> {
                call.run();
                down(out);
            });
            String expected = name + ": index " + bad + " is out of bounds for dimension of size 5";
            assertTrue(e.getMessage() != null && e.getMessage().startsWith(expected),
                    "expected a message starting with \"" + expected + "\", got \"" + e.getMessage() + "\"");
        }
    }
}
