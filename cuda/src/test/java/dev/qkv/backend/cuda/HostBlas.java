package dev.qkv.backend.cuda;

import java.util.ArrayList;
import java.util.List;

/**
 * A {@link Blas} that computes cuBLAS's column-major strided-batched GEMM on a
 * {@link HostMemoryDriver}'s memory, exactly as documented for cuBLAS, so that the backend's
 * addresses, leading dimensions and operand swap can be checked numerically without a GPU.
 */
final class HostBlas implements Blas {
    private final HostMemoryDriver memory;
    final List<String> calls = new ArrayList<>();
    boolean tf32;

    HostBlas(HostMemoryDriver memory) {
        this.memory = memory;
    }

    @Override
    public String describe() {
        return "host reference GEMM";
    }

    @Override
    public void setAllowTf32(boolean allow) {
        tf32 = allow;
    }

    private double get(long base, long index, int bytes) {
        var b = memory.at(base + index * bytes, bytes);
        return bytes == 4 ? b.getFloat(0) : b.getDouble(0);
    }

    private void put(long base, long index, int bytes, double v) {
        var b = memory.at(base + index * bytes, bytes);
        if (bytes == 4) {
            b.putFloat(0, (float) v);
        } else {
            b.putDouble(0, v);
        }
    }

    private void run(boolean ta, boolean tb, int m, int n, int k, double alpha, long a, int lda, long sa, long b,
                     int ldb, long sb, double beta, long c, int ldc, long sc, int batch, int bytes) {
        for (int bt = 0; bt < batch; bt++) {
            for (int r = 0; r < m; r++) {
                for (int col = 0; col < n; col++) {
                    double acc = 0;
                    for (int p = 0; p < k; p++) {
                        double x = ta ? get(a, bt * sa + p + (long) r * lda, bytes) : get(a, bt * sa + r + (long) p * lda, bytes);
                        double y = tb ? get(b, bt * sb + col + (long) p * ldb, bytes) : get(b, bt * sb + p + (long) col * ldb, bytes);
                        acc += x * y;
                    }
                    long ci = bt * sc + r + (long) col * ldc;
                    put(c, ci, bytes, beta == 0 ? alpha * acc : alpha * acc + beta * get(c, ci, bytes));
                }
            }
        }
    }

    @Override
    public void sgemmStridedBatched(boolean transA, boolean transB, int m, int n, int k, float alpha, long a, int lda,
                                    long strideA, long b, int ldb, long strideB, float beta, long c, int ldc,
                                    long strideC, int batch) {
        calls.add("sgemm");
        if (lda < Math.max(1, transA ? k : m) || ldb < Math.max(1, transB ? n : k) || ldc < Math.max(1, m)) {
            throw new IllegalStateException("CUBLAS_STATUS_INVALID_VALUE: leading dimension too small");
        }
        run(transA, transB, m, n, k, alpha, a, lda, strideA, b, ldb, strideB, beta, c, ldc, strideC, batch, 4);
    }

    @Override
    public void gemmStridedBatchedEx(boolean transA, boolean transB, int m, int n, int k, double alpha, long a,
                                     DataType aType, int lda, long strideA, long b, DataType bType, int ldb,
                                     long strideB, double beta, long c, DataType cType, int ldc, long strideC,
                                     int batch, ComputeType compute) {
        calls.add("gemmEx " + aType + " " + compute);
        run(transA, transB, m, n, k, alpha, a, lda, strideA, b, ldb, strideB, beta, c, ldc, strideC, batch,
                aType == DataType.R_64F ? 8 : 4);
    }

    @Override
    public void close() {
    }
}
