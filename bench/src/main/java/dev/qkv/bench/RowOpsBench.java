package dev.qkv.bench;

import dev.qkv.autograd.Autograd;
import dev.qkv.nn.functional.F;
import dev.qkv.tensor.Generator;
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
 * The fused row operations of {@code nn.functional}, forward alone (under noGrad) and forward
 * plus backward, through the public API:
 * <ul>
 *   <li>softmax over the last dim of [8192, 1024] (8 heads × 1024 queries of a 1024-key row);
 *   <li>layerNorm over 768 features of [8192, 768] with weight and bias (GPT-2 small, 8192 tokens);
 *   <li>crossEntropy of [1024, 50257] logits (GPT-2's vocabulary, one 1024-token sequence).
 * </ul>
 * Backward starts from a fixed random upstream gradient (a scalar loss for crossEntropy);
 * gradients are cleared (set to null) before each call, as PyTorch's set_to_none does.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xmx6g"})
public class RowOpsBench {

    static final int SOFTMAX_ROWS = 8192, SOFTMAX_COLS = 1024;
    static final int LN_ROWS = 8192, LN_COLS = 768;
    static final int CE_ROWS = 1024, CE_VOCAB = 50257;

    @State(Scope.Benchmark)
    public static class Inputs {
        @Param({"vector", "reference"})
        public String kernels;
        @Param({"1", "2"})
        public int threads;

        Tensor sx, sdy;                 // softmax input and upstream gradient [8192, 1024]
        Tensor lx, ldy, lw, lb;         // layerNorm input, upstream gradient [8192, 768]; weight, bias [768]
        Tensor logits, targets;         // crossEntropy [1024, 50257] and INT64 [1024]

        @Setup
        public void setup() {
            BenchSupport.select(kernels, threads);
            sx = BenchSupport.randn(1, SOFTMAX_ROWS, SOFTMAX_COLS).requiresGrad(true);
            sdy = BenchSupport.randn(2, SOFTMAX_ROWS, SOFTMAX_COLS);
            lx = BenchSupport.randn(3, LN_ROWS, LN_COLS).requiresGrad(true);
            ldy = BenchSupport.randn(4, LN_ROWS, LN_COLS);
            lw = BenchSupport.randn(5, LN_COLS).requiresGrad(true);
            lb = BenchSupport.randn(6, LN_COLS).requiresGrad(true);
            logits = BenchSupport.randn(7, CE_ROWS, CE_VOCAB).requiresGrad(true);
            targets = Tensor.randint(new Generator(8), 0, CE_VOCAB, CE_ROWS);
        }
    }

    @Benchmark
    public Tensor softmax(Inputs s) {
        try (var ng = Autograd.noGrad()) {
            return F.softmax(s.sx, -1);
        }
    }

    @Benchmark
    public Tensor softmaxFwdBwd(Inputs s) {
        s.sx.zeroGrad();
        F.softmax(s.sx, -1).backward(s.sdy);
        return s.sx.grad();
    }

    @Benchmark
    public Tensor layerNorm(Inputs s) {
        try (var ng = Autograd.noGrad()) {
            return F.layerNorm(s.lx, new int[] {LN_COLS}, s.lw, s.lb, 1e-5);
        }
    }

    @Benchmark
    public Tensor layerNormFwdBwd(Inputs s) {
        s.lx.zeroGrad();
        s.lw.zeroGrad();
        s.lb.zeroGrad();
        F.layerNorm(s.lx, new int[] {LN_COLS}, s.lw, s.lb, 1e-5).backward(s.ldy);
        return s.lx.grad();
    }

    @Benchmark
    public Tensor crossEntropy(Inputs s) {
        try (var ng = Autograd.noGrad()) {
            return F.crossEntropy(s.logits, s.targets);
        }
    }

    @Benchmark
    public Tensor crossEntropyFwdBwd(Inputs s) {
        s.logits.zeroGrad();
        F.crossEntropy(s.logits, s.targets).backward();
        return s.logits.grad();
    }
}
