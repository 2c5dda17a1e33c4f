package dev.qkv.bench;

import dev.qkv.backend.Gemm;
import dev.qkv.backend.cpu.CpuBackend;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * float32 GEMM through the backend's {@code gemm} primitive, C = A·B with C preallocated (what
 * {@code numpy.matmul(a, b, out=c)} and {@code torch.mm(a, b, out=c)} time). Time per call;
 * GFLOPS = 2·M·N·K·batch / time.
 *
 * <p>The reference kernels are a triple loop (seconds per call at N = 512, about a minute at
 * 2048), so they run only on the small squares ({@link #squareReference}) and the batched shape.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xmx6g"})
public class SgemmBench {

    /** Square N×N · N×N on the vector kernels. */
    @State(Scope.Benchmark)
    public static class Square {
        @Param({"vector"})
        public String kernels;
        @Param({"128", "256", "512", "1024", "2048"})
        public int n;
        @Param({"1", "2"})
        public int threads;
        Gemm gemm;

        @Setup
        public void setup() {
            BenchSupport.select(kernels, threads);
            gemm = BenchSupport.gemm(1, n, n, n);
        }
    }

    /** The same squares on the reference triple loop, small sizes only. */
    @State(Scope.Benchmark)
    public static class SquareReference {
        @Param({"reference"})
        public String kernels;
        @Param({"128", "256"})
        public int n;
        @Param({"1", "2"})
        public int threads;
        Gemm gemm;

        @Setup
        public void setup() {
            BenchSupport.select(kernels, threads);
            gemm = BenchSupport.gemm(1, n, n, n);
        }
    }

    /** A GPT-2-small MLP shape: 2048 tokens × 768 features times 768 × 3072 (c_fc). */
    @State(Scope.Benchmark)
    public static class Transformer {
        @Param({"vector"})
        public String kernels;
        @Param({"1", "2"})
        public int threads;
        Gemm gemm;

        @Setup
        public void setup() {
            BenchSupport.select(kernels, threads);
            gemm = BenchSupport.gemm(1, 2048, 3072, 768);       // M=2048, N=3072, K=768
        }
    }

    /** Batched: 64 matrices (B·H = 8·8) of 256×64 · 64×256, the attention-score shape. */
    @State(Scope.Benchmark)
    public static class Batched {
        @Param({"vector", "reference"})
        public String kernels;
        @Param({"1", "2"})
        public int threads;
        Gemm gemm;

        @Setup
        public void setup() {
            BenchSupport.select(kernels, threads);
            gemm = BenchSupport.gemm(64, 256, 256, 64);         // batch=64, M=N=256, K=64
        }
    }

    @Benchmark
    public Gemm square(Square s) {
        CpuBackend.instance().gemm(s.gemm);
        return s.gemm;
    }

    @Benchmark
    public Gemm squareReference(SquareReference s) {
        CpuBackend.instance().gemm(s.gemm);
        return s.gemm;
    }

    @Benchmark
    public Gemm transformer(Transformer s) {
        CpuBackend.instance().gemm(s.gemm);
        return s.gemm;
    }

    @Benchmark
    public Gemm batched(Batched s) {
        CpuBackend.instance().gemm(s.gemm);
        return s.gemm;
    }
}
