package dev.qkv.backend.cpu;

import dev.qkv.backend.Gemm;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

import java.util.Arrays;

/**
 * Copies blocks of op(A) and op(B) into the order {@link VectorGemm}'s micro-kernel reads them.
 * Edges are padded with zeros so the micro-kernel always works on full tiles. Each loop reads
 * its source along the contiguous direction, so transposed operands cost no more to pack.
 */
final class GemmPacking {
    private GemmPacking() {
    }

    private static final VectorSpecies<Float> S = VectorKernels.S;
    private static final int MR = VectorGemm.MR;
    private static final int NR = VectorGemm.NR;

    /**
     * op(A)[ic:ic+mc, pc:pc+kc] of batch bt into slivers of MR rows: sliver s holds, for each
     * p &lt; kc, the MR values op(A)[ic + s·MR + r, pc + p] at {@code s·kc·MR + p·MR + r}.
     */
    static void packA(Gemm g, int bt, int ic, int mc, int pc, int kc, float[] ap) {
        float[] a = ((CpuStorage.F32) g.a()).data;
        for (int s = 0; s * MR < mc; s++) {
            int dst = s * kc * MR;
            int i0 = ic + s * MR;
            int rows = Math.min(MR, mc - s * MR);
            if (rows < MR) {
                Arrays.fill(ap, dst, dst + kc * MR, 0f);       // padding rows stay zero
            }
            if (!g.transA()) {
                for (int r = 0; r < rows; r++) {                // A row i is contiguous along p
                    int src = g.aIndex(bt, i0 + r, pc);
                    for (int p = 0; p < kc; p++) {
                        ap[dst + p * MR + r] = a[src + p];
                    }
                }
            } else {
                for (int p = 0; p < kc; p++) {                  // Aᵀ: column p is contiguous along i
                    int src = g.aIndex(bt, i0, pc + p);
                    for (int r = 0; r < rows; r++) {
                        ap[dst + p * MR + r] = a[src + r];
                    }
                }
            }
        }
    }

    /**
     * Slivers [s0, s1) of op(B)[pc:pc+kc, jc:jc+nc] of batch bt, NR columns each: sliver s holds,
     * for each p &lt; kc, the NR values op(B)[pc + p, jc + s·NR + j] at {@code base + s·kc·NR + p·NR + j}.
     */
    static void packB(Gemm g, int bt, int pc, int kc, int jc, int nc, int s0, int s1, float[] bp, int base) {
        float[] b = ((CpuStorage.F32) g.b()).data;
        for (int s = s0; s < s1; s++) {
            int dst = base + s * kc * NR;
            int j0 = jc + s * NR;
            int cols = Math.min(NR, nc - s * NR);
            if (!g.transB()) {
                for (int p = 0; p < kc; p++) {                  // B row p is contiguous along j
                    int src = g.bIndex(bt, pc + p, j0);
                    int d = dst + p * NR;
                    if (cols == NR) {
                        FloatVector.fromArray(S, b, src).intoArray(bp, d);
                        FloatVector.fromArray(S, b, src + S.length()).intoArray(bp, d + S.length());
                    } else {
                        System.arraycopy(b, src, bp, d, cols);
                        Arrays.fill(bp, d + cols, d + NR, 0f);
                    }
                }
            } else {
                if (cols < NR) {
                    Arrays.fill(bp, dst, dst + kc * NR, 0f);
                }
                // Bᵀ: column j of op(B) is contiguous along p. Whole 8×8 blocks are transposed in
                // registers (with 8 lanes); the rest (a p tail under 8, the columns of an edge
                // sliver) goes through the plain loop.
                int src = g.bIndex(bt, pc, j0);
                int ldb = g.ldb();
                int pFast = L == 8 ? kc / 8 * 8 : 0;          // whole 8×8 blocks
                int jFast = L == 8 ? cols / 8 * 8 : 0;
                for (int j = 0; j < jFast; j += 8) {
                    for (int p = 0; p < pFast; p += 8) {
                        transposeBlock(b, src + j * ldb + p, ldb, bp, dst + p * NR + j, NR);
                    }
                }
                packTransposed(b, src, ldb, 0, jFast, pFast, kc, bp, dst);
                packTransposed(b, src, ldb, jFast, cols, 0, kc, bp, dst);
            }
        }
    }

