package dev.qkv.backend.cpu;

import dev.qkv.backend.Gemm;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Packing against its definition: each packed value is the element of op(B) (or op(A)) the
 * micro-kernel expects at that place, and padding is zero. Shapes cover whole 8×8 blocks of the
 * transposed-B fast path, a depth tail under 8, an edge sliver narrower than 8 and one between 8
 * and NR, a slab starting inside the matrix, and rows longer than k (a view).
 */
class GemmPackingTest {
    private static final int MR = VectorGemm.MR;
    private static final int NR = VectorGemm.NR;

    private static float[] random(Random rng, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) rng.nextGaussian();
        }
        return x;
    }

    /** op(B) is k×n; B is stored after bOff in the second batch entry, rows of width ldb. */
    private static Gemm withB(int n, int k, float[] b, int bOff, int bStride, int ldb, boolean tb) {
        float[] one = new float[1];
        return new Gemm(2, 1, n, k, new CpuStorage.F32(one), 0, 0, k, false, new CpuStorage.F32(b), bOff, bStride, ldb,
                tb, new CpuStorage.F32(new float[2 * n]), 0, n, n, 1, 0);
    }

    @Test
    void packedBHoldsOpBSliverBySliverWithZeroPadding() {
        Random rng = new Random(5);
        int[][] cases = {                                    // k, n, pc, kc, jc, nc
                {64, 48, 0, 64, 0, 48}, {37, 53, 3, 29, 5, 45}, {8, 9, 0, 8, 0, 9}, {300, 77, 17, 283, 0, 77},
                {1, 1, 0, 1, 0, 1}, {19, 30, 0, 19, 4, 26}};
        for (boolean tb : new boolean[] {true, false}) {
            for (int[] cs : cases) {
                int k = cs[0], n = cs[1], pc = cs[2], kc = cs[3], jc = cs[4], nc = cs[5];
                int ldb = (tb ? k : n) + 3;                  // rows longer than the matrix: a view
                int rows = tb ? n : k;
                int bStride = rows * ldb + 7;
                int bOff = 2;
                float[] b = random(rng, bOff + 2 * bStride);
                Gemm g = withB(n, k, b, bOff, bStride, ldb, tb);
                int slivers = (nc + NR - 1) / NR;
                int base = 11;
                float[] bp = new float[base + slivers * kc * NR + 5];
                java.util.Arrays.fill(bp, Float.NaN);        // padding must be written, not left
                GemmPacking.packB(g, 1, pc, kc, jc, nc, 0, slivers, bp, base);
                for (int s = 0; s < slivers; s++) {
                    for (int p = 0; p < kc; p++) {
                        for (int j = 0; j < NR; j++) {
                            int col = s * NR + j;
                            float want = col < nc ? b[g.bIndex(1, pc + p, jc + col)] : 0f;
                            assertEquals(want, bp[base + s * kc * NR + p * NR + j],
                                    "tb " + tb + " case " + java.util.Arrays.toString(cs) + " sliver " + s + " p " + p
                                            + " j " + j);
                        }
                    }
                }
                assertEquals(Float.NaN, bp[base - 1], "wrote before its base");
                assertEquals(Float.NaN, bp[base + slivers * kc * NR], "wrote past its slivers");
            }
        }
    }

    @Test
    void transposeBlockEqualsThePlainLoop() {
        Random rng = new Random(9);
        int ldi = 13;
        int ldo = 21;
        float[] in = random(rng, 4 + 8 * ldi);
        float[] fast = new float[3 + 8 * ldo];
        float[] plain = new float[3 + 8 * ldo];
        GemmPacking.transposeBlock(in, 4, ldi, fast, 3, ldo);
        for (int j = 0; j < 8; j++) {
            for (int p = 0; p < 8; p++) {
                plain[3 + p * ldo + j] = in[4 + j * ldi + p];
            }
        }
        org.junit.jupiter.api.Assertions.assertArrayEquals(plain, fast);
    }
}
