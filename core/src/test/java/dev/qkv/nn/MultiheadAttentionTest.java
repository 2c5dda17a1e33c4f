package dev.qkv.nn;

import dev.qkv.autograd.Autograd;
import dev.qkv.tensor.DType;
import dev.qkv.tensor.Generator;
import dev.qkv.tensor.Tensor;
import dev.qkv.testing.GradCheck;
import dev.qkv.testing.Rand;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MultiheadAttentionTest {

    // ===================================================================== by hand

    /**
     * E = 2, two heads of width 1, every projection the identity, out_proj bias [0.5, −0.5];
     * self-attention over x = [[1, 0], [0, 1]] (L = 2, unbatched). Head h sees feature h only.
     */
    private static MultiheadAttention identityHeads() {
        MultiheadAttention m = new MultiheadAttention(2, 2, 0.0, true, new Generator(0));
        try (var s = Autograd.noGrad()) {
            m.inProjWeight.copy_(Tensor.fromArray(new float[] {1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1}, 6, 2));
            m.inProjBias.zero_();
            m.outProj.weight.copy_(Tensor.fromArray(new float[] {1, 0, 0, 1}, 2, 2));
            m.outProj.bias.copy_(Tensor.of(0.5f, -0.5f));
        }
        return m;
    }

    @Test
    void twoIdentityHeadsByHand() {
        MultiheadAttention m = identityHeads();
        Tensor x = Tensor.fromArray(new float[] {1, 0, 0, 1}, 2, 2);
        // head 0: q = k = v = feature 0 = [1, 0]; scale 1/√1. scores = q·kᵀ = [[1, 0], [0, 0]]
        //   row 0: softmax(1, 0) = [e/(e+1), 1/(e+1)] = [0.7310586, 0.2689414] -> out 0.7310586·1 + 0.2689414·0
        //   row 1: softmax(0, 0) = [0.5, 0.5]                                   -> out 0.5
        // head 1: feature 1 = [0, 1]. scores = [[0, 0], [0, 1]]
        //   row 0: [0.5, 0.5] -> out 0.5;   row 1: [0.2689414, 0.7310586] -> out 0.7310586
        // concat: [[0.7310586, 0.5], [0.5, 0.7310586]]; + out_proj bias [0.5, −0.5]
        // averaged weights: row 0 = ([0.7310586, 0.2689414] + [0.5, 0.5]) / 2 = [0.6155293, 0.3844707]
        //                   row 1 = ([0.5, 0.5] + [0.2689414, 0.7310586]) / 2 = [0.3844707, 0.6155293]
        double e = Math.E / (Math.E + 1);
        MultiheadAttention.Output o = m.forward(x, x, x);
        assertClose(new double[] {e + 0.5, 0.0, 1.0, e - 0.5}, o.output(), 1e-6);
        assertClose(new double[] {(e + 0.5) / 2, (1.5 - e) / 2, (1.5 - e) / 2, (e + 0.5) / 2}, o.weights(), 1e-6);
        // the fused path (no weights) gives the same output
        MultiheadAttention.Output fused = m.forward(x, x, x, null, false, null, true);
        assertNull(fused.weights());
        assertClose(new double[] {e + 0.5, 0.0, 1.0, e - 0.5}, fused.output(), 1e-6);
        // per-head weights: [nh, L, S]
        Tensor perHead = m.forward(x, x, x, null, true, null, false).weights();
        assertClose(new double[] {e, 1 - e, 0.5, 0.5, 0.5, 0.5, 1 - e, e}, perHead, 1e-6);
    }

    @Test
    void boolMaskTrueMeansNotAllowed() {
        MultiheadAttention m = identityHeads();
        Tensor x = Tensor.fromArray(new float[] {1, 0, 0, 1}, 2, 2);
        Tensor mask = Tensor.fromArray(new boolean[] {false, true, false, false}, 2, 2);   // query 0 may not see key 1
        // row 0 of both heads is now [1, 0]: head 0 out = v0[0] = 1, head 1 out = v1[0] = 0
        // -> output row 0 = [1, 0] + bias = [1.5, −0.5]; row 1 is unchanged: [0.5 + 0.5, 0.7310586 − 0.5]
        double e = Math.E / (Math.E + 1);
        double[] expected = {1.5, -0.5, 1.0, e - 0.5};
        for (boolean needWeights : new boolean[] {true, false}) {
            MultiheadAttention.Output o = m.forward(x, x, x, null, needWeights, mask, true);
            assertClose(expected, o.output(), 1e-6);
        }
        // the same through a float mask (−∞ at the hidden key) and through the key padding mask of key 1 for
        // a query set that is a single row
        Tensor floatMask = Tensor.fromArray(new float[] {0, Float.NEGATIVE_INFINITY, 0, 0}, 2, 2);
        assertClose(expected, m.forward(x, x, x, null, false, floatMask, true).output(), 1e-6);
        Tensor q0 = x.narrow(0, 0, 1);
        Tensor padKey1 = Tensor.fromArray(new boolean[] {false, true}, 2);
        assertClose(new double[] {1.5, -0.5}, m.forward(q0, x, x, padKey1, true, null, true).output(), 1e-6);
    }

    private static void assertClose(double[] expected, Tensor actual, double tol) {
        double[] a = actual.toDoubleArray();
        assertEquals(expected.length, a.length);
        for (int i = 0; i < a.length; i++) {
            assertEquals(expected[i], a[i], tol, "element " + i);
        }
    }

    // ===================================================================== PyTorch goldens

    private static final String GOLDEN = "/golden/nn/mha_golden.json";

    @Test
    void matchesPyTorchInDoublePrecision() {
        double worst = 0;
        for (Map<String, Object> c : TorchGolden.cases(GOLDEN)) {
            worst = Math.max(worst, runGolden(c, DType.FLOAT64, 1e-10, 1e-9));
        }
        System.out.println("MultiheadAttention goldens, largest float64 error: " + worst);
    }

    @Test
    void matchesPyTorchInSinglePrecision() {
        double worst = 0;
        for (Map<String, Object> c : TorchGolden.cases(GOLDEN)) {
            worst = Math.max(worst, runGolden(c, DType.FLOAT32, 1e-5, 1e-5));
        }
        System.out.println("MultiheadAttention goldens, largest float32 error: " + worst);
    }

    /** Loads one case's parameters by PyTorch name, runs forward and backward, compares everything. */
    private static double runGolden(Map<String, Object> c, DType dtype, double atol, double rtol) {
        String name = c.get("name") + " (" + dtype + ")";
        int e = TorchGolden.integer(c, "embed_dim");
        MultiheadAttention m = new MultiheadAttention(e, TorchGolden.integer(c, "num_heads"), 0.0, TorchGolden.flag(c, "bias"),
                TorchGolden.integer(c, "kdim"), TorchGolden.integer(c, "vdim"), TorchGolden.flag(c, "batch_first"), new Generator(0));
        m.loadStateDict(TorchGolden.tensors(c.get("params"), DType.FLOAT32), true);
        m.to(dtype);
        Map<String, Tensor> in = TorchGolden.tensors(c.get("inputs"), dtype);
        in.values().forEach(t -> t.requiresGrad(true));
        Tensor query = in.get("query");
        Tensor key = TorchGolden.flag(c, "self_attention") ? query : in.get("key");
        Tensor value = TorchGolden.flag(c, "self_attention") ? query : in.get("value");
        Tensor attnMask = c.containsKey("attn_mask") ? TorchGolden.tensor(c.get("attn_mask"), dtype) : null;
        Tensor padding = c.containsKey("key_padding_mask") ? TorchGolden.tensor(c.get("key_padding_mask"), dtype) : null;
        boolean needWeights = TorchGolden.flag(c, "need_weights");
        MultiheadAttention.Output o = m.forward(query, key, value, padding, needWeights, attnMask,
                TorchGolden.flag(c, "average_attn_weights"));

        double worst = TorchGolden.assertClose(name + " output", o.output(), c.get("output"), atol, rtol);
        Tensor loss = o.output().mul(TorchGolden.tensor(c.get("grad_output"), dtype)).sum();
        if (needWeights) {
            worst = Math.max(worst, TorchGolden.assertClose(name + " weights", o.weights(), c.get("weights"), atol, rtol));
            loss = loss.add(o.weights().mul(TorchGolden.tensor(c.get("grad_weights"), dtype)).sum());
        } else {
            assertNull(o.weights());
        }
        loss.backward();
        for (var g : TorchGolden.map(c.get("input_grads")).entrySet()) {
            worst = Math.max(worst, TorchGolden.assertClose(name + " d/d" + g.getKey(), in.get(g.getKey()).grad(), g.getValue(),
                    atol, rtol));
        }
        Map<String, Parameter> params = m.namedParameters();
        assertEquals(TorchGolden.map(c.get("param_grads")).keySet(), params.keySet(), name + ": parameter names");
        for (var g : TorchGolden.map(c.get("param_grads")).entrySet()) {
            worst = Math.max(worst, TorchGolden.assertClose(name + " d/d" + g.getKey(), params.get(g.getKey()).grad(),
                    g.getValue(), atol, rtol));
        }
        return worst;
    }

    // ===================================================================== gradient checks

    @Test
    void gradientsOfCrossAttentionWithMasksAndWeights() {
        Generator g = new Generator(11);
        MultiheadAttention m = new MultiheadAttention(6, 2, 0.0, true, 4, 3, true, g);
        m.to(DType.FLOAT64);
        Tensor q = Rand.uniform(g, -1, 1, 2, 3, 6);
        Tensor k = Rand.uniform(g, -1, 1, 2, 4, 4);
        Tensor v = Rand.uniform(g, -1, 1, 2, 4, 3);
        Tensor mask = Rand.uniform(g, -1, 1, 3, 4);
        Tensor padding = Tensor.fromArray(new boolean[] {false, false, true, false, false, false, false, true}, 2, 4);
        // through the attention weights (manual path) and through the output (fused path)
        GradCheck.check("mha output and weights", in -> {
            MultiheadAttention.Output o = m.forward(in[0], in[1], in[2], padding, true, mask, false);
            return Tensor.cat(List.of(o.output().reshape(-1), o.weights().reshape(-1)), 0);
        }, q, k, v);
        GradCheck.check("mha output (fused)", in -> m.forward(in[0], in[1], in[2], padding, false, mask, true).output(), q, k, v);
        ParamGradCheck.check("mha params (manual)", m, () -> {
            MultiheadAttention.Output o = m.forward(q, k, v, padding, true, mask, true);
            return Tensor.cat(List.of(o.output().reshape(-1), o.weights().reshape(-1)), 0);
        });
        ParamGradCheck.check("mha params (fused)", m, () -> m.forward(q, k, v, padding, false, mask, true).output());
    }

    @Test
    void gradientsOfPackedSelfAttentionSequenceFirstCausal() {
        Generator g = new Generator(12);
        MultiheadAttention m = new MultiheadAttention(4, 2, 0.0, false, g);
        m.to(DType.FLOAT64);
        Tensor x = Rand.uniform(g, -1, 1, 3, 2, 4);                                 // (L, B, E)
        GradCheck.check("self-attention", in -> m.forward(in[0], in[0], in[0], null, false, null, true, true).output(), x);
        ParamGradCheck.check("self-attention params", m,
                () -> m.forward(x, x, x, null, true, null, true, true).output());
    }

    // ===================================================================== behaviour

    @Test
    void parametersAreNamedAndInitializedAsPyTorch() {
        MultiheadAttention packed = new MultiheadAttention(8, 2, 0.0, false, new Generator(1));
        assertEquals(List.of("in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"),
                new ArrayList<>(packed.namedParameters().keySet()));
        assertArrayEquals(new int[] {24, 8}, packed.inProjWeight.shape());
        double bound = Math.sqrt(6.0 / (8 + 24));                                   // xavier over [3E, E]
        for (double w : packed.inProjWeight.toDoubleArray()) {
            assertTrue(Math.abs(w) <= bound, "in_proj_weight within the xavier bound");
        }
        assertEquals(0.0, packed.inProjBias.abs().sum().item());
        assertEquals(0.0, packed.outProj.bias.abs().sum().item());

        MultiheadAttention separate = new MultiheadAttention(8, 2, 0.0, false, 5, 3, true, new Generator(1));
        assertEquals(List.of("q_proj_weight", "k_proj_weight", "v_proj_weight", "out_proj.weight"),
                new ArrayList<>(separate.namedParameters().keySet()));
        assertArrayEquals(new int[] {8, 5}, separate.kProjWeight.shape());
        assertArrayEquals(new int[] {8, 3}, separate.vProjWeight.shape());
    }

    @Test
    void isCausalEqualsAnExplicitCausalMask() {
        MultiheadAttention m = new MultiheadAttention(8, 2, 0.0, true, new Generator(2));
        Tensor x = Tensor.randn(new Generator(3), 2, 5, 8);
        boolean[] hidden = new boolean[25];
        for (int i = 0; i < 5; i++) {
            for (int j = i + 1; j < 5; j++) {
                hidden[i * 5 + j] = true;
            }
        }
        Tensor causal = Tensor.fromArray(hidden, 5, 5);
        try (var s = Autograd.noGrad()) {
            Tensor expected = m.forward(x, x, x, null, true, causal, true).output();
            for (boolean needWeights : new boolean[] {true, false}) {
                Tensor got = m.forward(x, x, x, null, needWeights, null, true, true).output();
                assertTrue(got.allClose(expected, 1e-5, 1e-6), "isCausal, needWeights=" + needWeights);
            }
        }
    }

    @Test
    void aQueryWithEveryKeyHiddenGetsZerosNotNaN() {
        MultiheadAttention m = new MultiheadAttention(4, 2, 0.0, true, new Generator(4));
        Tensor q = Tensor.randn(new Generator(5), 1, 2, 4);
        Tensor kv = Tensor.randn(new Generator(6), 1, 3, 4);
        Tensor mask = Tensor.fromArray(new boolean[] {true, true, true, false, true, false}, 2, 3);  // row 0: nothing
        for (boolean needWeights : new boolean[] {true, false}) {
            MultiheadAttention.Output o = m.forward(q, kv, kv, null, needWeights, mask, true);
            // the attention of row 0 is zero, so its output is out_proj's bias (zero at init)
            for (double v : o.output().select(1, 0).toDoubleArray()) {
                assertEquals(0.0, v, 1e-7);
            }
            assertFalse(Double.isNaN(o.output().sum().item()));
        }
    }

    @Test
    void dropoutActsInTrainingOnly() {
        MultiheadAttention m = new MultiheadAttention(8, 2, 0.5, true, new Generator(7));
        Tensor x = Tensor.randn(new Generator(8), 2, 6, 8);
        try (var s = Autograd.noGrad()) {
            m.eval();
            Tensor evalOut = m.forward(x, x, x, null, false, null, true).output();
            Tensor evalManual = m.forward(x, x, x, null, true, null, true).output();
            assertTrue(evalOut.allClose(evalManual, 1e-5, 1e-6));
            m.train();
            Tensor trainOut = m.forward(x, x, x, null, false, null, true).output();
            assertFalse(trainOut.allClose(evalOut, 1e-3, 1e-3), "dropout changes the output in training");
            // dropped weights are zero, kept ones scaled by 1/(1 − p) = 2: rows no longer sum to 1
            Tensor w = m.forward(x, x, x, null, true, null, false).weights();   // (B, nh, L, S)
            assertFalse(w.sum(-1).allClose(Tensor.onesLike(w.sum(-1)), 1e-3, 1e-3));
        }
    }

    @Test
    void clearErrorsForWrongShapes() {
        MultiheadAttention m = new MultiheadAttention(8, 2, 0.0, true, new Generator(9));
        Tensor x = Tensor.zeros(2, 3, 8);
        var wrongWidth = assertThrows(IllegalArgumentException.class, () -> m.forward(x, Tensor.zeros(2, 3, 5), x));
        assertTrue(wrongWidth.getMessage().contains("kdim=8"), wrongWidth.getMessage());
        var wrongMask = assertThrows(IllegalArgumentException.class,
                () -> m.forward(x, x, x, null, true, Tensor.zeros(3, 4), true));
        assertTrue(wrongMask.getMessage().contains("[L, S] = [3, 3]"), wrongMask.getMessage());
        var wrongPadding = assertThrows(IllegalArgumentException.class,
                () -> m.forward(x, x, x, Tensor.fromArray(new boolean[3], 3), true, null, true));
        assertTrue(wrongPadding.getMessage().contains("[B, S] = [2, 3]"), wrongPadding.getMessage());
        var intMask = assertThrows(IllegalArgumentException.class,
                () -> m.forward(x, x, x, null, true, Tensor.zeros(DType.INT64, 3, 3), true));
        assertTrue(intMask.getMessage().contains("INT64"), intMask.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new MultiheadAttention(10, 3, 0.0, true, new Generator(0)));
    }
}
