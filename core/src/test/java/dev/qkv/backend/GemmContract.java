package dev.qkv.backend;

import dev.qkv.backend.cpu.CpuStorage;
import dev.qkv.tensor.DType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;
import java.util.Random;

/**
 * gemm with every transA/transB combination, odd and size-1 dims, sizes that cross any
 * reasonable cache-block size, padded leading dims, offsets, batches with batch stride 0
 * (one matrix broadcast to every batch), alpha and beta.
 */
public interface GemmContract extends BackendUnderTest {

    /**
     * A float dot product of k terms is within about k·2⁻²⁴·Σ|a·b| of the exact one in the worst
     * case and ~√k·2⁻²⁴·Σ|a·b| for random signs. The bound is 2e-5·(|α|·Σ_p |a_ip·b_pj| + |β|·|c_ij|),
     * which covers a few hundred terms in the worst case and any k in practice.
     */
    double F32_PER_ABS = 2e-5;

    /** One gemm problem: sizes, layouts and scalars (the storages are made to fit). */
    record Case(int batch, int m, int n, int k, boolean ta, boolean tb, int aOff, int aBatch, int lda,
                int bOff, int bBatch, int ldb, int cOff, int cBatch, int ldc, double alpha, double beta) {

        /** Densely packed operands, one batch, C = A·B. */
        static Case plain(int m, int n, int k, boolean ta, boolean tb) {
            int lda = ta ? m : k;
            int ldb = tb ? k : n;
            return new Case(1, m, n, k, ta, tb, 0, 0, Math.max(lda, 1), 0, 0, Math.max(ldb, 1), 0, 0, Math.max(n, 1),
                    1.0, 0.0);
        }

        int aSize() {
            return aOff + (batch - 1) * aBatch + (ta ? Math.max(k - 1, 0) * lda + m : Math.max(m - 1, 0) * lda + k) + 1;
        }

        int bSize() {
            return bOff + (batch - 1) * bBatch + (tb ? Math.max(n - 1, 0) * ldb + k : Math.max(k - 1, 0) * ldb + n) + 1;
        }

        int cSize() {
            return cOff + (batch - 1) * cBatch + Math.max(m - 1, 0) * ldc + n + 1;
        }

        Gemm on(Storage a, Storage b, Storage c, double alpha, double beta) {
            return new Gemm(batch, m, n, k, a, aOff, aBatch, lda, ta, b, bOff, bBatch, ldb, tb, c, cOff, cBatch, ldc,
                    alpha, beta);
        }

        @Override
        public String toString() {
            return "gemm batch " + batch + " m " + m + " n " + n + " k " + k + (ta ? " Aᵀ" : "") + (tb ? " Bᵀ" : "")
                    + " offsets " + aOff + "/" + bOff + "/" + cOff + " batch strides " + aBatch + "/" + bBatch + "/"
                    + cBatch + " ld " + lda + "/" + ldb + "/" + ldc + " alpha " + alpha + " beta " + beta;
        }
    }

    /** Runs one case in dtype dt on both backends and compares all of C's storage. */
    private void check(Case g, DType dt, Random rng) {
        CpuStorage a = HostData.signed(dt, g.aSize(), rng, 0.01, 1);
        CpuStorage b = HostData.signed(dt, g.bSize(), rng, 0.01, 1);
        // beta = 0 must not read C: fill it with NaN, which would poison any result that touched it.
        CpuStorage c = g.beta() == 0 ? HostData.garbage(dt, g.cSize()) : HostData.signed(dt, g.cSize(), rng, 0.01, 1);
        Storage devC = up(c);
        backend().gemm(g.on(up(a), up(b), devC, g.alpha(), g.beta()));
        CpuStorage ref = HostData.copy(c);
        REFERENCE.gemm(g.on(a, b, ref, g.alpha(), g.beta()));
        // The scale of each result: the same product on |A|, |B|, |C| with |α|, |β|.
        CpuStorage scale = HostData.abs(c);
        REFERENCE.gemm(g.on(HostData.abs(a), HostData.abs(b), scale, Math.abs(g.alpha()), Math.abs(g.beta())));
        double perAbs = dt == DType.FLOAT64 ? 1e-13 : F32_PER_ABS;
        Compare.within(g + " " + dt, ref, down(devC), i -> perAbs * Math.abs(scale.get(i)));
    }

    private List<DType> dtypes() {
        return List.of(DType.FLOAT32, DType.FLOAT64).stream().filter(this::supports).toList();
    }

