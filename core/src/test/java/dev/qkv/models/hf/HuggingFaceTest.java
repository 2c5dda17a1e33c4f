package dev.qkv.models.hf;

import dev.qkv.autograd.Autograd;
import dev.qkv.io.Json;
import dev.qkv.io.SafeTensors;
import dev.qkv.models.CausalLM;
import dev.qkv.models.Generation;
import dev.qkv.models.KVCache;
import dev.qkv.models.gpt.GPT;
import dev.qkv.models.gpt.GPTConfig;
import dev.qkv.tensor.Generator;
import dev.qkv.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Parity with PyTorch reference forward passes on tiny random checkpoints in exact HF layout. */
class HuggingFaceTest {
    private static final Path HF = Path.of("src/test/resources/hf");

    /** Largest |qkv − torch| / max|torch| over all logits; asserted below 1e-4. */
    static double parity(String fixture) throws IOException {
        Path dir = HF.resolve(fixture);
        CausalLM model = HuggingFace.loadCausalLM(dir);
        Map<?, ?> expected = (Map<?, ?>) Json.parse(dir.resolve("expected.json"), 8 << 20);
        List<?> rows = (List<?>) expected.get("input_ids");
        int b = rows.size();
        int t = ((List<?>) rows.get(0)).size();
        long[] ids = new long[b * t];
        for (int r = 0; r < b; r++) {
            for (int j = 0; j < t; j++) {
                ids[r * t + j] = (Long) ((List<?>) rows.get(r)).get(j);
            }
        }
        List<?> ref = (List<?>) expected.get("logits");
        float[] got;
        try (var s = Autograd.noGrad()) {
            got = model.forward(Tensor.fromArray(ids, b, t), null, null).toFloatArray();
        }
        assertEquals(ref.size(), got.length);
        double maxRef = 0;
        double maxErr = 0;
        for (int i = 0; i < got.length; i++) {
            double r = ((Number) ref.get(i)).doubleValue();
            maxRef = Math.max(maxRef, Math.abs(r));
            maxErr = Math.max(maxErr, Math.abs(got[i] - r));
        }
        double rel = maxErr / maxRef;
        System.out.printf("HF parity %s: max |qkv - torch| = %.3g, relative to max |logit| %.3g: %.3g%n",
                fixture, maxErr, maxRef, rel);
        return rel;
    }

    @Test
    void gpt2LogitsMatchPyTorch() throws IOException {
        assertTrue(parity("gpt2-tiny") < 1e-4);
        assertTrue(parity("gpt2-tiny-prefixed") < 1e-4, "names with the transformer. prefix and a tied lm_head");
    }

    @Test
    void llamaLogitsMatchPyTorch() throws IOException {
        assertTrue(parity("llama-tiny") < 1e-4);
        assertTrue(parity("llama-tiny-sharded") < 1e-4, "sharded checkpoint with model.safetensors.index.json");
    }

    @Test
    void llamaKvCacheMatchesTheFullPass() throws IOException {
        CausalLM model = HuggingFace.loadCausalLM(HF.resolve("llama-tiny"));
        Tensor ids = Tensor.randint(new Generator(1), 0, model.vocabSize(), 2, 8);
        try (var s = Autograd.noGrad()) {
            float[] full = model.forward(ids, null, null).toFloatArray();
            KVCache cache = model.newCache(2, 8);
            Tensor a = model.forward(ids.narrow(1, 0, 5), cache, null);
            Tensor b = model.forward(ids.narrow(1, 5, 3), cache, null);
            float[] inc = Tensor.cat(List.of(a, b), 1).toFloatArray();
            for (int i = 0; i < full.length; i++) {
                assertEquals(full[i], inc[i], 1e-4 * (1 + Math.abs(full[i])));
            }
        }
        int[][] batched = Generation.generate(model, new int[][] {{5, 6, 7}, {9}}, Generation.Config.greedy(4), null);
        assertArrayEquals(Generation.generate(model, new int[] {9}, Generation.Config.greedy(4), null), batched[1]);
    }

    @Test
    void savedGptLoadsBackIdentical(@TempDir Path dir) throws IOException {
        GPT m = new GPT(GPTConfig.of(19, 8, 1, 2, 8, 0.0), new Generator(3));
        HuggingFace.saveGpt2(m, dir);
        CausalLM loaded = HuggingFace.loadCausalLM(dir);
        Tensor ids = Tensor.randint(new Generator(4), 0, 19, 1, 8);
        try (var s = Autograd.noGrad()) {
            m.eval();
            assertArrayEquals(m.forward(ids).toFloatArray(), loaded.forward(ids, null, null).toFloatArray(), 1e-6f);
        }
    }

