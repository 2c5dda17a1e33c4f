package dev.qkv.nn;

import dev.qkv.io.Json;
import dev.qkv.tensor.DType;
import dev.qkv.tensor.Tensor;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Reads the PyTorch golden files of core/src/test/python/nn (see golden_util.py there): each
 * tensor is {"shape": [...], "data": [...]} with "dtype": "bool" for masks and "-inf" for
 * infinities; and compares tensors with a tolerance, reporting the largest error seen.
 */
final class TorchGolden {
    private TorchGolden() {
    }

    /** The "cases" of a golden file on the test classpath, e.g. "/golden/nn/mha_golden.json". */
    static List<Map<String, Object>> cases(String resource) {
        try (InputStream in = TorchGolden.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("golden file " + resource + " is missing from the test classpath; "
                        + "regenerate it with the scripts in core/src/test/python/nn");
            }
            Map<String, Object> root = map(Json.parse(in.readAllBytes(), 4 << 20));
            return ((List<?>) root.get("cases")).stream().map(TorchGolden::map).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Object o) {
        return (Map<String, Object>) o;
    }

    static int integer(Map<String, Object> m, String key) {
        return ((Number) m.get(key)).intValue();
    }

    static double number(Map<String, Object> m, String key) {
        return ((Number) m.get(key)).doubleValue();
    }

    static boolean flag(Map<String, Object> m, String key) {
        return (Boolean) m.get(key);
    }

    static int[] shape(Object tensor) {
        return ((List<?>) map(tensor).get("shape")).stream().mapToInt(v -> ((Number) v).intValue()).toArray();
    }

    static double[] values(Object tensor) {
        List<?> data = (List<?>) map(tensor).get("data");
        double[] v = new double[data.size()];
        for (int i = 0; i < v.length; i++) {
            Object x = data.get(i);
            v[i] = switch (x) {
                case Number n -> n.doubleValue();
                case String s when s.equals("-inf") -> Double.NEGATIVE_INFINITY;
                case String s when s.equals("inf") -> Double.POSITIVE_INFINITY;
                default -> throw new IllegalArgumentException("TorchGolden: unexpected value " + x);
            };
        }
        return v;
    }

    /** A golden tensor: BOOL for masks, else floating of the given dtype. */
    static Tensor tensor(Object json, DType floating) {
        double[] v = values(json);
        int[] shape = shape(json);
        if ("bool".equals(map(json).get("dtype"))) {
            boolean[] b = new boolean[v.length];
            for (int i = 0; i < v.length; i++) {
                b[i] = v[i] != 0;
            }
            return Tensor.fromArray(b, shape);
        }
        return Tensor.fromArray(v, shape).to(floating);
    }

    /** Every tensor of a {"name": tensor} object, in the given dtype. */
    static Map<String, Tensor> tensors(Object json, DType floating) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        map(json).forEach((k, v) -> out.put(k, tensor(v, floating)));
        return out;
    }

    /**
     * Fails unless |actual − expected| ≤ atol + rtol·|expected| everywhere (same shape);
     * returns the largest |actual − expected|.
     */
    static double assertClose(String what, Tensor actual, Object expected, double atol, double rtol) {
        assertArrayEquals(shape(expected), actual.shape(), what + ": shape");
        double[] a = actual.toDoubleArray();
        double[] e = values(expected);
        double worst = 0;
        for (int i = 0; i < a.length; i++) {
            double err = Math.abs(a[i] - e[i]);
            if (!(err <= atol + rtol * Math.abs(e[i]))) {
                fail(what + ": element " + i + " of shape " + Arrays.toString(actual.shape()) + " is " + a[i]
                        + ", expected " + e[i] + " (error " + err + ")");
            }
            worst = Math.max(worst, err);
        }
        return worst;
    }
}