    @ParameterizedTest
    @CsvSource({"false, false", "false, true", "true, false", "true, true"})
    default void gemmMatchesReferenceForOddSizes(boolean ta, boolean tb) {
        Random rng = new Random(900 + (ta ? 2 : 0) + (tb ? 1 : 0));
        for (DType dt : dtypes()) {
            boolean f32 = dt == DType.FLOAT32;                  // float64: fewer sizes, same paths
            int[] sizes = f32 ? new int[] {1, 3, 7, 17, 33, 65} : new int[] {1, 7, 33};
            for (int m : sizes) {
                for (int n : sizes) {
                    for (int k : f32 ? new int[] {1, 3, 17, 65} : new int[] {3, 65}) {
                        check(Case.plain(m, n, k, ta, tb), dt, rng);
                    }
                }
            }
        }
    }

    /** Sizes past every block size a CPU or GPU kernel is likely to use (96, 128, 256, ...), with edges. */
    @ParameterizedTest
    @CsvSource({"false, false", "false, true", "true, false", "true, true"})
    default void gemmMatchesReferenceAcrossBlockBoundaries(boolean ta, boolean tb) {
        Random rng = new Random(910 + (ta ? 2 : 0) + (tb ? 1 : 0));
        check(Case.plain(130, 131, 300, ta, tb), DType.FLOAT32, rng);
        check(Case.plain(197, 267, 33, ta, tb), DType.FLOAT32, rng);
        check(Case.plain(37, 300, 520, ta, tb), DType.FLOAT32, rng);
        check(Case.plain(9, 1037, 270, ta, tb), DType.FLOAT32, rng);       // n past a 1024-column panel
        check(Case.plain(13, 21, 2100, ta, tb), DType.FLOAT32, rng);       // k past a 2048-deep packed B panel
        check(Case.plain(611, 47, 300, ta, tb), DType.FLOAT32, rng);       // 17 MFLOP: rows split across threads, several blocks each
    }

    /** A batch large enough that a kernel may split it across threads by batch entry instead of by rows. */
    @ParameterizedTest
    @CsvSource({"false, false", "false, true", "true, false", "true, true"})
    default void gemmManySmallProducts(boolean ta, boolean tb) {
        Random rng = new Random(940 + (ta ? 2 : 0) + (tb ? 1 : 0));
        int m = 23, n = 29, k = 31;
        int lda = (ta ? m : k) + 1;
        int ldb = (tb ? k : n) + 2;
        int aMat = (ta ? k : m) * lda;
        int bMat = (tb ? n : k) * ldb;
        for (DType dt : dtypes()) {
            check(new Case(9, m, n, k, ta, tb, 2, aMat, lda, 1, bMat, ldb, 0, m * n, n, 1, 0), dt, rng);
            check(new Case(9, m, n, k, ta, tb, 0, 0, lda, 0, bMat, ldb, 3, m * n + 1, n, 0.5, 1), dt, rng);
        }
    }

    /** Batches with padded leading dims and offsets, broadcast operands (batch stride 0), alpha and beta. */
    @ParameterizedTest
    @CsvSource({"false, false", "false, true", "true, false", "true, true"})
    default void gemmBatchesStridesAlphaBeta(boolean ta, boolean tb) {
        Random rng = new Random(920 + (ta ? 2 : 0) + (tb ? 1 : 0));
        for (int[] mnk : new int[][] {{19, 21, 13}, {1, 21, 13}, {19, 1, 13}}) {   // a matrix, a row, a column
            batchesStridesAlphaBeta(mnk[0], mnk[1], mnk[2], ta, tb, rng);
        }
    }

    private void batchesStridesAlphaBeta(int m, int n, int k, boolean ta, boolean tb, Random rng) {
        int lda = (ta ? m : k) + 3;
        int ldb = (tb ? k : n) + 2;
        int ldc = n + 5;
        int aMat = (ta ? k : m) * lda;
        int bMat = (tb ? n : k) * ldb;
        int cMat = m * ldc + 7;
        double[][] scalars = {{1, 0}, {0.5, 0}, {-1.25, 1}, {2, -0.75}};
        int[][] batchStrides = {{aMat, bMat}, {0, bMat}, {aMat, 0}, {aMat + 11, bMat + 4}};
        for (DType dt : dtypes()) {
            for (double[] s : scalars) {
                for (int[] bs : batchStrides) {
                    check(new Case(3, m, n, k, ta, tb, 4, bs[0], lda, 6, bs[1], ldb, 3, cMat, ldc, s[0], s[1]), dt, rng);
                }
            }
        }
    }

    /** k = 0: op(A)·op(B) is an empty sum, so C = beta·C (0 for beta = 0, even over NaN). */
    @Test
    default void gemmWithEmptyInnerDimScalesC() {
        Random rng = new Random(930);
        for (DType dt : dtypes()) {
            for (double beta : new double[] {0, 0.5}) {
                Case g = new Case(2, 5, 9, 0, false, false, 0, 0, 1, 0, 0, 9, 0, 45, 9, 1.0, beta);
                check(g, dt, rng);
            }
        }
    }
}
