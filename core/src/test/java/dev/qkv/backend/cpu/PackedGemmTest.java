package dev.qkv.backend.cpu;

import dev.qkv.backend.Gemm;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link VectorGemm#packWholeB} / {@link VectorGemm#gemmPackedB}: B packed once, then read by
 * products over a prefix of its columns (what fused attention does with Kᵀ for each block of
 * queries). Each product must equal the unpacked GEMM bit for bit, and the reference closely.
 */
class PackedGemmTest {

    private static float[] random(Random rng, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) rng.nextGaussian();
        }
        return x;
    }

    /** C (m×n, ldc n) = alpha·A·op(B) + beta·C with B stored as rows of width ldb (transposed when tb). */
    private static Gemm product(int m, int n, int k, float[] a, float[] b, int bOff, int ldb, boolean tb, float[] c,
                                double alpha, double beta) {
        return new Gemm(1, m, n, k, new CpuStorage.F32(a), 0, 0, k, false, new CpuStorage.F32(b), bOff, 0, ldb, tb,
                new CpuStorage.F32(c), 0, 0, n, alpha, beta);
    }

    @Test
    void prefixProductsMatchTheUnpackedGemmBitForBit() {
        Random rng = new Random(17);
        int k = 37;
        int nFull = 53;                                      // not a multiple of the sliver width
        for (boolean tb : new boolean[] {true, false}) {
            // op(B) is k×nFull: stored as nFull rows of k (tb) or k rows of nFull, after an offset.
            int bOff = 5;
            int ldb = tb ? k : nFull;
            float[] b = random(rng, bOff + k * nFull);
            float[] packed = VectorGemm.packWholeB(product(1, nFull, k, new float[k], b, bOff, ldb, tb, new float[nFull],
                    1, 0), new float[0]);
            for (int n : new int[] {1, 7, 16, 17, 40, 53}) {
                for (int m : new int[] {1, 5, 6, 13, 150}) {
                    float[] a = random(rng, m * k);
                    float[] c0 = random(rng, m * n);
                    float[] viaPacked = c0.clone();
                    float[] unpacked = c0.clone();
                    float[] reference = c0.clone();
                    VectorGemm.gemmPackedB(product(m, n, k, a, b, bOff, ldb, tb, viaPacked, 0.5, 1.5), packed);
                    VectorGemm.gemmOnThisThread(product(m, n, k, a, b, bOff, ldb, tb, unpacked, 0.5, 1.5));
                    ReferenceKernels.gemm(product(m, n, k, a, b, bOff, ldb, tb, reference, 0.5, 1.5));
                    String what = "m " + m + " n " + n + " k " + k + (tb ? " Bᵀ" : "");
                    for (int i = 0; i < m * n; i++) {
                        assertEquals(unpacked[i], viaPacked[i], what + ": packed once differs at " + i);
                        assertTrue(Math.abs(reference[i] - viaPacked[i]) <= 1e-4 * (1 + Math.abs(reference[i])),
                                what + ": differs from the reference at " + i + ": " + reference[i] + " vs "
                                        + viaPacked[i]);
                    }
                }
            }
        }
    }

    @Test
    void refusesWhatOneSlabCannotHold() {
        int k = VectorGemm.KC + 1;
        float[] x = new float[k * 2];
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> VectorGemm.packWholeB(product(1, 2, k, x, x, 0, k, true, new float[2], 1, 0), new float[0]));
        assertTrue(e.getMessage().contains("packWholeB") && e.getMessage().contains("k " + k), e.getMessage());
    }
}
