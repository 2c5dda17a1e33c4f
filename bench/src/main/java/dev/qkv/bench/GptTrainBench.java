package dev.qkv.bench;

import dev.qkv.models.gpt.GPT;
import dev.qkv.models.gpt.GPTConfig;
import dev.qkv.optim.AdamW;
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
 * One GPT training step: zero the gradients, loss = cross-entropy of next-token prediction,
 * backward, AdamW update. The model: 4 layers, 4 heads, d_model 256, context 128, vocabulary
 * 256, no dropout; a batch of 16 random sequences of 128 tokens (2048 tokens a step).
 * tokens/s = 2048 / time per step.
 *
 * <p>Each iteration is one step (single-shot), so warmup and measurement count steps.
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 5)
@Measurement(iterations = 10)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xmx6g"})
public class GptTrainBench {
    static final int LAYERS = 4, HEADS = 4, D_MODEL = 256, CONTEXT = 128, VOCAB = 256, BATCH = 16;
    /** Tokens in one step's batch. */
    public static final int TOKENS_PER_STEP = BATCH * CONTEXT;

    @State(Scope.Benchmark)
    public static class Model {
        @Param({"vector"})
        public String kernels;
        @Param({"1", "2"})
        public int threads;

        GPT model;
        AdamW optimizer;
        Tensor ids, targets;            // INT64 [16, 128]

        @Setup
        public void setup() {
            BenchSupport.select(kernels, threads);
            Generator g = new Generator(42);
            model = new GPT(GPTConfig.of(VOCAB, CONTEXT, LAYERS, HEADS, D_MODEL, 0.0), g);
            model.train();
            optimizer = new AdamW(model.parameters(), 3e-4);
            ids = Tensor.randint(g, 0, VOCAB, BATCH, CONTEXT);
            targets = Tensor.randint(g, 0, VOCAB, BATCH, CONTEXT);
        }
    }

    @Benchmark
    public double step(Model s) {
        s.optimizer.zeroGrad();
        Tensor loss = s.model.loss(s.ids, s.targets);
        loss.backward();
        s.optimizer.step();
        return loss.item();
    }
}
