package dev.qkv.models.bert;

import dev.qkv.io.Json;
import dev.qkv.tensor.Tensor;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A test-only reader of small safetensors files (the project's reader lives in dev.qkv.io on
 * another branch): an 8-byte little-endian header length, a JSON header mapping each name to
 * {dtype, shape, data_offsets}, then the raw little-endian data. F32 and I64 only.
 */
final class TinySafeTensors {
    private TinySafeTensors() {
    }

    @SuppressWarnings("unchecked")
    static Map<String, Tensor> load(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int headerLength = Math.toIntExact(buf.getLong(0));
        byte[] header = java.util.Arrays.copyOfRange(bytes, 8, 8 + headerLength);
        Map<String, Object> entries = (Map<String, Object>) Json.parse(header, headerLength);
        int dataStart = 8 + headerLength;
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (var e : entries.entrySet()) {
            if (e.getKey().equals("__metadata__")) {
                continue;
            }
            Map<String, Object> info = (Map<String, Object>) e.getValue();
            int[] shape = ((List<Object>) info.get("shape")).stream().mapToInt(v -> ((Number) v).intValue()).toArray();
            List<Object> offsets = (List<Object>) info.get("data_offsets");
            int begin = dataStart + ((Number) offsets.get(0)).intValue();
            int end = dataStart + ((Number) offsets.get(1)).intValue();
            ByteBuffer data = ByteBuffer.wrap(bytes, begin, end - begin).slice().order(ByteOrder.LITTLE_ENDIAN);
            out.put(e.getKey(), switch ((String) info.get("dtype")) {
                case "F32" -> {
                    float[] v = new float[(end - begin) / 4];
                    data.asFloatBuffer().get(v);
                    yield Tensor.fromArray(v, shape);
                }
                case "I64" -> {
                    long[] v = new long[(end - begin) / 8];
                    data.asLongBuffer().get(v);
                    yield Tensor.fromArray(v, shape);
                }
                default -> throw new IllegalArgumentException("TinySafeTensors: unsupported dtype " + info.get("dtype")
                        + " of " + e.getKey());
            });
        }
        return out;
    }
}
