package dev.qkv.nn.functional;

import dev.qkv.tensor.Tensor;
import dev.qkv.testing.MiniJson;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * conv2d, max/avg pooling and batch norm in float32 against PyTorch 1.13 (golden/conv/conv.json,
 * made by core/src/test/python/conv/make_golden_conv.py): outputs, the gradient of every input
 * for the same upstream gradient, and batch norm's running statistics after the call.
 */
class ConvTorchParityTest {

    /** float32 with sums of up to ~50 products in a different order: 1e-5 relative is ample. */
    static final double RTOL = 1e-5;
    static final double ATOL = 1e-5;

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> cases() throws IOException {
        try (InputStream in = ConvTorchParityTest.class.getResourceAsStream("/golden/conv/conv.json")) {
            if (in == null) {
                fail("golden/conv/conv.json is missing from the test resources");
            }
            Map<String, Object> root = (Map<String, Object>) MiniJson.parse(new String(in.readAllBytes(),
                    StandardCharsets.UTF_8));
            return (List<Map<String, Object>>) root.get("cases");
        }
    }

    @SuppressWarnings("unchecked")
    private static Tensor f32(Object arr) {
        if (arr == null) {
            return null;
        }
        Map<String, Object> m = (Map<String, Object>) arr;
        int[] shape = ((List<Double>) m.get("shape")).stream().mapToInt(Double::intValue).toArray();
        List<Double> data = (List<Double>) m.get("data");
        float[] f = new float[data.size()];
        for (int i = 0; i < f.length; i++) {
            f[i] = data.get(i).floatValue();
        }
        return Tensor.fromArray(f, shape);
    }

    @SuppressWarnings("unchecked")
    private static int[] ints(Map<String, Object> args, String key) {
        return ((List<Double>) args.get(key)).stream().mapToInt(Double::intValue).toArray();
    }

    private static void assertClose(String what, Tensor want, Tensor got) {
        assertArrayEquals(want.shape(), got.shape(), what + ": shape");
        double[] w = want.toDoubleArray();
        double[] g = got.toDoubleArray();
        for (int i = 0; i < w.length; i++) {
            if (!(Math.abs(w[i] - g[i]) <= ATOL + RTOL * Math.abs(w[i]))) {
                fail(what + ": element " + i + " is " + g[i] + ", torch has " + w[i]);
            }
        }
    }

    @SuppressWarnings("unchecked")
    @TestFactory
    List<DynamicTest> matchesTorch() throws IOException {
        List<DynamicTest> tests = new ArrayList<>();
        for (Map<String, Object> c : cases()) {
            String name = (String) c.get("name");
            tests.add(DynamicTest.dynamicTest(name, () -> {
                Map<String, Object> args = (Map<String, Object>) c.get("args");
                List<Object> ins = (List<Object>) c.get("inputs");
                Tensor[] x = new Tensor[ins.size()];
                for (int i = 0; i < x.length; i++) {
                    x[i] = f32(ins.get(i));
                    if (x[i] != null) {
                        x[i].requiresGrad(true);
                    }
                }
                Tensor rm = f32(c.get("runningMeanBefore"));
                Tensor rv = f32(c.get("runningVarBefore"));
                Tensor out = switch ((String) c.get("op")) {
                    case "conv2d" -> Conv.conv2d(x[0], x[1], x[2], ints(args, "stride"), ints(args, "padding"),
                            ints(args, "dilation"), ((Double) args.get("groups")).intValue());
                    case "maxPool2d" -> Pool.maxPool2d(x[0], ints(args, "kernel"), ints(args, "stride"),
                            ints(args, "padding"), ints(args, "dilation"));
                    case "avgPool2d" -> Pool.avgPool2d(x[0], ints(args, "kernel"), ints(args, "stride"),
                            ints(args, "padding"), (Boolean) args.get("countIncludePad"));
                    case "batchNorm" -> BatchNorm.batchNorm(x[0], rm, rv, x[1], x[2], (Boolean) args.get("training"),
                            (Double) args.get("momentum"), (Double) args.get("eps"));
                    default -> throw new IllegalStateException("unknown op " + c.get("op"));
                };
                assertClose(name + ": output", f32(c.get("output")), out);
                out.backward(f32(c.get("upstream")));
                List<Object> grads = (List<Object>) c.get("grads");
                for (int i = 0; i < x.length; i++) {
                    if (x[i] == null) {
                        assertNull(grads.get(i));
                    } else {
                        assertClose(name + ": gradient of input " + i, f32(grads.get(i)), x[i].grad());
                    }
                }
                if (rm != null) {
                    assertClose(name + ": running mean", f32(c.get("runningMeanAfter")), rm);
                    assertClose(name + ": running var", f32(c.get("runningVarAfter")), rv);
                }
            }));
        }
        return tests;
    }
}
