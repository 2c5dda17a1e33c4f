package dev.qkv.bench;

import dev.qkv.autograd.Autograd;
import dev.qkv.nn.functional.Attention;
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
 * Causal scaled dot-product attention, q, k, v [B=8, H=8, T, D=64], through
 * {@link Attention#scaledDotProductAttention} with the implementation chosen explicitly:
 * MANUAL (tensor ops, stores the T×T matrix) or FUSED (the FlashAttention-style kernel).
 * {@code forward} runs under noGrad; {@code forwardBackward} backpropagates a fixed random
 * upstream gradient into q, k and v (cleared before each call).
 *
 * <p>Kernels default to "vector" only: the reference path takes tens of seconds per call at
 * T = 1024. Run it with {@code -p kernels=reference} (and {@code -p t=256}) when wanted.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xmx8g"})
public class AttentionBench {
    static final int B = 8, H = 8, D = 64;

    @State(Scope.Benchmark)
    public static class Inputs {
        @Param({"vector"})
        public String kernels;
        @Param({"MANUAL", "FUSED"})
        public Attention.Impl impl;
        @Param({"256", "1024"})
        public int t;
        @Param({"1", "2"})
        public int threads;

        Tensor q, k, v, dout;           // each [B, H, T, D]

        @Setup
        public void setup() {
            BenchSupport.select(kernels, threads);
            q = BenchSupport.randn(1, B, H, t, D).requiresGrad(true);
            k = BenchSupport.randn(2, B, H, t, D).requiresGrad(true);
            v = BenchSupport.randn(3, B, H, t, D).requiresGrad(true);
            dout = BenchSupport.randn(4, B, H, t, D);
        }

        Tensor attend() {
            return Attention.scaledDotProductAttention(q, k, v, null, true, 0, 0.0, null, null, impl);
        }
    }

    @Benchmark
    public Tensor forward(Inputs s) {
        try (var ng = Autograd.noGrad()) {
            return s.attend();
        }
    }

    @Benchmark
    public Tensor forwardBackward(Inputs s) {
        s.q.zeroGrad();
        s.k.zeroGrad();
        s.v.zeroGrad();
        s.attend().backward(s.dout);
        return s.q.grad();
    }
}
