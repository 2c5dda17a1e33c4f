package dev.qkv.io;

import dev.qkv.backend.cpu.CpuStorage;
import dev.qkv.tensor.DType;
import dev.qkv.tensor.Generator;
import dev.qkv.tensor.Layout;
import dev.qkv.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SafeTensorsRoundTripTest {
    @TempDir
    Path dir;

    static Tensor bytes(DType dtype, byte[] v, int... shape) {
        return Tensor.fromStorage(new CpuStorage.Bytes(v.clone(), dtype), Layout.contiguous(shape));
    }

    /** Same dtype and shape, a fresh row-major tensor, and the same values bit for bit. */
    static void assertSameTensor(Tensor expected, Tensor actual, String name) {
        assertEquals(expected.dtype(), actual.dtype(), name);
        assertArrayEquals(expected.shape(), actual.shape(), name);
        assertEquals(Layout.contiguous(expected.shape()), actual.layout(), name + ": a fresh row-major tensor");
        assertArrayEquals(RawValues.of(expected), RawValues.of(actual), name);
    }

    /** One tensor of every writable dtype, with extreme values, plus views, scalars and empties. */
    static Map<String, Tensor> everyKind() {
        Generator g = new Generator(7);
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("f32", Tensor.fromArray(new float[] {1.5f, -0.0f, Float.NaN, Float.POSITIVE_INFINITY,
                Float.MIN_VALUE, Float.intBitsToFloat(0x7f800001)}, 2, 3)); // the last: a signaling NaN
        m.put("f64", Tensor.fromArray(new double[] {Math.PI, -0.0, Double.NaN, Double.NEGATIVE_INFINITY,
                Double.MIN_VALUE, -Double.MAX_VALUE}, 3, 2));
        m.put("i64", Tensor.fromArray(new long[] {Long.MIN_VALUE, Long.MAX_VALUE, 0, -1, 1L << 53 | 1}, 5));
        m.put("view.i64.t", Tensor.fromArray(new long[] {1L << 53 | 1, -(1L << 62) - 3, 7, Long.MAX_VALUE - 1}, 2, 2).t());
        m.put("i32", Tensor.fromArray(new int[] {Integer.MIN_VALUE, Integer.MAX_VALUE, 0, -7}, 2, 2));
        m.put("i8", bytes(DType.INT8, new byte[] {-128, 127, 0, -1}, 4));
        m.put("u8", bytes(DType.UINT8, new byte[] {0, (byte) 255, (byte) 128, 1, 2, 3}, 1, 2, 3));
        m.put("bool", Tensor.fromArray(new boolean[] {true, false, true}, 3));
        // non-contiguous views: a transpose, a narrow that starts at a storage offset, a broadcast
        m.put("view.t", Tensor.randn(g, 3, 4).t());
        m.put("view.narrow", Tensor.fromArray(new long[] {0, 1, 2, 3, 4, 5, 6, 7, 8}, 3, 3).narrow(1, 1, 2));
        m.put("view.expand", Tensor.fromArray(new int[] {5, 6}, 2, 1).expand(2, 3));
        m.put("view.select", bytes(DType.UINT8, new byte[] {9, 8, 7, 6, 5, 4}, 2, 3).select(1, 2));
        m.put("view.bool.t", Tensor.fromArray(new boolean[] {true, false, false, true, true, false}, 2, 3).t());
        // 0-dim scalars and empty tensors
        m.put("scalar.f32", Tensor.scalar(2.75));
        m.put("scalar.i64", Tensor.fromArray(new long[] {-42}));
        m.put("scalar.bool", Tensor.fromArray(new boolean[] {true}));
        m.put("empty.f32", Tensor.zeros(0, 3));
        m.put("empty.i8", bytes(DType.INT8, new byte[0], 2, 0));
        m.put("empty.f64", Tensor.zeros(DType.FLOAT64, 0));
        return m;
    }

    @Test
    void everyWritableDtypeViewScalarAndEmptyTensorRoundTrips() throws IOException {
        Map<String, Tensor> tensors = everyKind();
        assertFalse(tensors.get("view.t").isContiguous(), "the test needs real views");
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", "pt");
        meta.put("note", "quotes \" and \\ and \n and \u00e9");
        Path f = dir.resolve("all.safetensors");
        SafeTensors.save(f, tensors, meta);

        Map<String, Tensor> back = SafeTensors.load(f);
        assertEquals(tensors.keySet(), back.keySet());
        for (String name : tensors.keySet()) {
            assertSameTensor(tensors.get(name), back.get(name), name);
        }
        // spelled out, for the values that a trip through double would change
        assertArrayEquals(new long[] {1L << 53 | 1, 7, -(1L << 62) - 3, Long.MAX_VALUE - 1}, RawValues.of(back.get("view.i64.t")));
        assertEquals(0x7f800001L, RawValues.of(back.get("f32"))[5], "signaling NaN kept bit for bit");
        assertArrayEquals(new long[] {7, 4}, RawValues.of(back.get("view.select")));
        assertArrayEquals(new long[] {1, 1, 0, 1, 0, 0}, RawValues.of(back.get("view.bool.t")));
        try (SafeTensorsFile file = SafeTensors.open(f)) {
            assertEquals(meta, file.metadata());
            assertEquals(DType.FLOAT32, file.dtype("view.t"));
            assertArrayEquals(new int[] {4, 3}, file.shape("view.t"));
            assertEquals(SafeTensorsDType.U8, file.info("view.select").dtype());
            assertArrayEquals(new long[] {0, 3}, file.info("empty.f32").shape());
        }
    }

    @Test
    void tensorsAreLaidOutWidestTypeFirstThenByNameLikeTheReference() throws IOException {
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("b.mask", Tensor.fromArray(new boolean[] {true}, 1));
        m.put("z.f32", Tensor.of(1f));
        m.put("a.f32", Tensor.of(2f, 3f));
        m.put("u8", bytes(DType.UINT8, new byte[] {1}, 1));
        m.put("ids", Tensor.ofLongs(4));
        m.put("\u00e9", Tensor.of(5f)); // after "z" in UTF-8 byte order
        m.put("d", Tensor.fromArray(new double[] {6}, 1));
        Path f = dir.resolve("order.safetensors");
        SafeTensors.save(f, m);
        try (SafeTensorsFile file = SafeTensors.open(f)) {
            assertEquals(List.of("ids", "d", "a.f32", "z.f32", "\u00e9", "u8", "b.mask"), file.names());
            long previousEnd = 0;
            for (String name : file.names()) {
                TensorInfo t = file.info(name);
                assertEquals(previousEnd, t.begin(), name + " follows the previous tensor");
                assertEquals(0, t.begin() % t.dtype().byteSize(), name + " is aligned to its element size");
                previousEnd = t.end();
            }
        }
    }

    /** The exact bytes of a small file, worked out by hand from the format. */
    @Test
    void exactBytesOfASmallFile() throws IOException {
        Path f = dir.resolve("small.safetensors");
        SafeTensors.save(f, Map.of("attn.0", Tensor.fromArray(new float[] {0, 1, 2, 3, 4, 5}, 1, 2, 3)));
        String json = "{\"attn.0\":{\"dtype\":\"F32\",\"shape\":[1,2,3],\"data_offsets\":[0,24]}}";
        assertEquals(64, json.length(), "already a multiple of 8: no padding");
        ByteBuffer expected = ByteBuffer.allocate(8 + 64 + 24).order(ByteOrder.LITTLE_ENDIAN);
        expected.putLong(64).put(json.getBytes(StandardCharsets.US_ASCII));
        for (int i = 0; i < 6; i++) {
            expected.putFloat(i);
        }
        assertArrayEquals(expected.array(), Files.readAllBytes(f));
    }

    @Test
    void headerIsPaddedWithSpacesToAMultipleOf8() throws IOException {
        Path f = dir.resolve("pad.safetensors");
        SafeTensors.save(f, Map.of("attn0", Tensor.of(1f)), Map.of("k", "v"));
        byte[] b = Files.readAllBytes(f);
        long n = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, n % 8);
        String header = new String(b, 8, (int) n, StandardCharsets.UTF_8);
        String json = "{\"__metadata__\":{\"k\":\"v\"},\"attn0\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}";
        assertEquals(json + " ".repeat((int) n - json.length()), header);
        assertTrue(n - json.length() > 0 && n - json.length() < 8);
        assertEquals(8 + n + 4, b.length);
    }

    @Test
    void emptyMapWritesAValidEmptyFile() throws IOException {
        Path f = dir.resolve("empty.safetensors");
        SafeTensors.save(f, Map.of());
        assertArrayEquals(new byte[] {8, 0, 0, 0, 0, 0, 0, 0, '{', '}', ' ', ' ', ' ', ' ', ' ', ' '}, Files.readAllBytes(f));
        assertEquals(Map.of(), SafeTensors.load(f));
    }

    @Test
    void tensorsThatRequireGradAreSavedByValue() throws IOException {
        Tensor w = Tensor.of(1f, 2f).requiresGrad(true);
        Tensor y = w.mul(3); // non-leaf
        Path f = dir.resolve("grad.safetensors");
        SafeTensors.save(f, Map.of("w", w, "y", y));
        assertArrayEquals(new float[] {3f, 6f}, SafeTensors.load(f).get("y").toFloatArray());
    }

    @Test
    void badArgumentsToSaveAreRejectedBeforeTheFileIsTouched() throws IOException {
        Path f = dir.resolve("keep.safetensors");
        SafeTensors.save(f, Map.of("a", Tensor.of(1f)));
        byte[] before = Files.readAllBytes(f);
        assertThrows(IllegalArgumentException.class, () -> SafeTensors.save(f, Map.of("__metadata__", Tensor.of(1f))));
        Map<String, Tensor> nullTensor = new LinkedHashMap<>();
        nullTensor.put("x", null);
        assertThrows(IllegalArgumentException.class, () -> SafeTensors.save(f, nullTensor));
        Map<String, String> nullMeta = new LinkedHashMap<>();
        nullMeta.put("k", null);
        assertThrows(IllegalArgumentException.class, () -> SafeTensors.save(f, Map.of(), nullMeta));
        assertThrows(IllegalArgumentException.class, () -> SafeTensors.save(f, Map.of("lone \uD800", Tensor.of(1f))));
        assertArrayEquals(before, Files.readAllBytes(f));
        try (var files = Files.list(dir)) {
            assertEquals(1, files.count(), "no temporary files");
        }
    }

    @Test
    void largerTensorsSpanSeveralWriteChunks() throws IOException {
        Generator g = new Generator(3);
        Tensor big = Tensor.randn(g, 300, 700).t(); // 210,000 elements, non-contiguous
        Tensor ids = Tensor.randint(g, Long.MIN_VALUE / 2, Long.MAX_VALUE / 2, 70_001);
        Path f = dir.resolve("big.safetensors");
        SafeTensors.save(f, Map.of("big", big, "ids", ids));
        Map<String, Tensor> back = SafeTensors.load(f);
        assertSameTensor(big, back.get("big"), "big");
        assertSameTensor(ids, back.get("ids"), "ids");
    }
}
