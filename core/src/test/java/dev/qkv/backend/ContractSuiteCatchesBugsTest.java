package dev.qkv.backend;

import dev.qkv.backend.cpu.CpuBackend;
import dev.qkv.backend.cpu.CpuStorage;
import dev.qkv.tensor.DType;
import dev.qkv.tensor.Layout;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.opentest4j.AssertionFailedError;

import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The contract suite can fail: each case plants one realistic bug in an otherwise correct
 * backend and checks that the matching contract test rejects it. (A suite whose tolerances or
 * inputs are too loose to notice these would pass any backend.)
 */
class ContractSuiteCatchesBugsTest {
    private static final Backend GOOD = new CpuBackend(CpuBackend.Kernels.VECTOR);

    /** The contract run on a given backend. */
    private static BackendContractTest on(Backend b) {
        return new BackendContractTest() {
            @Override
            public Backend backend() {
                return b;
            }
        };
    }

    private static void rejected(Executable contractTest) {
        assertThrows(AssertionFailedError.class, contractTest);
    }

    @Test
    void gemmThatIgnoresBeta() {
        Backend bad = new PrimitivesOnlyBackend(GOOD) {
            @Override
            public void gemm(Gemm g) {
                super.gemm(new Gemm(g.batch(), g.m(), g.n(), g.k(), g.a(), g.aOffset(), g.aBatchStride(), g.lda(),
                        g.transA(), g.b(), g.bOffset(), g.bBatchStride(), g.ldb(), g.transB(), g.c(), g.cOffset(),
                        g.cBatchStride(), g.ldc(), g.alpha(), 0.0));
            }
        };
        rejected(() -> on(bad).gemmBatchesStridesAlphaBeta(false, true));
        on(GOOD).gemmBatchesStridesAlphaBeta(false, true);             // and the real one passes
    }

    /** GPT-2's tanh approximation is within ~1e-3 of exact GELU: the tolerance must tell them apart. */
    @Test
    void geluThatUsesTheTanhApproximation() {
        Backend bad = new PrimitivesOnlyBackend(GOOD) {
            @Override
            public void unary(UnaryOp op, Storage x, Layout xl, Storage out, Layout ol) {
                super.unary(op == UnaryOp.GELU ? UnaryOp.GELU_TANH : op, x, xl, out, ol);
            }
        };
        rejected(() -> on(bad).unaryMatchesReferenceOnEveryLayout(UnaryOp.GELU));
    }

    /** A float sum in one running accumulator loses small terms once the total is large. */
    @Test
    void sumWithOneFloatAccumulator() {
        Backend bad = new PrimitivesOnlyBackend(GOOD) {
            @Override
            public void reduce(ReduceOp op, Storage x, Layout xl, boolean[] dims, Storage out) {
                if (op != ReduceOp.SUM || x.dtype() != DType.FLOAT32 || xl.rank() != 1) {
                    super.reduce(op, x, xl, dims, out);
                    return;
                }
                float acc = 0;
                for (int i = 0; i < xl.numel(); i++) {
                    acc += (float) ((CpuStorage) x).get(xl.offsetOfLinear(i));
                }
                ((CpuStorage) out).set(0, acc);
            }
        };
        rejected(() -> on(bad).longSumsKeepSmallTerms());
    }

    /** dweight must be overwritten, not added to (the caller's buffer is not zeroed). */
    @Test
    void layerNormBackwardThatAccumulatesIntoDweight() {
        Backend bad = new PrimitivesOnlyBackend(GOOD) {
            @Override
            public void layerNormBackward(Storage x, Storage weight, Storage mean, Storage rstd, Storage dy,
                                          Storage dx, Storage dweight, Storage dbias, int rows, int cols) {
                Storage old = dweight == null ? null : allocate(dweight.dtype(), cols);
                if (dweight != null) {
                    copy(dweight, Layout.contiguous(cols), old, Layout.contiguous(cols));
                }
                GOOD.layerNormBackward(x, weight, mean, rstd, dy, dx, dweight, dbias, rows, cols);
                if (dweight != null) {
                    binary(BinaryOp.ADD, dweight, Layout.contiguous(cols), old, Layout.contiguous(cols), dweight,
                            Layout.contiguous(cols));
                }
            }
        };
        rejected(() -> on(bad).layerNormBackwardMatchesReference());
    }

    /** Repeated indices must add up, not overwrite each other. */
    @Test
    void indexAddWhereTheLastRepeatWins() {
        Backend bad = new PrimitivesOnlyBackend(GOOD) {
            @Override
            public void indexAdd(Storage dst, Layout dl, int dim, Storage idx, Layout il, Storage src, Layout sl) {
                CpuStorage ix = (CpuStorage) idx;
                for (int i = 0; i < il.numel(); i++) {
                    int k = (int) ix.get(il.offsetOfLinear(i));
                    copy(src, sl.select(dim, i), dst, dl.select(dim, k));      // assigns instead of adding
                }
            }
        };
        rejected(() -> on(bad).indexAddAccumulatesRepeatedIndices());
    }

    /** A kernel that treats every view as contiguous from its offset. */
    @Test
    void copyThatIgnoresStrides() {
        Backend bad = new PrimitivesOnlyBackend(GOOD) {
            @Override
            public void copy(Storage src, Layout sl, Storage dst, Layout dl) {
                super.copy(src, new Layout(sl.shape(), Layout.contiguousStrides(sl.shape()), sl.offset()), dst, dl);
            }
        };
        rejected(() -> on(bad).copyConvertsDtypesBetweenAnyLayouts());
    }
}
