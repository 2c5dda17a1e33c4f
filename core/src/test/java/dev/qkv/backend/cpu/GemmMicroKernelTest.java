package dev.qkv.backend.cpu;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The micro-kernel's benchmark hook computes the tile of packed slivers, and refuses short arrays. */
class GemmMicroKernelTest {
    private static final int MR = GemmMicroKernel.MR;
    private static final int NR = GemmMicroKernel.NR;

    @Test
    void tileIsTheProductOfThePackedSlivers() {
        Random rng = new Random(3);
        for (int kc : new int[] {1, 7, 64}) {
            int ao = 5;
            int bo = 3;
            float[] ap = new float[ao + kc * MR];
            float[] bp = new float[bo + kc * NR];
            for (int i = 0; i < ap.length; i++) {
                ap[i] = (float) rng.nextGaussian();
            }
            for (int i = 0; i < bp.length; i++) {
                bp[i] = (float) rng.nextGaussian();
            }
            float[] tile = new float[MR * NR];
            GemmMicroKernel.run(kc, ap, ao, bp, bo, tile);
            for (int r = 0; r < MR; r++) {
                for (int j = 0; j < NR; j++) {
                    double want = 0;
                    for (int p = 0; p < kc; p++) {
                        want += (double) ap[ao + p * MR + r] * bp[bo + p * NR + j];
                    }
                    float got = tile[r * NR + j];
                    assertTrue(Math.abs(want - got) <= 1e-5 * kc * (1 + Math.abs(want)),
                            "kc " + kc + " tile[" + r + "][" + j + "]: " + want + " vs " + got);
                }
            }
        }
    }

    /** The in-place kernel (A's steps lda apart) gives the packed kernel's tile bit for bit. */
    @Test
    void stridedKernelEqualsThePackedOne() {
        Random rng = new Random(4);
        for (int kc : new int[] {1, 9, 70}) {
            int lda = MR + 5;
            int ao = 3;
            float[] a = new float[ao + kc * lda];
            for (int i = 0; i < a.length; i++) {
                a[i] = (float) rng.nextGaussian();
            }
            float[] ap = new float[kc * MR];                 // the same sliver, packed
            for (int p = 0; p < kc; p++) {
                System.arraycopy(a, ao + p * lda, ap, p * MR, MR);
            }
            float[] bp = new float[kc * NR];
            for (int i = 0; i < bp.length; i++) {
                bp[i] = (float) rng.nextGaussian();
            }
            float[] packed = new float[MR * NR];
            float[] strided = new float[MR * NR];
            VectorGemm.microKernel(kc, ap, 0, bp, 0, packed);
            VectorGemm.microKernelStrided(kc, a, ao, lda, bp, 0, strided);
            org.junit.jupiter.api.Assertions.assertArrayEquals(packed, strided, "kc " + kc);
        }
    }

    @Test
    void shortArraysAreRefusedWithTheirSizes() {
        float[] tile = new float[MR * NR];
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> GemmMicroKernel.run(10, new float[10 * MR - 1], 0, new float[10 * NR], 0, tile));
        assertTrue(e.getMessage().contains("GemmMicroKernel.run") && e.getMessage().contains("has " + (10 * MR - 1)),
                e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> GemmMicroKernel.run(10, new float[10 * MR], 0, new float[10 * NR], 1, tile));
        assertThrows(IllegalArgumentException.class,
                () -> GemmMicroKernel.run(1, new float[MR], 0, new float[NR], 0, new float[MR * NR - 1]));
    }
}
