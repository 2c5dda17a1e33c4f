package dev.qkv.io;

import dev.qkv.tensor.Tensor;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reading and writing the safetensors format of Hugging Face checkpoints.
 *
 * <h2>Format</h2>
 * <pre>
 *   8 bytes   N, the header length: unsigned 64-bit little-endian
 *   N bytes   header: UTF-8 JSON object
 *               {"__metadata__": {"key": "value", ...},                     (optional)
 *                "name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}, ...}
 *   rest      data buffer; a tensor's bytes are [begin, end) of it, little-endian, row-major
 * </pre>
 *
 * <h2>Reading</h2>
 * qkv reads BOOL, U8, I8, F16, BF16, I32, F32, F64 and I64, as qkv's BOOL, UINT8, INT8, FLOAT32,
 * FLOAT32, INT32, FLOAT32, FLOAT64 and INT64. F16 and BF16 are widened to FLOAT32 exactly (qkv
 * has no 16-bit float type); BOOL bytes other than 0 read as true. A file is untrusted input:
 * {@link #open} validates the whole header before anything is read, and every violation of
 * these rules is a {@link SafeTensorsException} naming the problem:
 * <ul>
 *   <li>the file has at least 8 bytes; N is at most 100,000,000 (the reference
 *       implementation's limit) and at most the file size minus 8;</li>
 *   <li>the header is valid UTF-8 and strict JSON ({@link Json}: no duplicate keys, nesting at
 *       most {@value Json#MAX_DEPTH}), and a JSON object;</li>
 *   <li>"__metadata__", if present, maps strings to strings;</li>
 *   <li>every other entry is an object with exactly "dtype" (one of the types above),
 *       "shape" (non-negative integers) and "data_offsets" (two non-negative integers,
 *       begin &le; end &le; size of the data buffer), and end &minus; begin equals the number
 *       of elements times the element size, computed without overflow;</li>
 *   <li>sorted by offset, the tensors cover the data buffer exactly: no overlaps, no holes,
 *       no trailing bytes (as the reference implementation requires).</li>
 * </ul>
 * A valid file may still hold a tensor qkv cannot load: more than
 * {@link SafeTensorsFile#MAX_ELEMENTS} elements. Opening it works; reading that tensor is a
 * SafeTensorsException.
 *
 * <h2>Writing</h2>
 * {@link #save} writes BOOL, UINT8, INT8, INT32, INT64, FLOAT32 and FLOAT64 tensors as the
 * matching type, each tensor's values in row-major order whatever its strides. The layout
 * follows the reference implementation, so the same tensors give the same bytes: tensors sorted
 * by element type, widest first (so every tensor is aligned to its element size), then by name;
 * the header lists "__metadata__" first and the tensors in that order, and is padded with
 * spaces to a multiple of 8 bytes. The file is replaced atomically ({@link AtomicFiles}): a
 * failed save leaves the previous file as it was.
 */
public final class SafeTensors {
    private SafeTensors() {
    }

    /** Opens a file for lazy reading (memory-mapped); close it when done. */
    public static SafeTensorsFile open(Path path) throws IOException {
        return SafeTensorsFile.open(path);
    }

    /** Reads every tensor of a file, in header order. */
    public static LinkedHashMap<String, Tensor> load(Path path) throws IOException {
        try (SafeTensorsFile file = open(path)) {
            LinkedHashMap<String, Tensor> out = new LinkedHashMap<>();
            for (String name : file.names()) {
                out.put(name, file.tensor(name));
            }
            return out;
        }
    }

    /** Saves tensors without metadata; see {@link #save(Path, Map, Map)}. */
    public static void save(Path path, Map<String, Tensor> tensors) throws IOException {
        save(path, tensors, null);
    }

    /**
     * Writes the tensors (any device, any strides) and an optional string metadata map (null
     * for none) to {@code path}, replacing it atomically. See the class comment for the layout.
     *
     * @throws IllegalArgumentException for a null or reserved ("__metadata__") name, a null
     *         tensor or metadata entry, or a string that JSON cannot hold (an unpaired surrogate)
     */
    public static void save(Path path, Map<String, Tensor> tensors, Map<String, String> metadata) throws IOException {
        List<Map.Entry<String, Tensor>> order = layoutOrder(tensors);
        Map<String, Object> header = new LinkedHashMap<>();
        if (metadata != null) {
            for (Map.Entry<String, String> e : metadata.entrySet()) {
                if (e.getKey() == null || e.getValue() == null) {
                    throw new IllegalArgumentException("save: metadata keys and values must not be null, found "
                            + e.getKey() + " -> " + e.getValue());
                }
            }
            header.put(SafeTensorsHeader.METADATA_KEY, new LinkedHashMap<>(metadata));
        }
        long offset = 0;
        for (Map.Entry<String, Tensor> e : order) {
            Tensor t = e.getValue();
            SafeTensorsDType dtype = SafeTensorsDType.forWriting(t.dtype());
            long bytes = (long) t.numel() * dtype.byteSize();
            List<Long> shape = new ArrayList<>();
            for (int d : t.shape()) {
                shape.add((long) d);
            }
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("dtype", dtype.name());
            entry.put("shape", shape);
            entry.put("data_offsets", List.of(offset, offset + bytes));
            header.put(e.getKey(), entry);
            offset += bytes;
        }
        byte[] json = headerBytes(header);
        AtomicFiles.write(path, out -> {
            out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(json.length).array());
            out.write(json);
            for (Map.Entry<String, Tensor> e : order) {
                TensorBytes.write(e.getValue(), out);
            }
        });
    }

    /** Widest element type first (the reference order), then by name in UTF-8 byte order. */
    private static List<Map.Entry<String, Tensor>> layoutOrder(Map<String, Tensor> tensors) {
        List<Map.Entry<String, Tensor>> order = new ArrayList<>();
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            if (e.getKey() == null || e.getValue() == null) {
                throw new IllegalArgumentException("save: names and tensors must not be null, found "
                        + e.getKey() + " -> " + e.getValue());
            }
            if (e.getKey().equals(SafeTensorsHeader.METADATA_KEY)) {
                throw new IllegalArgumentException("save: \"" + SafeTensorsHeader.METADATA_KEY
                        + "\" is reserved for the metadata map and cannot name a tensor");
            }
            order.add(Map.entry(e.getKey(), e.getValue()));
        }
        Comparator<Map.Entry<String, Tensor>> widestFirst = Comparator.comparing(
                (Map.Entry<String, Tensor> e) -> SafeTensorsDType.forWriting(e.getValue().dtype())).reversed();
        order.sort(widestFirst.thenComparing(e -> e.getKey().getBytes(StandardCharsets.UTF_8), Arrays::compareUnsigned));
        return order;
    }

    /** The header JSON padded with spaces to a multiple of 8, so the data buffer starts 8-aligned. */
    private static byte[] headerBytes(Map<String, Object> header) {
        byte[] json;
        try {
            json = Json.write(header).getBytes(StandardCharsets.UTF_8);
        } catch (JsonException e) {
            throw new IllegalArgumentException("save: " + e.getMessage(), e);
        }
        int padded = (json.length + 7) / 8 * 8;
        if (padded > SafeTensorsHeader.MAX_HEADER_BYTES) {
            throw new IllegalArgumentException("save: the header would be " + padded + " bytes, more than the "
                    + SafeTensorsHeader.MAX_HEADER_BYTES + " that readers accept");
        }
        byte[] out = Arrays.copyOf(json, padded);
        Arrays.fill(out, json.length, padded, (byte) ' ');
        return out;
    }
}
