package dev.qkv.models.gpt;

import dev.qkv.autograd.Autograd;
import dev.qkv.models.Generation;
import dev.qkv.models.KVCache;
import dev.qkv.optim.AdamW;
import dev.qkv.tensor.Generator;
import dev.qkv.tensor.Tensor;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GPTTest {
    private static GPT tiny(long seed) {
        GPT m = new GPT(GPTConfig.of(23, 16, 2, 2, 12, 0.0), new Generator(seed));
        m.eval();
        return m;
    }

    private static void assertClose(String what, float[] a, float[] b, double tol) {
        assertEquals(a.length, b.length, what);
        for (int i = 0; i < a.length; i++) {
            assertTrue(Math.abs(a[i] - b[i]) <= tol * (1 + Math.abs(a[i])), what + " at " + i + ": " + a[i] + " vs " + b[i]);
        }
    }

    @Test
    void weightsAreTiedAndNamedLikeGpt2() {
        GPT m = tiny(1);
        assertTrue(m.lmHead.weight == m.transformer.wte.weight);
        var names = m.namedParameters().keySet();
        assertTrue(names.contains("transformer.h.1.attn.c_attn.weight"), names.toString());
        assertTrue(names.contains("transformer.ln_f.bias"));
        assertTrue(!names.contains("lm_head.weight"), "a tied weight is listed once");
        // 23·12 + 16·12 + 2·(2·(12+12) + 12·36+36 + 12·12+12 + 12·48+48 + 48·12+12) + 2·12
        long expected = 23 * 12 + 16 * 12 + 2 * (2 * 24 + 12 * 36 + 36 + 12 * 12 + 12 + 12 * 48 + 48 + 48 * 12 + 12) + 24;
        assertEquals(expected, m.numParameters());
    }

    @Test
    void kvCacheDecodingGivesTheSameLogitsAsTheFullPass() {
        GPT m = tiny(2);
        Tensor ids = Tensor.randint(new Generator(3), 0, 23, 2, 9);
        try (var s = Autograd.noGrad()) {
            Tensor full = m.forward(ids);                                               // (2, 9, V)
            KVCache cache = m.newCache(2, 16);
            Tensor prefill = m.forward(ids.narrow(1, 0, 5), cache, null);
            assertClose("prefill", full.narrow(1, 0, 5).contiguous().toFloatArray(), prefill.toFloatArray(), 1e-5);
            for (int t = 5; t < 9; t++) {
                Tensor step = m.forward(ids.narrow(1, t, 1), cache, null);
                assertClose("decode step " + t, full.narrow(1, t, 1).contiguous().toFloatArray(), step.toFloatArray(), 1e-5);
            }
            assertEquals(9, cache.length());
        }
    }

    @Test
    void batchedLeftPaddedGenerationEqualsOneAtATime() {
        GPT m = tiny(4);
        int[][] prompts = {{1, 2, 3, 4, 5}, {7, 8}, {9, 10, 11}};
        Generation.Config cfg = Generation.Config.greedy(6);
        int[][] batched = Generation.generate(m, prompts, cfg, null);
        for (int r = 0; r < prompts.length; r++) {
            int[] single = Generation.generate(m, prompts[r], cfg, null);
            assertArrayEquals(single, batched[r], "row " + r);
            assertEquals(6, single.length);
        }
    }

    @Test
    void greedyGenerationFollowsTheArgmaxOfTheFullPass() {
        GPT m = tiny(5);
        int[] prompt = {3, 1, 4};
        int[] gen = Generation.generate(m, prompt, Generation.Config.greedy(4), null);
        int[] seq = {3, 1, 4, 0, 0, 0, 0};
        for (int i = 0; i < 4; i++) {
            seq[3 + i] = gen[i];
        }
        try (var s = Autograd.noGrad()) {
            Tensor logits = m.forward(Tensor.fromArray(java.util.Arrays.stream(seq).asLongStream().toArray(), 1, 7));
            for (int i = 0; i < 4; i++) {
                assertEquals(gen[i], (int) logits.select(1, 2 + i).argmax().item(), "token " + i);
            }
        }
    }

    @Test
    void stopTokensEndGenerationAndTheStreamSeesEveryToken() {
        GPT m = tiny(6);
        int[] greedy = Generation.generate(m, new int[] {1, 2}, Generation.Config.greedy(8), null);
        int stop = greedy[2];
        java.util.List<Integer> streamed = new java.util.ArrayList<>();
        int[] out = Generation.generate(m, new int[] {1, 2},
                new Generation.Config(8, dev.qkv.models.Sampler.greedy(), java.util.Set.of(stop), 0), streamed::add);
        int firstStop = 0;
        while (greedy[firstStop] != stop) {
            firstStop++;
        }
        assertEquals(firstStop + 1, out.length);
        assertEquals(java.util.Arrays.stream(out).boxed().toList(), streamed);
    }

    @Test
    void overfitsASmallBatch() {
        GPT m = new GPT(GPTConfig.of(11, 12, 2, 2, 16, 0.0), new Generator(7));
        Tensor ids = Tensor.randint(new Generator(8), 0, 11, 4, 12);
        Tensor x = ids.narrow(1, 0, 11);
        Tensor y = ids.narrow(1, 1, 11);
        AdamW opt = new AdamW(m.parameters(), 1e-2);
        double first = 0;
        double loss = 0;
        for (int step = 0; step < 150; step++) {
            Tensor l = m.loss(x, y);
            opt.zeroGrad();
            l.backward();
            opt.step();
            loss = l.item();
            if (step == 0) {
                first = loss;
            }
        }
        assertTrue(first > 2.0, "starts near log(11): " + first);
        assertTrue(loss < 0.05, "memorizes the batch: final loss " + loss);
    }

    @Test
    void tooLongInputIsAClearError() {
        GPT m = tiny(9);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> m.forward(Tensor.zeros(dev.qkv.tensor.DType.INT64, 1, 17)));
        assertTrue(e.getMessage().contains("exceeds the model's context"), e.getMessage());
    }
}
