package dev.qkv.backend.cpu;

import dev.qkv.backend.Gemm;
import jdk.incubator.vector.FloatVector;
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
                for (int j = 0; j < cols; j++) {                // Bᵀ: column j is contiguous along p
                    int src = g.bIndex(bt, pc, j0 + j);
                    for (int p = 0; p < kc; p++) {
                        bp[dst + p * NR + j] = b[src + p];
                    }
                }
            }
        }
    }
}
