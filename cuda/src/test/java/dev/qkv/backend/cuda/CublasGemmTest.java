package dev.qkv.backend.cuda;

import dev.qkv.backend.Gemm;
import dev.qkv.backend.cpu.CpuBackend;
import dev.qkv.backend.cpu.CpuStorage;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Gemm → cuBLAS mapping (the row-major trick), checked without a GPU: each mapped call is
 * run by {@link #columnMajorGemm}, a literal reading of cuBLAS's column-major strided-batched
 * GEMM, and the result compared with the CPU reference kernel on the row-major Gemm.
 */
class CublasGemmTest {

    /**
     * cublasSgemmStridedBatched as documented, on host arrays: for batch b, with column-major
     * X(r, c) = X[offset + b·stride + r + c·ld],
     * C(r, c) = alpha·Σ_p op(A)(r, p)·op(B)(p, c) + beta·C(r, c), where op(A)(r, p) = A(p, r) when
     * transposed; when beta is 0, C is not read.
     */
    static void columnMajorGemm(CublasGemm.Call k, float[] a, float[] b, float[] c) {
        for (int bt = 0; bt < k.batch(); bt++) {
            long ao = k.aOffset() + bt * k.strideA();
            long bo = k.bOffset() + bt * k.strideB();
            long co = k.cOffset() + bt * k.strideC();
            for (int r = 0; r < k.m(); r++) {
                for (int col = 0; col < k.n(); col++) {
                    double acc = 0;
                    for (int p = 0; p < k.k(); p++) {
                        float x = k.transA() ? a[(int) (ao + p + (long) r * k.lda())] : a[(int) (ao + r + (long) p * k.lda())];
                        float y = k.transB() ? b[(int) (bo + col + (long) p * k.ldb())] : b[(int) (bo + p + (long) col * k.ldb())];
                        acc += (double) x * y;
                    }
                    int ci = (int) (co + r + (long) col * k.ldc());
                    c[ci] = (float) (k.beta() == 0 ? k.alpha() * acc : k.alpha() * acc + k.beta() * c[ci]);
                }
            }
        }
    }

    private static float[] random(Random r, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) r.nextGaussian();
        }
        return x;
    }

    /** Runs g on the CPU reference and through the mapping; returns {reference C, mapped C}. */
    private static float[][] both(Gemm template, float[] a, float[] b, float[] c) {
        CpuStorage.F32 ra = new CpuStorage.F32(a.clone());
        CpuStorage.F32 rb = new CpuStorage.F32(b.clone());
        CpuStorage.F32 rc = new CpuStorage.F32(c.clone());
        Gemm g = new Gemm(template.batch(), template.m(), template.n(), template.k(),
                ra, template.aOffset(), template.aBatchStride(), template.lda(), template.transA(),
                rb, template.bOffset(), template.bBatchStride(), template.ldb(), template.transB(),
                rc, template.cOffset(), template.cBatchStride(), template.ldc(), template.alpha(), template.beta());
        new CpuBackend(CpuBackend.Kernels.REFERENCE).gemm(g);
        List<CublasGemm.Call> calls = CublasGemm.map(template);
        assertNotNull(calls, "expressible: " + template);
        float[] mapped = c.clone();
        for (CublasGemm.Call k : calls) {
            assertTrue(k.swapped());
            columnMajorGemm(k, b, a, mapped);                 // the row-major trick: cuBLAS's A is our B
        }
        return new float[][] {rc.data, mapped};
    }

    @Test
    void randomProductsWithTransposesOffsetsPaddingAndBatchStrides() {
        Random r = new Random(11);
        for (int trial = 0; trial < 400; trial++) {
            int batch = 1 + r.nextInt(3);
            int m = 1 + r.nextInt(6);
            int n = 1 + r.nextInt(6);
            int k = r.nextInt(6);                               // k = 0 too: C = beta·C
            boolean ta = r.nextBoolean();
            boolean tb = r.nextBoolean();
            int lda = (ta ? m : k) + r.nextInt(3);              // row-major: op(A) is m×k, stored k×m if transposed
            int ldb = (tb ? k : n) + r.nextInt(3);
            int ldc = n + r.nextInt(3);
            int aRows = ta ? k : m;
            int bRows = tb ? n : k;
            int aSize = Math.max(aRows, 1) * Math.max(lda, 1);
            int bSize = Math.max(bRows, 1) * Math.max(ldb, 1);
            int cSize = m * ldc;
            int aStride = r.nextInt(4) == 0 ? 0 : aSize + r.nextInt(3);      // 0: one A for every batch
            int bStride = r.nextInt(4) == 0 ? 0 : bSize + r.nextInt(3);
            int cStride = batch > 1 && r.nextInt(6) == 0 ? 0 : cSize + r.nextInt(3);
            int aOff = r.nextInt(3);
            int bOff = r.nextInt(3);
            int cOff = r.nextInt(3);
            float[] a = random(r, aOff + aStride * (batch - 1) + aSize + 2);
            float[] b = random(r, bOff + bStride * (batch - 1) + bSize + 2);
            float[] c = random(r, cOff + cStride * (batch - 1) + cSize + 2);
            double alpha = r.nextBoolean() ? 1 : r.nextGaussian();
            double beta = r.nextInt(3) == 0 ? 0 : r.nextGaussian();
            Gemm g = new Gemm(batch, m, n, k, null, aOff, aStride, lda, ta, null, bOff, bStride, ldb, tb,
                    null, cOff, cStride, ldc, alpha, beta);
            float[][] out = both(g, a, b, c);
            for (int i = 0; i < c.length; i++) {
                assertEquals(out[0][i], out[1][i], 1e-4 * (1 + Math.abs(out[0][i])), "trial " + trial + " " + g + " at " + i);
            }
        }
    }

    @Test
    void theTrickSwapsOperandsAndDimensions() {
        // C[2×3] = A[2×4]·B[4×3], all row-major and packed.
        Gemm g = new Gemm(1, 2, 3, 4, null, 0, 0, 4, false, null, 0, 0, 3, false, null, 0, 0, 3, 1, 0);
        CublasGemm.Call k = CublasGemm.map(g).getFirst();
        assertEquals(3, k.m());                                  // rows of Cᵀ = N
        assertEquals(2, k.n());                                  // columns of Cᵀ = M
        assertEquals(4, k.k());
        assertEquals(3, k.lda());                                // cuBLAS's A is B, with B's ld
        assertEquals(4, k.ldb());                                // cuBLAS's B is A, with A's ld
        assertEquals(3, k.ldc());
        assertEquals(false, k.transA());
        // A transposed in the Gemm means cuBLAS's B operand is transposed.
        CublasGemm.Call t = CublasGemm.map(new Gemm(1, 2, 3, 4, null, 0, 0, 2, true, null, 0, 0, 3, false,
                null, 0, 0, 3, 1, 0)).getFirst();
        assertEquals(true, t.transB());
        assertEquals(false, t.transA());
    }

    @Test
    void unusedLeadingDimensionsAreRaisedToWhatCublasChecks() {
        // A vector times a matrix: op(A) is 1×4 with lda = 1 (its one row is never stepped over)...
        Gemm g = new Gemm(1, 1, 3, 4, null, 0, 0, 1, false, null, 0, 0, 3, false, null, 0, 0, 1, 1, 0);
        CublasGemm.Call k = CublasGemm.map(g).getFirst();
        assertEquals(4, k.ldb());                                // stored 4×1 column-major: ld >= 4
        assertEquals(3, k.ldc());                                // C is 1×3: ldc raised to N = 3
        assertEquals(1, CublasGemm.leading(0, 1, 0));
        assertEquals(-1, CublasGemm.leading(2, 5, 3));           // overlapping columns: not expressible
    }

    @Test
    void overlappingRowsAreLeftToTheKernelAndEmptyProductsDoNothing() {
        Gemm overlapping = new Gemm(1, 3, 3, 3, null, 0, 0, 1, false, null, 0, 0, 3, false, null, 0, 0, 3, 1, 0);
        assertNull(CublasGemm.map(overlapping));
        assertEquals(0, CublasGemm.map(new Gemm(0, 3, 3, 3, null, 0, 0, 3, false, null, 0, 0, 3, false,
                null, 0, 0, 3, 1, 0)).size());
        assertEquals(0, CublasGemm.map(new Gemm(2, 0, 3, 3, null, 0, 0, 3, false, null, 0, 0, 3, false,
                null, 0, 0, 3, 1, 0)).size());
    }

    @Test
    void aSharedOutputBecomesOneCallPerBatchInOrder() {
        Gemm g = new Gemm(3, 2, 2, 2, null, 0, 4, 2, false, null, 1, 4, 2, false, null, 0, 0, 2, 1, 1);
        List<CublasGemm.Call> calls = CublasGemm.map(g);
        assertEquals(3, calls.size());
        for (int b = 0; b < 3; b++) {
            assertEquals(1, calls.get(b).batch());
            assertEquals(1 + 4L * b, calls.get(b).aOffset());   // cuBLAS's A is the Gemm's B
            assertEquals(4L * b, calls.get(b).bOffset());
            assertEquals(0, calls.get(b).cOffset());
        }
    }
}