    private static Path copyFixture(String fixture, Path to) throws IOException {
        try (var files = Files.list(HF.resolve(fixture))) {
            for (Path f : files.toList()) {
                Files.copy(f, to.resolve(f.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        return to;
    }

    @Test
    void mismatchedCheckpointListsEveryProblem(@TempDir Path dir) throws IOException {
        copyFixture("gpt2-tiny", dir);
        Map<String, Tensor> t = new LinkedHashMap<>(SafeTensors.load(dir.resolve("model.safetensors")));
        t.remove("h.1.mlp.c_fc.bias");
        t.put("h.0.attn.extra_weight", Tensor.zeros(2));
        t.put("ln_f.weight", Tensor.zeros(5));
        SafeTensors.save(dir.resolve("model.safetensors"), t);
        IOException e = assertThrows(IOException.class, () -> HuggingFace.loadCausalLM(dir));
        String m = e.getMessage();
        assertTrue(m.contains("missing: [transformer.h.1.mlp.c_fc.bias]"), m);
        assertTrue(m.contains("unexpected: [h.0.attn.extra_weight]"), m);
        assertTrue(m.contains("ln_f.weight has shape [5], expected [32]"), m);
    }

    @Test
    void badConfigsAreClearErrors(@TempDir Path dir) throws IOException {
        copyFixture("gpt2-tiny", dir);
        Files.writeString(dir.resolve("config.json"), "{\"model_type\": \"t5\"}");
        assertTrue(assertThrows(IOException.class, () -> HuggingFace.loadCausalLM(dir)).getMessage()
                .contains("unsupported model_type 't5'"));
        String good = Files.readString(HF.resolve("gpt2-tiny/config.json"));
        Files.writeString(dir.resolve("config.json"), good.replaceFirst("\"n_embd\": \\d+", "\"n_embd\": -3"));
        assertTrue(assertThrows(IOException.class, () -> HuggingFace.loadCausalLM(dir)).getMessage()
                .contains("\"n_embd\" must be a positive integer"));
        Files.writeString(dir.resolve("config.json"), "{\"model_type\": ");
        assertThrows(IOException.class, () -> HuggingFace.loadCausalLM(dir));
        assertTrue(assertThrows(IOException.class, () -> HuggingFace.loadCausalLM(dir.resolve("nope"))).getMessage()
                .contains("does not exist"));
    }

    @Test
    void shardNamesCannotEscapeTheDirectory(@TempDir Path dir) throws IOException {
        copyFixture("llama-tiny-sharded", dir);
        String index = Files.readString(dir.resolve("model.safetensors.index.json"));
        Files.writeString(dir.resolve("model.safetensors.index.json"),
                index.replaceFirst("model-00001-of-00002.safetensors", "../../etc/passwd"));
        IOException e = assertThrows(IOException.class, () -> HuggingFace.loadCausalLM(dir));
        assertTrue(e.getMessage().contains("plain file name"), e.getMessage());
    }

    @Test
    void bertMaskedLmLogitsMatchPyTorch() throws IOException {
        Path dir = HF.resolve("bert-tiny");
        var model = HuggingFace.loadBert(dir);
        Map<?, ?> expected = (Map<?, ?>) Json.parse(dir.resolve("expected.json"), 8 << 20);
        List<?> rows = (List<?>) expected.get("input_ids");
        List<?> types = (List<?>) expected.get("token_type_ids");
        int b = rows.size();
        int t = ((List<?>) rows.get(0)).size();
        long[] ids = new long[b * t];
        long[] tt = new long[b * t];
        for (int r = 0; r < b; r++) {
            for (int j = 0; j < t; j++) {
                ids[r * t + j] = (Long) ((List<?>) rows.get(r)).get(j);
                tt[r * t + j] = (Long) ((List<?>) types.get(r)).get(j);
            }
        }
        float[] got;
        try (var s = Autograd.noGrad()) {
            got = model.forward(Tensor.fromArray(ids, b, t), Tensor.fromArray(tt, b, t), null).toFloatArray();
        }
        List<?> ref = (List<?>) expected.get("logits");
        double maxRef = 0;
        double maxErr = 0;
        for (int i = 0; i < got.length; i++) {
            double r = ((Number) ref.get(i)).doubleValue();
            maxRef = Math.max(maxRef, Math.abs(r));
            maxErr = Math.max(maxErr, Math.abs(got[i] - r));
        }
        System.out.printf("HF parity bert-tiny: max |qkv - torch| = %.3g, relative %.3g%n", maxErr, maxErr / maxRef);
        assertTrue(maxErr / maxRef < 1e-4);
    }
}
