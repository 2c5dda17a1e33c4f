package dev.qkv.models.bert;

import dev.qkv.autograd.Autograd;
import dev.qkv.io.Json;
import dev.qkv.nn.Activation;
import dev.qkv.nn.ParamGradCheck;
import dev.qkv.optim.AdamW;
import dev.qkv.tensor.DType;
import dev.qkv.tensor.Generator;
import dev.qkv.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BertTest {

    // ===================================================================== the Hugging Face fixture

    private static Path fixture(String file) throws URISyntaxException {
        return Path.of(BertTest.class.getResource("/hf/bert-tiny/" + file).toURI());
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> json(String file) throws IOException, URISyntaxException {
        return (Map<String, Object>) Json.parse(fixture(file), 1 << 20);
    }

    private static long[] flatLongs(Object nested) {
        return ((List<?>) nested).stream().flatMap(r -> ((List<?>) r).stream()).mapToLong(v -> ((Number) v).longValue())
                .toArray();
    }

    /** The fixture's BertForMaskedLM: built from config.json, weights loaded strictly by Hugging Face name. */
    private static BertForMaskedLM fixtureModel() throws IOException, URISyntaxException {
        BertForMaskedLM m = new BertForMaskedLM(BertConfig.fromJson(json("config.json")), new Generator(0));
        Map<String, Tensor> state = TinySafeTensors.load(fixture("model.safetensors"));
        state.remove("bert.embeddings.position_ids");                               // a buffer qkv does not keep
        m.loadStateDict(state, true);
        m.eval();
        return m;
    }

    @Test
    void huggingFaceCheckpointGivesTorchsLogits() throws Exception {
        Map<String, Object> expected = json("expected.json");
        Tensor ids = Tensor.fromArray(flatLongs(expected.get("input_ids")), 2, 6);
        Tensor types = Tensor.fromArray(flatLongs(expected.get("token_type_ids")), 2, 6);
        double[] ref = ((List<?>) expected.get("logits")).stream().mapToDouble(v -> ((Number) v).doubleValue()).toArray();
        BertForMaskedLM m = fixtureModel();
        assertEquals(new BertConfig(53, 32, 2, 4, 64, Activation.GELU, 16, 2, 1e-12, 0.1, 0.1, 0.02), m.config);
        // float32 within 1e-4 relative; float64 within 1e-8 (the reference ran in float64 on the float32 weights,
        // but expected.json keeps 9 significant digits)
        for (DType dtype : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
            m.to(dtype);
            double tol = dtype == DType.FLOAT32 ? 1e-4 : 1e-8;
            try (var s = Autograd.noGrad()) {
                Tensor logits = m.forward(ids, types, Tensor.onesLike(ids));
                assertArrayEquals(new int[] {2, 6, 53}, logits.shape());
                double[] got = logits.toDoubleArray();
                double worst = 0;
                for (int i = 0; i < ref.length; i++) {
                    double rel = Math.abs(got[i] - ref[i]) / Math.max(1, Math.abs(ref[i]));
                    assertTrue(rel <= tol, dtype + " logit " + i + ": " + got[i] + " vs " + ref[i]);
                    worst = Math.max(worst, rel);
                }
                System.out.println("BERT fixture logits, " + dtype + ", largest relative error: " + worst);
            }
        }
    }

    @Test
    void rightPaddingDoesNotChangeTheRealTokens() throws Exception {
        BertForMaskedLM m = fixtureModel();
        Tensor ids = Tensor.fromArray(new long[] {5, 9, 12, 40, 7}, 1, 5);
        Tensor padded = Tensor.fromArray(new long[] {5, 9, 12, 40, 7, 0, 0, 0, 3, 3, 3, 3, 3, 3, 3, 3}, 2, 8);
        Tensor mask = Tensor.fromArray(new long[] {1, 1, 1, 1, 1, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1}, 2, 8);
        try (var s = Autograd.noGrad()) {
            Tensor alone = m.bert.forward(ids, null, null);                             // (1, 5, C)
            Tensor batched = m.bert.forward(padded, null, mask).narrow(0, 0, 1).narrow(1, 0, 5);
            assertTrue(batched.contiguous().allClose(alone, 1e-4, 1e-5), "padding is hidden from the real tokens");
            Tensor unmasked = m.bert.forward(padded, null, null).narrow(0, 0, 1).narrow(1, 0, 5);
            assertTrue(!unmasked.contiguous().allClose(alone, 1e-4, 1e-5), "without the mask the padding is seen");
        }
    }

    @Test
    void namesAreHuggingFacesAndTheDecoderIsTied() {
        BertConfig cfg = BertConfig.of(20, 8, 2, 2, 16, 10);
        BertForMaskedLM mlm = new BertForMaskedLM(cfg, new Generator(1));
        assertSame(mlm.bert.embeddings.wordEmbeddings.weight, mlm.cls.predictions.decoder.weight);
        Set<String> keys = mlm.stateDict().keySet();
        for (String k : List.of("bert.embeddings.word_embeddings.weight", "bert.embeddings.LayerNorm.bias",
                "bert.encoder.layer.1.attention.self.value.bias", "bert.encoder.layer.0.attention.output.LayerNorm.weight",
                "bert.encoder.layer.0.intermediate.dense.weight", "bert.encoder.layer.1.output.dense.bias",
                "cls.predictions.transform.dense.weight", "cls.predictions.decoder.weight", "cls.predictions.bias")) {
            assertTrue(keys.contains(k), k + " in " + keys);
        }
        assertTrue(!mlm.namedParameters().containsKey("cls.predictions.decoder.weight"), "a tied weight is listed once");
        BertForSequenceClassification clf = new BertForSequenceClassification(cfg, 3, new Generator(2));
        assertTrue(clf.namedParameters().keySet().containsAll(List.of("bert.pooler.dense.weight", "classifier.bias")));
        // initialization: N(0, 0.02²) weights, zero biases
        double std = Math.sqrt(clf.bert.encoder.layer.get(0).intermediate.dense.weight.square().mean().item());
        assertEquals(0.02, std, 0.005);
        assertEquals(0.0, clf.classifier.bias.abs().sum().item());
    }

    @Test
    void configFromJsonUsesHuggingFaceDefaultsAndRejectsUnknownActivations() {
        BertConfig base = BertConfig.fromJson(Map.of());
        assertEquals(BertConfig.bertBase(), base);
        assertEquals(Activation.GELU_TANH, BertConfig.fromJson(Map.of("hidden_act", "gelu_new")).hiddenAct());
        var e = assertThrows(IllegalArgumentException.class, () -> BertConfig.fromJson(Map.of("hidden_act", "mish")));
        assertTrue(e.getMessage().contains("mish"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> BertConfig.of(10, 10, 1, 3, 8, 4));
    }

    // ===================================================================== gradients

    private static BertConfig tinyNoDropout() {
        return new BertConfig(7, 4, 1, 2, 6, Activation.GELU, 5, 2, 1e-12, 0.0, 0.0, 0.5);
    }

    @Test
    void maskedLmGradientsIncludingTheTiedDecoder() {
        BertForMaskedLM m = new BertForMaskedLM(tinyNoDropout(), new Generator(3));
        m.to(DType.FLOAT64);
        try (var s = Autograd.noGrad()) {
            m.cls.predictions.bias.copy_(Tensor.randn(new Generator(4), 7).to(DType.FLOAT64));
        }
        Tensor ids = Tensor.fromArray(new long[] {1, 4, 6, 2, 3, 5, 0, 0}, 2, 4);
        Tensor types = Tensor.fromArray(new long[] {0, 0, 1, 1, 0, 1, 1, 1}, 2, 4);
        Tensor mask = Tensor.fromArray(new long[] {1, 1, 1, 1, 1, 1, 0, 0}, 2, 4);
        Tensor labels = Tensor.fromArray(new long[] {-100, 2, 5, -100, 6, -100, -100, -100}, 2, 4);
        ParamGradCheck.check("BertForMaskedLM", m, () -> m.loss(m.forward(ids, types, mask), labels));
    }

    @Test
    void classifierGradientsWithClassWeights() {
        BertForSequenceClassification m = new BertForSequenceClassification(tinyNoDropout(), 3, new Generator(5));
        m.to(DType.FLOAT64);
        Tensor ids = Tensor.fromArray(new long[] {1, 4, 6, 2, 1, 5, 3, 0}, 2, 4);
        Tensor mask = Tensor.fromArray(new long[] {1, 1, 1, 1, 1, 1, 1, 0}, 2, 4);
        Tensor weights = Tensor.fromArray(new double[] {0.5, 2.0, 1.0}, 3);
        ParamGradCheck.check("BertForSequenceClassification", m,
                () -> m.loss(m.forward(ids, null, mask), Tensor.ofLongs(1, 2), weights));
    }

    @Test
    void weightedLossIsTheWeightedMeanOfPerRowLosses() {
        BertForSequenceClassification m = new BertForSequenceClassification(tinyNoDropout(), 3, new Generator(6));
        Tensor logits = Tensor.fromArray(new float[] {0, 0, 0, 2, 0, 0, 0, 1, 0}, 3, 3);
        Tensor labels = Tensor.ofLongs(0, 0, -100);
        // row 0: −log(1/3) = 1.0986123; row 1: −log(e²/(e² + 2)) = log(1 + 2e⁻²) = 0.2395447; row 2 ignored.
        // weight of class 0 is 3: (3·1.0986123 + 3·0.2395447) / (3 + 3) = 0.6690785
        Tensor w = Tensor.of(3, 1, 1);
        assertEquals(0.6690785, m.loss(logits, labels, w).item(), 1e-6);
        Tensor labels2 = Tensor.ofLongs(0, 1, 1);
        // row 1 (class 1, weight 5): −log(1/(e² + 2)) = log(e² + 2) = 2.2395447; row 2: −log(e/(e + 2)) = 0.5514448
        // (1·1.0986123 + 5·2.2395447 + 5·0.5514448) / 11 = 15.0535598 / 11 = 1.3685054
        assertEquals(1.3685054, m.loss(logits, labels2, Tensor.of(1, 5, 1)).item(), 1e-6);
        // without weights: the plain mean
        assertEquals((1.0986123 + 2.2395447 + 0.5514448) / 3, m.loss(logits, labels2, null).item(), 1e-6);
    }

    // ===================================================================== training

    @Test
    void sequenceClassifierFitsATinyLabeledSet() {
        // label = 1 when token 7 occurs in the sequence; id 1 is [CLS], id 0 padding (last two positions of odd rows)
        long[][] rows = {{1, 3, 7, 4, 5, 2}, {1, 3, 4, 5, 2, 6}, {1, 7, 2, 2, 3, 0}, {1, 4, 4, 6, 5, 0},
                         {1, 5, 6, 3, 7, 2}, {1, 2, 3, 4, 5, 6}, {1, 6, 5, 7, 0, 0}, {1, 2, 6, 6, 0, 0}};
        long[] labels = {1, 0, 1, 0, 1, 0, 1, 0};
        long[] ids = new long[48];
        long[] mask = new long[48];
        for (int r = 0; r < 8; r++) {
            for (int t = 0; t < 6; t++) {
                ids[r * 6 + t] = rows[r][t];
                mask[r * 6 + t] = rows[r][t] == 0 ? 0 : 1;
            }
        }
        BertConfig cfg = new BertConfig(8, 16, 2, 2, 32, Activation.GELU, 8, 2, 1e-12, 0.0, 0.0, 0.02);
        BertForSequenceClassification m = new BertForSequenceClassification(cfg, 2, new Generator(7));
        Tensor x = Tensor.fromArray(ids, 8, 6);
        Tensor am = Tensor.fromArray(mask, 8, 6);
        Tensor y = Tensor.fromArray(labels, 8);
        AdamW opt = new AdamW(m.parameters(), 3e-3);
        double loss = Double.NaN;
        for (int step = 0; step < 80; step++) {
            Tensor l = m.loss(m.forward(x, null, am), y, null);
            opt.zeroGrad();
            l.backward();
            opt.step();
            loss = l.item();
        }
        assertTrue(loss < 0.05, "final loss " + loss);
        m.eval();
        try (var s = Autograd.noGrad()) {
            assertArrayEquals(labels, m.forward(x, null, am).argmax(1, false).toLongArray());
        }
    }

    @Test
    void maskedLmLossDecreasesOnATinyCorpus() {
        // 4 sentences over ids 2..11; id 1 is [MASK]; every third token is masked and must be predicted
        long[][] corpus = {{2, 3, 4, 5, 6, 7, 8, 9}, {9, 8, 7, 6, 5, 4, 3, 2}, {2, 4, 6, 8, 10, 2, 4, 6},
                           {11, 10, 11, 10, 11, 10, 11, 10}};
        long[] ids = new long[32];
        long[] labels = new long[32];
        for (int r = 0; r < 4; r++) {
            for (int t = 0; t < 8; t++) {
                boolean masked = (t + r) % 3 == 0;
                ids[r * 8 + t] = masked ? 1 : corpus[r][t];
                labels[r * 8 + t] = masked ? corpus[r][t] : -100;
            }
        }
        BertConfig cfg = new BertConfig(12, 16, 2, 2, 32, Activation.GELU, 8, 2, 1e-12, 0.1, 0.1, 0.02);
        BertForMaskedLM m = new BertForMaskedLM(cfg, new Generator(8));
        Tensor x = Tensor.fromArray(ids, 4, 8);
        Tensor y = Tensor.fromArray(labels, 4, 8);
        AdamW opt = new AdamW(m.parameters(), 5e-3);
        double first = Double.NaN;
        double last = Double.NaN;
        for (int step = 0; step < 60; step++) {
            Tensor l = m.loss(m.forward(x, null, null), y);
            opt.zeroGrad();
            l.backward();
            opt.step();
            if (step == 0) {
                first = l.item();
            }
            last = l.item();
        }
        assertTrue(first > 2.0, "an untrained model is near log(12) = 2.48, got " + first);
        assertTrue(last < 0.3 * first, "loss " + first + " -> " + last);
    }
}
