package dev.qkv.io;

import dev.qkv.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Reads a file written from PyTorch's own bytes by
 * {@code core/src/test/python/io/make_safetensors_fixtures.py} and compares every value with
 * what torch computed: floats bit for bit (F16 and BF16 against torch's {@code .float()}).
 */
class SafeTensorsTorchFixtureTest {
    private static Path resource(String name) throws URISyntaxException {
        return Path.of(SafeTensorsTorchFixtureTest.class.getResource("/io/" + name).toURI());
    }

    @Test
    @SuppressWarnings("unchecked")
    void everyTensorMatchesTorch() throws IOException, URISyntaxException {
        Map<String, Object> doc = (Map<String, Object>) Json.parse(resource("torch_fixture_expected.json"), 1 << 20);
        Map<String, Object> expected = (Map<String, Object>) doc.get("tensors");
        try (SafeTensorsFile file = SafeTensors.open(resource("torch_fixture.safetensors"))) {
            assertEquals(new ArrayList<>(expected.keySet()), file.names(), "header order");
            assertEquals(Map.of("format", "pt", "written_by", "make_safetensors_fixtures.py"), file.metadata());
            for (String name : file.names()) {
                Map<String, Object> e = (Map<String, Object>) expected.get(name);
                Tensor t = file.tensor(name);
                assertEquals(e.get("dtype"), file.info(name).dtype().name(), name);
                assertEquals(file.info(name).dtype().loadsAs(), t.dtype(), name);
                assertArrayEquals(ints((List<Object>) e.get("shape")), t.shape(), name);
                if (e.containsKey("float32_bits")) {
                    long[] want = longs((List<Object>) e.get("float32_bits"));
                    // RawValues, not toFloatArray(): a trip through double would quiet the
                    // signaling NaNs of "bf16.nans" and hide what was read.
                    long[] got = RawValues.of(t);
                    assertEquals(want.length, got.length, name);
                    for (int i = 0; i < got.length; i++) {
                        assertEquals((int) want[i], (int) got[i], name + "[" + i + "]");
                    }
                } else if (e.containsKey("float64_bits")) {
                    assertArrayEquals(longs((List<Object>) e.get("float64_bits")), RawValues.of(t), name);
                } else {
                    // RawValues: toLongArray() rounds INT64 values beyond 2^53
                    assertArrayEquals(longs((List<Object>) e.get("values")), RawValues.of(t), name);
                }
            }
        }
    }

    @Test
    void theFixtureCoversEveryReadableDtype() throws IOException, URISyntaxException {
        try (SafeTensorsFile file = SafeTensors.open(resource("torch_fixture.safetensors"))) {
            List<SafeTensorsDType> seen = new ArrayList<>();
            for (String name : file.names()) {
                seen.add(file.info(name).dtype());
            }
            for (SafeTensorsDType d : SafeTensorsDType.values()) {
                assertTrue(seen.contains(d), "no " + d + " tensor in the fixture");
            }
        }
    }

    private static long[] longs(List<Object> values) {
        long[] out = new long[values.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = (Long) values.get(i);
        }
        return out;
    }

    private static int[] ints(List<Object> values) {
        int[] out = new int[values.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = Math.toIntExact((Long) values.get(i));
        }
        return out;
    }
}
