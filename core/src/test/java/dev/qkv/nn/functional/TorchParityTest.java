package dev.qkv.nn.functional;

import dev.qkv.tensor.Tensor;
import dev.qkv.testing.MiniJson;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Forward outputs and gradients in float32 against PyTorch 1.13 (golden/ops/ops.json, made by
 * core/src/test/python/ops/make_golden_ops.py). Each case feeds the same float32 inputs to the
 * qkv op, back-propagates the same upstream gradient, and requires
 * |qkv − torch| ≤ ATOL + RTOL·|torch| for the output and every gradient.
 */
class TorchParityTest {

    /** float32 carries ~6e-8 relative precision; 1e-5 leaves room for different summation orders. */
    static final double RTOL = 1e-5;
    static final double ATOL = 1e-6;

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> cases() throws IOException {
        try (InputStream in = TorchParityTest.class.getResourceAsStream("/golden/ops/ops.json")) {
            if (in == null) {
                fail("golden/ops/ops.json is missing from the test resources");
            }
            Map<String, Object> root = (Map<String, Object>) MiniJson.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
            return (List<Map<String, Object>>) root.get("cases");
        }
    }

    @SuppressWarnings("unchecked")
    private static int[] shape(Object arr) {
        return ((List<Double>) ((Map<String, Object>) arr).get("shape")).stream().mapToInt(Double::intValue).toArray();
    }

    @SuppressWarnings("unchecked")
    private static double[] data(Object arr) {
        return ((List<Double>) ((Map<String, Object>) arr).get("data")).stream().mapToDouble(Double::doubleValue).toArray();
    }

    /** A float32 tensor (the golden values are float32 numbers written in their shortest form). */
    private static Tensor f32(Object arr) {
        double[] d = data(arr);
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) {
            f[i] = (float) d[i];
        }
        return Tensor.fromArray(f, shape(arr));
    }

    private static Tensor i64(Object arr) {
        return Tensor.fromArray(Arrays.stream(data(arr)).mapToLong(v -> (long) v).toArray(), shape(arr));
    }

    private static int[] ints(Object list) {
        @SuppressWarnings("unchecked")
        List<Double> l = (List<Double>) list;
        return l.stream().mapToInt(Double::intValue).toArray();
    }

    private static double num(Map<String, Object> args, String key) {
        return (Double) args.get(key);
    }

    /** The qkv computation of one golden case. */
    @SuppressWarnings("unchecked")
    private static Tensor run(Map<String, Object> c, Tensor[] x) {
        Map<String, Object> a = (Map<String, Object>) c.get("args");
        return switch ((String) c.get("op")) {
            case "matmul" -> x[0].matmul(x[1]);
            case "softmax" -> F.softmax(x[0], (int) num(a, "dim"));
            case "logSoftmax" -> F.logSoftmax(x[0], (int) num(a, "dim"));
            case "layerNorm" -> F.layerNorm(x[0], ints(a.get("normalizedShape")), x[1], x[2], num(a, "eps"));
            case "rmsNorm" -> F.rmsNorm(x[0], ints(a.get("normalizedShape")), x[1], num(a, "eps"));
            case "gelu" -> x[0].gelu(a.get("approximate").equals("tanh"));
            case "crossEntropy" -> F.crossEntropy(x[0], i64(c.get("targets")), Reduction.MEAN,
                    (int) num(a, "ignoreIndex"), num(a, "labelSmoothing"));
            case "nllLoss" -> F.nllLoss(x[0], i64(c.get("targets")), Reduction.MEAN, (int) num(a, "ignoreIndex"));
            case "bce" -> F.binaryCrossEntropyWithLogits(x[0], x[1], x.length > 2 ? x[2] : null, Reduction.MEAN);
            default -> throw new IllegalArgumentException("unknown golden op " + c.get("op"));
        };
    }

    /** Largest |got − want| / (ATOL + RTOL·|want|): ≤ 1 passes. */
    private static double worst(String what, double[] got, double[] want, List<String> failures) {
        if (got.length != want.length) {
            failures.add(what + ": " + got.length + " values, expected " + want.length);
            return Double.POSITIVE_INFINITY;
        }
        double worst = 0;
        for (int i = 0; i < got.length; i++) {
            double ratio = Math.abs(got[i] - want[i]) / (ATOL + RTOL * Math.abs(want[i]));
            if (!(ratio <= 1)) {
                failures.add(what + " element " + i + ": qkv " + got[i] + " vs torch " + want[i]);
            }
            worst = Math.max(worst, ratio);
        }
        return worst;
    }

    @TestFactory
    List<DynamicTest> matchesPyTorch() throws IOException {
        List<DynamicTest> tests = new ArrayList<>();
        for (Map<String, Object> c : cases()) {
            tests.add(DynamicTest.dynamicTest((String) c.get("name"), () -> check(c)));
        }
        assertTrue(tests.size() >= 18, "the golden file lost cases: " + tests.size());
        return tests;
    }

    @SuppressWarnings("unchecked")
    private static void check(Map<String, Object> c) {
        List<Object> inputs = (List<Object>) c.get("inputs");
        List<Object> grads = (List<Object>) c.get("grads");
        Tensor[] x = new Tensor[inputs.size()];
        for (int i = 0; i < x.length; i++) {
            x[i] = f32(inputs.get(i)).requiresGrad(grads.get(i) != null);
        }
        Tensor out = run(c, x);
        assertArrayEquals(shape(c.get("output")), out.shape(), "output shape");
        List<String> failures = new ArrayList<>();
        worst("output", out.toDoubleArray(), data(c.get("output")), failures);
        out.backward(f32(c.get("upstream")));
        for (int i = 0; i < x.length; i++) {
            if (grads.get(i) != null) {
                assertArrayEquals(shape(grads.get(i)), x[i].grad().shape(), "gradient " + i + " shape");
                worst("gradient of input " + i, x[i].grad().toDoubleArray(), data(grads.get(i)), failures);
            }
        }
        if (!failures.isEmpty()) {
            fail(c.get("name") + ": " + failures.size() + " values outside " + RTOL + " rel / " + ATOL + " abs; first: "
                    + String.join("; ", failures.subList(0, Math.min(5, failures.size()))));
        }
    }

    @Test
    void miniJsonReadsWhatItShouldAndRejectsTheRest() {
        Object v = MiniJson.parse(" {\"a\": [1, -2.5e-3, true, null, \"x\\\"y\\u0041\"], \"b\": {}} ");
        assertEquals("{a=[1.0, -0.0025, true, null, x\"yA], b={}}", v.toString());
        assertThrows(IllegalArgumentException.class, () -> MiniJson.parse("[1, 2"));
        assertThrows(IllegalArgumentException.class, () -> MiniJson.parse("{\"a\" 1}"));
        assertThrows(IllegalArgumentException.class, () -> MiniJson.parse("[1] x"));
        assertThrows(IllegalArgumentException.class, () -> MiniJson.parse("[1.2.3]"));
        assertThrows(IllegalArgumentException.class, () -> MiniJson.parse("{\"a\": \"b"));
        assertThrows(IllegalArgumentException.class, () -> MiniJson.parse(""));
    }
}
