package dev.qkv.nn;

import dev.qkv.autograd.Autograd;
import dev.qkv.tensor.DType;
import dev.qkv.tensor.Generator;
import dev.qkv.tensor.Tensor;
import dev.qkv.testing.GradCheck;
import dev.qkv.testing.Rand;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TransformerLayersTest {
    private static final String GOLDEN = "/golden/nn/transformer_golden.json";

    // ===================================================================== PyTorch goldens

    @Test
    void matchesPyTorchInDoublePrecision() {
        double worst = 0;
        for (Map<String, Object> c : TorchGolden.cases(GOLDEN)) {
            worst = Math.max(worst, runGolden(c, DType.FLOAT64, 1e-10, 1e-9));
        }
        System.out.println("Transformer layer goldens, largest float64 error: " + worst);
    }

    @Test
    void matchesPyTorchInSinglePrecision() {
        double worst = 0;
        for (Map<String, Object> c : TorchGolden.cases(GOLDEN)) {
            // float32 against float64 goldens: rounding accumulates through two layers' GEMMs,
            // softmax and layer norms, and its size depends on the kernels' summation order
            // (about 2.5e-5 to 3.5e-5 here). The float64 test above holds the math to 1e-10.
            worst = Math.max(worst, runGolden(c, DType.FLOAT32, 5e-5, 5e-5));
        }
        System.out.println("Transformer layer goldens, largest float32 error: " + worst);
    }

    /** One layer or stack built from the case's options, loaded by PyTorch names, in eval mode. */
    private static double runGolden(Map<String, Object> c, DType dtype, double atol, double rtol) {
        String name = c.get("name") + " (" + dtype + ")";
        Map<String, Object> o = TorchGolden.map(c.get("options"));
        int d = TorchGolden.integer(o, "d_model");
        Generator g = new Generator(0);
        java.util.function.Supplier<TransformerEncoderLayer> enc = () -> new TransformerEncoderLayer(d,
                TorchGolden.integer(o, "nhead"), TorchGolden.integer(o, "dim_feedforward"), TorchGolden.number(o, "dropout"),
                Activation.fromName((String) o.get("activation")), TorchGolden.number(o, "layer_norm_eps"),
                TorchGolden.flag(o, "batch_first"), TorchGolden.flag(o, "norm_first"), g);
        java.util.function.Supplier<TransformerDecoderLayer> dec = () -> new TransformerDecoderLayer(d,
                TorchGolden.integer(o, "nhead"), TorchGolden.integer(o, "dim_feedforward"), TorchGolden.number(o, "dropout"),
                Activation.fromName((String) o.get("activation")), TorchGolden.number(o, "layer_norm_eps"),
                TorchGolden.flag(o, "batch_first"), TorchGolden.flag(o, "norm_first"), g);
        int layers = TorchGolden.integer(c, "num_layers");
        LayerNorm norm = TorchGolden.flag(c, "final_norm") ? new LayerNorm(d) : null;
        Module module = switch ((String) c.get("kind")) {
            case "encoder_layer" -> enc.get();
            case "decoder_layer" -> dec.get();
            case "encoder" -> new TransformerEncoder(enc, layers, norm);
            case "decoder" -> new TransformerDecoder(dec, layers, norm);
            default -> throw new IllegalArgumentException("unknown kind " + c.get("kind"));
        };
        module.loadStateDict(TorchGolden.tensors(c.get("params"), DType.FLOAT32), true);
        module.to(dtype).eval();
        Map<String, Tensor> in = TorchGolden.tensors(c.get("inputs"), dtype);
        in.values().forEach(t -> t.requiresGrad(true));
        Map<String, Tensor> masks = TorchGolden.tensors(c.get("masks"), dtype);
        Tensor out = switch (module) {
            case TransformerEncoderLayer l -> l.forward(in.get("src"), masks.get("src_mask"),
                    masks.get("src_key_padding_mask"));
            case TransformerEncoder e -> e.forward(in.get("src"), masks.get("src_mask"),
                    masks.get("src_key_padding_mask"), false);
            case TransformerDecoderLayer l -> l.forward(in.get("tgt"), in.get("memory"), masks.get("tgt_mask"),
                    masks.get("memory_mask"), masks.get("tgt_key_padding_mask"), masks.get("memory_key_padding_mask"), false);
            case TransformerDecoder e -> e.forward(in.get("tgt"), in.get("memory"), masks.get("tgt_mask"),
                    masks.get("memory_mask"), masks.get("tgt_key_padding_mask"), masks.get("memory_key_padding_mask"), false);
            default -> throw new IllegalStateException();
        };
        double worst = TorchGolden.assertClose(name + " output", out, c.get("output"), atol, rtol);
        out.mul(TorchGolden.tensor(c.get("grad_output"), dtype)).sum().backward();
        for (var e : TorchGolden.map(c.get("input_grads")).entrySet()) {
            worst = Math.max(worst, TorchGolden.assertClose(name + " d/d" + e.getKey(), in.get(e.getKey()).grad(), e.getValue(),
                    atol, rtol));
        }
        Map<String, Parameter> params = module.namedParameters();
        assertEquals(TorchGolden.map(c.get("param_grads")).keySet(), params.keySet(), name + ": parameter names");
        for (var e : TorchGolden.map(c.get("param_grads")).entrySet()) {
            worst = Math.max(worst, TorchGolden.assertClose(name + " d/d" + e.getKey(), params.get(e.getKey()).grad(),
                    e.getValue(), atol, rtol));
        }
        return worst;
    }

    // ===================================================================== gradient checks

    @Test
    void encoderLayerGradients() {
        for (boolean normFirst : new boolean[] {false, true}) {
            Generator g = new Generator(21);
            TransformerEncoderLayer layer = new TransformerEncoderLayer(4, 2, 6, 0.0, Activation.GELU, 1e-5, true,
                    normFirst, g);
            layer.to(DType.FLOAT64);
            ModuleGradCheck.check("encoder layer, normFirst=" + normFirst, layer, Rand.uniform(g, -1, 1, 2, 3, 4));
        }
    }

    @Test
    void decoderLayerGradientsWithMasks() {
        Generator g = new Generator(22);
        TransformerDecoderLayer layer = new TransformerDecoderLayer(4, 2, 6, 0.0, Activation.RELU, 1e-5, true, false, g);
        layer.to(DType.FLOAT64);
        Tensor tgt = Rand.uniform(g, -1, 1, 2, 3, 4);
        Tensor memory = Rand.uniform(g, -1, 1, 2, 4, 4);
        Tensor memoryPadding = Tensor.fromArray(new boolean[] {false, false, false, true, false, false, true, true}, 2, 4);
        GradCheck.check("decoder layer inputs",
                in -> layer.forward(in[0], in[1], null, null, null, memoryPadding, true), tgt, memory);
        ParamGradCheck.check("decoder layer parameters", layer,
                () -> layer.forward(tgt, memory, null, null, null, memoryPadding, true));
    }

    // ===================================================================== behaviour

    @Test
    void parameterNamesArePyTorchs() {
        TransformerDecoder dec = new TransformerDecoder(
                () -> new TransformerDecoderLayer(8, 2, 16, 0.1, Activation.RELU, 1e-5, true, true, new Generator(1)),
                2, new LayerNorm(8));
        var names = dec.namedParameters().keySet();
        for (String n : List.of("layers.0.self_attn.in_proj_weight", "layers.1.multihead_attn.out_proj.bias",
                "layers.0.linear1.weight", "layers.1.linear2.bias", "layers.0.norm3.weight", "norm.bias")) {
            assertTrue(names.contains(n), n + " in " + names);
        }
        // 2 layers · (2 attentions · (3·64 + 3·8 + 64 + 8) + (8·16 + 16) + (16·8 + 8) + 3 norms · 16) + final norm 16
        assertEquals(2 * (2 * (192 + 24 + 64 + 8) + 144 + 136 + 48) + 16, dec.numParameters());
    }

    @Test
    void tgtIsCausalEqualsAnExplicitCausalMask() {
        TransformerDecoderLayer layer = new TransformerDecoderLayer(8, 2, 16, 0.0, Activation.GELU, 1e-5, false, true,
                new Generator(3));
        Tensor tgt = Tensor.randn(new Generator(4), 5, 2, 8);                       // (T, B, E)
        Tensor memory = Tensor.randn(new Generator(5), 6, 2, 8);                    // (S, B, E)
        boolean[] hidden = new boolean[25];
        for (int i = 0; i < 5; i++) {
            for (int j = i + 1; j < 5; j++) {
                hidden[i * 5 + j] = true;
            }
        }
        try (var s = Autograd.noGrad()) {
            Tensor explicit = layer.forward(tgt, memory, Tensor.fromArray(hidden, 5, 5), null, null, null, false);
            Tensor flagged = layer.forward(tgt, memory, null, null, null, null, true);
            assertTrue(flagged.allClose(explicit, 1e-5, 1e-6));
            // causal: the first position's output does not depend on later targets
            Tensor changed = tgt.clone();
            changed.narrow(0, 3, 2).fill_(7);
            Tensor again = layer.forward(changed, memory, null, null, null, null, true);
            assertTrue(again.narrow(0, 0, 3).allClose(flagged.narrow(0, 0, 3), 1e-5, 1e-6));
        }
    }

    @Test
    void unbatchedInputEqualsABatchOfOne() {
        TransformerEncoderLayer layer = new TransformerEncoderLayer(8, 4, 16, 0.0, Activation.RELU, 1e-5, true, false,
                new Generator(6));
        Tensor x = Tensor.randn(new Generator(7), 5, 8);
        try (var s = Autograd.noGrad()) {
            Tensor one = layer.forward(x);
            Tensor batched = layer.forward(x.unsqueeze(0)).squeeze(0);
            assertTrue(one.allClose(batched, 1e-5, 1e-6));
        }
    }

    @Test
    void dropoutActsInTrainingOnly() {
        TransformerEncoder enc = new TransformerEncoder(
                () -> new TransformerEncoderLayer(8, 2, 16, 0.3, Activation.RELU, 1e-5, true, true, new Generator(8)),
                2, new LayerNorm(8));
        Tensor x = Tensor.randn(new Generator(9), 2, 4, 8);
        try (var s = Autograd.noGrad()) {
            enc.eval();
            Tensor a = enc.forward(x);
            assertTrue(a.allClose(enc.forward(x)), "eval mode is deterministic");
            enc.train();
            assertFalse(enc.forward(x).allClose(a, 1e-3, 1e-3), "dropout changes the output in training");
        }
    }
}
