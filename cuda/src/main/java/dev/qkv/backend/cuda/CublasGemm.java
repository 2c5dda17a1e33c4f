package dev.qkv.backend.cuda;

import dev.qkv.backend.Gemm;

import java.util.ArrayList;
import java.util.List;

/**
 * Maps qkv's row-major {@link Gemm} onto cuBLAS's column-major GEMM. This is the one place
 * where the two conventions meet.
 *
 * <p><b>The row-major trick.</b> A row-major M×N matrix with leading dimension ld is, read
 * column-major with the same ld, its N×M transpose. So instead of C = op(A)·op(B) (row-major)
 * we ask cuBLAS for Cᵀ = op(B)ᵀ·op(A)ᵀ (column-major), which writes exactly the bytes of the
 * row-major C: swap the operands (cuBLAS's A is our B and vice versa), swap m and n, keep each
 * operand's transpose flag and leading dimension. Our B read column-major is already Bᵀ, so
 * "no transpose" stays "no transpose".
 *
 * <p>Leading dimensions: cuBLAS checks ld >= max(1, rows) of each stored matrix even when the
 * matrix has a single column and ld is never used; such lds are raised to the minimum. A call
 * cuBLAS cannot express (a leading dimension really too small, i.e. overlapping rows) maps to
 * null and runs on the plain gemm kernel. C shared by every batch (batch stride 0) would be a
 * data race inside one batched call, so it becomes one call per batch, queued in order, which is
 * what the CPU's sequential loop computes.
 */
final class CublasGemm {

    /**
     * One cuBLAS strided-batched GEMM in column-major terms, with element offsets into the
     * storages instead of addresses: C[b] = alpha·op(A[b])·op(B[b]) + beta·C[b], op(A) m×k.
     */
    record Call(boolean transA, boolean transB, int m, int n, int k,
                long aOffset, int lda, long strideA,
                long bOffset, int ldb, long strideB,
                long cOffset, int ldc, long strideC,
                int batch, double alpha, double beta, boolean swapped) {
    }

    private CublasGemm() {
    }

    /**
     * The cuBLAS calls computing {@code g}, in order; empty when there is nothing to compute;
     * null when cuBLAS cannot express it. Operand A of each call reads {@code g.b()} and operand B
     * reads {@code g.a()} ({@code swapped} is always true: the row-major trick).
     */
    static List<Call> map(Gemm g) {
        if (g.batch() == 0 || g.m() == 0 || g.n() == 0) {
            return List.of();
        }
        // Column-major problem: C' (N×M) = op(B)ᵀ (N×K) · op(A)ᵀ (K×M).
        int m = g.n();
        int n = g.m();
        int k = g.k();
        // cuBLAS's A is our B. Not transposed: stored N×K column-major, ld >= N unless K == 1.
        // Transposed: stored K×N column-major, ld >= K unless N == 1.
        int lda = leading(g.ldb(), g.transB() ? k : m, g.transB() ? m : k);
        // cuBLAS's B is our A. Not transposed: stored K×M, ld >= K unless M == 1; transposed: M×K.
        int ldb = leading(g.lda(), g.transA() ? n : k, g.transA() ? k : n);
        // C' is stored N×M column-major: ld >= N unless M == 1.
        int ldc = leading(g.ldc(), m, n);
        if (lda < 0 || ldb < 0 || ldc < 0 || g.aBatchStride() < 0 || g.bBatchStride() < 0 || g.cBatchStride() < 0) {
            return null;
        }
        if (g.cBatchStride() == 0 && g.batch() > 1) {
            List<Call> calls = new ArrayList<>();
            for (int b = 0; b < g.batch(); b++) {
                calls.add(new Call(g.transB(), g.transA(), m, n, k,
                        g.bOffset() + (long) b * g.bBatchStride(), lda, 0,
                        g.aOffset() + (long) b * g.aBatchStride(), ldb, 0,
                        g.cOffset(), ldc, 0, 1, g.alpha(), g.beta(), true));
            }
            return calls;
        }
        return List.of(new Call(g.transB(), g.transA(), m, n, k,
                g.bOffset(), lda, g.bBatchStride(),
                g.aOffset(), ldb, g.aBatchStride(),
                g.cOffset(), ldc, g.cBatchStride(), g.batch(), g.alpha(), g.beta(), true));
    }

    /**
     * A leading dimension cuBLAS accepts for a stored rows×cols column-major matrix: ld itself if
     * ld >= max(1, rows); the minimum if ld is never used (at most one column, or no rows); else -1.
     */
    static int leading(int ld, int rows, int cols) {
        int min = Math.max(1, rows);
        if (ld >= min) {
            return ld;
        }
        return cols <= 1 || rows == 0 ? min : -1;
    }
}