    /**
     * The reference for a transposed sliver: bp[dst + p·NR + j] = b[src + j·ldb + p] for columns
     * [j0, j1) and steps [p0, p1), one value at a time.
     */
    static void packTransposed(float[] b, int src, int ldb, int j0, int j1, int p0, int p1, float[] bp, int dst) {
        for (int j = j0; j < j1; j++) {
            for (int p = p0; p < p1; p++) {
                bp[dst + p * NR + j] = b[src + j * ldb + p];
            }
        }
    }

    private static final int L = S.length();
    /** Interleaves the low halves of two vectors: a0 b0 a1 b1 ... */
    private static final VectorShuffle<Float> ZIP_LO = zip(0);
    /** Interleaves the high halves: a(L/2) b(L/2) a(L/2+1) b(L/2+1) ... */
    private static final VectorShuffle<Float> ZIP_HI = zip(L / 2);

    private static VectorShuffle<Float> zip(int from) {
        int[] index = new int[L];
        for (int t = 0; t < L; t++) {
            index[t] = t % 2 == 0 ? from + t / 2 : L + from + t / 2;    // L + i: lane i of the second vector
        }
        return VectorShuffle.fromArray(S, index, 0);
    }

    /**
     * An 8×8 block: out[o + p·ldo + j] = in[i + j·ldi + p] for j, p &lt; 8. The 8 rows are loaded
     * whole and transposed in registers: three rounds, each zipping row r with row r + 4 into rows
     * 2r and 2r+1. (Viewing an element's row and column numbers as one string of 6 bits, a round
     * rotates that string by one bit; three rounds swap the row bits with the column bits.)
     * Scalar, the same copy stores to a different cache line of out with every value: 1.3-2.5×
     * slower on a 768×2304 weight (best of 200 packs, three runs). Written out for 8 lanes (AVX2):
     * C2 keeps named vectors in registers, but boxes vectors kept in an array (7.5× slower).
     */
    static void transposeBlock(float[] in, int i, int ldi, float[] out, int o, int ldo) {
        FloatVector r0 = FloatVector.fromArray(S, in, i), r1 = FloatVector.fromArray(S, in, i + ldi);
        FloatVector r2 = FloatVector.fromArray(S, in, i + 2 * ldi), r3 = FloatVector.fromArray(S, in, i + 3 * ldi);
        FloatVector r4 = FloatVector.fromArray(S, in, i + 4 * ldi), r5 = FloatVector.fromArray(S, in, i + 5 * ldi);
        FloatVector r6 = FloatVector.fromArray(S, in, i + 6 * ldi), r7 = FloatVector.fromArray(S, in, i + 7 * ldi);
        for (int round = 0; round < 3; round++) {
            FloatVector n0 = r0.rearrange(ZIP_LO, r4), n1 = r0.rearrange(ZIP_HI, r4);
            FloatVector n2 = r1.rearrange(ZIP_LO, r5), n3 = r1.rearrange(ZIP_HI, r5);
            FloatVector n4 = r2.rearrange(ZIP_LO, r6), n5 = r2.rearrange(ZIP_HI, r6);
            FloatVector n6 = r3.rearrange(ZIP_LO, r7), n7 = r3.rearrange(ZIP_HI, r7);
            r0 = n0; r1 = n1; r2 = n2; r3 = n3; r4 = n4; r5 = n5; r6 = n6; r7 = n7;
        }
        r0.intoArray(out, o);
        r1.intoArray(out, o + ldo);
        r2.intoArray(out, o + 2 * ldo);
        r3.intoArray(out, o + 3 * ldo);
        r4.intoArray(out, o + 4 * ldo);
        r5.intoArray(out, o + 5 * ldo);
        r6.intoArray(out, o + 6 * ldo);
        r7.intoArray(out, o + 7 * ldo);
    }
}
