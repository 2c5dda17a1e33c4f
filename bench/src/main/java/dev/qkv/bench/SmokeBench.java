package dev.qkv.bench;

import dev.qkv.backend.Gemm;
import dev.qkv.backend.cpu.CpuBackend;
import dev.qkv.autograd.Autograd;
import dev.qkv.nn.functional.Attention;
import dev.qkv.nn.functional.F;
import dev.qkv.tensor.Tensor;
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
 * A few tiny workloads that prove the benchmark jar runs, on both kernel sets, in seconds:
 * <pre>
 *   java --add-modules jdk.incubator.vector -jar bench/target/benchmarks.jar Smoke
 * </pre>
 * Its numbers mean nothing (one short iteration, tiny shapes); it is for CI and for checking a
 * build, not for comparing.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 1, time = 200, timeUnit = TimeUnit.MILLISECONDS)
@Measurement(iterations = 1, time = 200, timeUnit = TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xmx512m"})
public class SmokeBench {

    @State(Scope.Benchmark)
    public static class Inputs {
        @Param({"vector", "reference"})
        public String kernels;
        Gemm gemm;
        Tensor x, q, k, v;

        @Setup
        public void setup() {
            BenchSupport.select(kernels, 1);
            gemm = BenchSupport.gemm(1, 64, 64, 64);
            x = BenchSupport.randn(1, 64, 128);
            q = BenchSupport.randn(2, 1, 2, 32, 16);
            k = BenchSupport.randn(3, 1, 2, 32, 16);
            v = BenchSupport.randn(4, 1, 2, 32, 16);
        }
    }

    @Benchmark
    public Gemm sgemm64(Inputs s) {
        CpuBackend.instance().gemm(s.gemm);
        return s.gemm;
    }

    @Benchmark
    public Tensor softmaxAndAttention(Inputs s) {
        try (var ng = Autograd.noGrad()) {
            F.softmax(s.x, -1);
            return Attention.scaledDotProductAttention(s.q, s.k, s.v, null, true);
        }
    }
}
