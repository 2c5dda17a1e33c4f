package dev.qkv.bench;

import dev.qkv.backend.cpu.GemmMicroKernel;
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
import org.openjdk.jmh.infra.Blackhole;

import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * The GEMM micro-kernel alone, one thread: one B sliver (kc×NR) against {@code slivers} A slivers
 * (kc×MR each) in turn, what the full GEMM does for each B sliver of a row block. With 1 A sliver
 * everything sits in L1; with 24 (the row block of the full GEMM) A streams from L2.
 * GFLOPS = 2·MR·NR·kc·slivers / time per call. Compare with {@code SgemmBench.square}: the
 * difference is what blocking, packing and memory cost the whole product.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class GemmKernelBench {

    @State(Scope.Benchmark)
    public static class Slivers {
        @Param({"256", "512"})
        public int kc;
        @Param({"1", "24"})
        public int slivers;
        float[] ap, bp, tile;

        @Setup
        public void setup() {
            Random rng = new Random(7);
            ap = new float[kc * GemmMicroKernel.MR * slivers];
            bp = new float[kc * GemmMicroKernel.NR];
            tile = new float[GemmMicroKernel.MR * GemmMicroKernel.NR];
            for (int i = 0; i < ap.length; i++) {
                ap[i] = (float) rng.nextGaussian();
            }
            for (int i = 0; i < bp.length; i++) {
                bp[i] = (float) rng.nextGaussian();
            }
        }
    }

    /** One pass of the B sliver over every A sliver. */
    @Benchmark
    public void microKernel(Slivers s, Blackhole bh) {
        for (int a = 0; a < s.slivers; a++) {
            GemmMicroKernel.run(s.kc, s.ap, a * s.kc * GemmMicroKernel.MR, s.bp, 0, s.tile);
            bh.consume(s.tile[a % s.tile.length]);
        }
    }
}
