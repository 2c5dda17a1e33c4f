package dev.qkv.bench;

import dev.qkv.backend.Gemm;
import dev.qkv.backend.cpu.CpuBackend;
import dev.qkv.backend.cpu.Parallel;
import dev.qkv.tensor.Generator;
import dev.qkv.tensor.Tensor;

/**
 * What every benchmark's setup does: pick the CPU kernels and the thread count for its forked
 * JVM, and make seeded inputs. Not a benchmark itself.
 *
 * <p>Which kernels float32 work runs on is decided once per JVM, when {@link CpuBackend} is first
 * used ({@code -Dqkv.cpu.kernels}). A benchmark therefore sets that property in its trial setup,
 * before it touches a tensor, and checks that it took: this holds in a forked JVM (JMH's default,
 * one fork per parameter set) and fails loudly with {@code -f 0} when parameter sets mix kernels.
 */
final class BenchSupport {
    private BenchSupport() {
    }

    /**
     * Selects the kernels ("vector" or "reference") and the pool size for this JVM.
     *
     * @throws IllegalStateException when the backend was already created with other kernels
     */
    static void select(String kernels, int threads) {
        CpuBackend.Kernels want = switch (kernels) {
            case "vector" -> CpuBackend.Kernels.VECTOR;
            case "reference" -> CpuBackend.Kernels.REFERENCE;
            default -> throw new IllegalArgumentException("kernels must be vector or reference, got '" + kernels
                    + "' (a cuda backend is not benchmarked here: the cuda module has no backend yet)");
        };
        System.setProperty("qkv.cpu.kernels", kernels);
        CpuBackend.Kernels got = CpuBackend.instance().kernels();
        if (got != want) {
            throw new IllegalStateException("the CPU backend was already created with " + got + " kernels, so this "
                    + "benchmark cannot select " + want + ": run with forks >= 1 (-f 1), one JVM per parameter set");
        }
        if (Parallel.threads() != threads) {
            Parallel.setThreads(threads);
        }
    }

    /** N(0, 1) float32 tensor from a fixed seed. */
    static Tensor randn(long seed, int... shape) {
        return Tensor.randn(new Generator(seed), shape);
    }

    /**
     * A row-major, non-transposed GEMM C[b] = A[b]·B[b] (M×K times K×N) over fresh random
     * buffers, batch matrices stored one after another. C is written, never read (beta = 0).
     */
    static Gemm gemm(int batch, int m, int n, int k) {
        Tensor a = randn(1, batch, m, k);
        Tensor b = randn(2, batch, k, n);
        Tensor c = Tensor.zeros(batch, m, n);
        return new Gemm(batch, m, n, k,
                a.storage(), 0, m * k, k, false,
                b.storage(), 0, k * n, n, false,
                c.storage(), 0, m * n, n,
                1.0, 0.0);
    }
}
