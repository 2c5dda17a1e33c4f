package dev.qkv.bench;

import dev.qkv.autograd.Autograd;
import dev.qkv.models.KVCache;
import dev.qkv.models.gpt.GPT;
import dev.qkv.models.gpt.GPTConfig;
import dev.qkv.tensor.Generator;
import dev.qkv.tensor.Tensor;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
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
 * Generation with a KV cache on a GPT-2-small-sized model (124M parameters, random weights,
 * context 1024), batch 1, greedy:
 * <ul>
 *   <li>{@code prefill}: one forward pass over a 128-token prompt into an empty cache;
 *       prefill tokens/s = 128 / time;
 *   <li>{@code decode}: 16 steps of one token each after that prefill (done in the iteration's
 *       setup, not timed), the next token being the argmax of the last logits;
 *       decode tokens/s = 16 / time.
 * </ul>
 * The model is driven directly ({@code forward(ids, cache, null)}) rather than through
 * {@code Generation.generate}, so that the two phases are timed apart.
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3)
@Measurement(iterations = 5)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xmx6g"})
public class GenerationBench {
    public static final int PROMPT = 128, NEW_TOKENS = 16;

    /** The model and a prompt; each iteration starts from a fresh cache. */
    public abstract static class Base {
        GPT model;
        Tensor prompt;                  // INT64 [1, 128]
        KVCache cache;

        void build(String kernels, int threads) {
            BenchSupport.select(kernels, threads);
            Generator g = new Generator(42);
            model = new GPT(GPTConfig.gpt2Small(), g);
            model.eval();
            prompt = Tensor.randint(g, 0, model.vocabSize(), 1, PROMPT);
        }

        Tensor prefill() {
            cache = model.newCache(1, PROMPT + NEW_TOKENS);
            try (var ng = Autograd.noGrad()) {
                return model.forward(prompt, cache, null);                    // (1, 128, V)
            }
        }
    }

    @State(Scope.Benchmark)
    public static class Prefill extends Base {
        @Param({"vector"})
        public String kernels;
        @Param({"1", "2"})
        public int threads;

        @Setup(Level.Trial)
        public void setup() {
            build(kernels, threads);
        }
    }

    @State(Scope.Benchmark)
    public static class Decode extends Base {
        @Param({"vector"})
        public String kernels;
        @Param({"1", "2"})
        public int threads;
        Tensor first;                   // INT64 [1, 1]: the token after the prompt

        @Setup(Level.Trial)
        public void setup() {
            build(kernels, threads);
        }

        @Setup(Level.Iteration)
        public void prefillUntimed() {
            Tensor logits = prefill();
            first = logits.select(1, PROMPT - 1).argmax(-1, true);               // (1, 1)
        }
    }

    @Benchmark
    public Tensor prefill(Prefill s) {
        return s.prefill();
    }

    @Benchmark
    public Tensor decode(Decode s) {
        Tensor next = s.first;
        try (var ng = Autograd.noGrad()) {
            for (int i = 0; i < NEW_TOKENS; i++) {
                Tensor logits = s.model.forward(next, s.cache, null);           // (1, 1, V)
                next = logits.select(1, 0).argmax(-1, true);                    // (1, 1)
            }
        }
        return next;
    }
}
