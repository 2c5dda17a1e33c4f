package dev.qkv.io;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads and validates the header of a safetensors file; see {@link SafeTensors} for the format
 * and the rules. Everything is checked before any tensor is read, so that a file that opens
 * can be read in full.
 *
 * @param dataStart byte position of the data buffer in the file: 8 + header length
 * @param tensors   the entries in header order
 * @param metadata  the "__metadata__" map, empty if absent
 */
record SafeTensorsHeader(long dataStart, List<TensorInfo> tensors, Map<String, String> metadata) {
    /** The reference implementation's limit on the header length, in bytes. */
    static final long MAX_HEADER_BYTES = 100_000_000L;

    static final String METADATA_KEY = "__metadata__";
    private static final Set<String> FIELDS = Set.of("dtype", "shape", "data_offsets");

    /** Parses and validates the header of {@code file} (the whole file's bytes). */
    static SafeTensorsHeader read(String source, MemorySegment file) throws SafeTensorsException {
        long fileSize = file.byteSize();
        if (fileSize < 8) {
            throw new SafeTensorsException(source, "the file is " + fileSize
                    + " bytes, too short for the 8-byte header length that starts a safetensors file");
        }
        long n = file.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0);
        if (n < 0 || n > MAX_HEADER_BYTES) { // n < 0: an unsigned length of 2^63 or more
            throw new SafeTensorsException(source, "header length " + Long.toUnsignedString(n) + " exceeds the limit of "
                    + MAX_HEADER_BYTES + " bytes (not a safetensors file, or a corrupt one)");
        }
        if (n > fileSize - 8) {
            throw new SafeTensorsException(source, "header length " + n + " runs past the end of the file ("
                    + fileSize + " bytes, so at most " + (fileSize - 8) + " after the length field)");
        }
        Object root = parseJson(source, file.asSlice(8, n).toArray(ValueLayout.JAVA_BYTE));
        if (!(root instanceof Map<?, ?> entries)) {
            throw new SafeTensorsException(source, "the header must be a JSON object, found " + describe(root));
        }
        long dataSize = fileSize - 8 - n;
        List<TensorInfo> tensors = new ArrayList<>();
        Map<String, String> metadata = Map.of();
        for (Map.Entry<?, ?> e : entries.entrySet()) {
            String name = (String) e.getKey(); // JSON object keys are strings
            if (name.equals(METADATA_KEY)) {
                metadata = readMetadata(source, e.getValue());
            } else {
                tensors.add(readEntry(source, name, e.getValue(), dataSize));
            }
        }
        checkCoverage(source, tensors, dataSize);
        return new SafeTensorsHeader(8 + n, Collections.unmodifiableList(tensors), metadata);
    }

    private static Object parseJson(String source, byte[] header) throws SafeTensorsException {
        String text;
        try {
            text = Json.decodeUtf8(header);
        } catch (JsonException e) {
            throw new SafeTensorsException(source, "the header is not valid UTF-8: bad byte at file position "
                    + (8 + e.position()), e);
        }
        try {
            return Json.parse(text, header.length);
        } catch (JsonException e) {
            String where = e.position() >= 0 ? " (positions count characters from the start of the header)" : "";
            throw new SafeTensorsException(source, "the header is not valid JSON: " + e.getMessage() + where, e);
        }
    }

    private static Map<String, String> readMetadata(String source, Object value) throws SafeTensorsException {
        if (!(value instanceof Map<?, ?> map)) {
            throw new SafeTensorsException(source, "\"" + METADATA_KEY + "\" must be an object of strings, found "
                    + describe(value));
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : map.entrySet()) {
            if (!(e.getValue() instanceof String s)) {
                throw new SafeTensorsException(source, "\"" + METADATA_KEY + "\" value for key "
                        + Json.quote((String) e.getKey(), 100) + " must be a string, found " + describe(e.getValue()));
            }
            out.put((String) e.getKey(), s);
        }
        return Collections.unmodifiableMap(out);
    }

    /** One tensor entry: {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}. */
    private static TensorInfo readEntry(String source, String name, Object value, long dataSize)
            throws SafeTensorsException {
        String t = "tensor " + Json.quote(name, 100);
        if (!(value instanceof Map<?, ?> fields)) {
            throw new SafeTensorsException(source, t + ": expected an object with \"dtype\", \"shape\" and "
                    + "\"data_offsets\", found " + describe(value));
        }
        for (Object key : fields.keySet()) {
            // The reference implementation ignores unknown fields; qkv refuses them, because a
            // field it does not understand (quantization parameters, say) could change what
            // the bytes mean.
            if (!FIELDS.contains(key)) {
                throw new SafeTensorsException(source, t + ": unknown field " + Json.quote((String) key, 100)
                        + " (an entry has exactly \"dtype\", \"shape\" and \"data_offsets\")");
            }
        }
        if (!(required(source, t, fields, "dtype") instanceof String dtypeName)) {
            throw new SafeTensorsException(source, t + ": \"dtype\" must be a string, found " + describe(fields.get("dtype")));
        }
        SafeTensorsDType dtype = SafeTensorsDType.fromName(dtypeName);
        if (dtype == null) {
            throw new SafeTensorsException(source, t + ": unsupported dtype " + Json.quote(dtypeName, 40)
                    + "; qkv reads " + Arrays.toString(SafeTensorsDType.values()));
        }
        long[] shape = nonNegativeLongs(source, t, "shape", required(source, t, fields, "shape"));
        long[] offsets = nonNegativeLongs(source, t, "data_offsets", required(source, t, fields, "data_offsets"));
        if (offsets.length != 2) {
            throw new SafeTensorsException(source, t + ": \"data_offsets\" must be [begin, end], found "
                    + describe(fields.get("data_offsets")));
        }
        long begin = offsets[0];
        long end = offsets[1];
        long bytes = byteSize(source, t, dtype, shape);
        if (begin > end) {
            throw new SafeTensorsException(source, t + ": data_offsets [" + begin + ", " + end + "] end before they begin");
        }
        if (end > dataSize) {
            throw new SafeTensorsException(source, t + ": data_offsets [" + begin + ", " + end
                    + "] reach past the end of the data buffer, which has " + dataSize + " bytes");
        }
        if (end - begin != bytes) {
            throw new SafeTensorsException(source, t + ": data_offsets [" + begin + ", " + end + "] hold " + (end - begin)
                    + " bytes, but " + dtype + " of shape " + Arrays.toString(shape) + " needs " + bytes + " bytes");
        }
        return new TensorInfo(name, dtype, shape, begin, end);
    }

    private static Object required(String source, String t, Map<?, ?> fields, String key) throws SafeTensorsException {
        if (!fields.containsKey(key)) {
            throw new SafeTensorsException(source, t + ": missing \"" + key + "\"");
        }
        return fields.get(key);
    }

    private static long[] nonNegativeLongs(String source, String t, String field, Object value) throws SafeTensorsException {
        if (!(value instanceof List<?> list)) {
            throw new SafeTensorsException(source, t + ": \"" + field + "\" must be a list of integers, found "
                    + describe(value));
        }
        long[] out = new long[list.size()];
        for (int i = 0; i < out.length; i++) {
            // Long: the JSON parser gives Long for every integer that fits 64 bits, Double otherwise
            if (!(list.get(i) instanceof Long v) || v < 0) {
                throw new SafeTensorsException(source, t + ": \"" + field + "\" must hold non-negative 64-bit integers, "
                        + "found " + describe(list.get(i)) + " in " + describe(value));
            }
            out[i] = v;
        }
        return out;
    }

    /** numel × element size, refusing shapes whose size overflows 64 bits. */
    private static long byteSize(String source, String t, SafeTensorsDType dtype, long[] shape)
            throws SafeTensorsException {
        try {
            long n = 1;
            for (long d : shape) {
                n = Math.multiplyExact(n, d);
            }
            return Math.multiplyExact(n, dtype.byteSize());
        } catch (ArithmeticException e) {
            throw new SafeTensorsException(source, t + ": " + dtype + " of shape " + Arrays.toString(shape)
                    + " has a byte size that overflows 64 bits");
        }
    }

    /**
     * Like the reference implementation, the tensors must tile the data buffer exactly: sorted
     * by offset, each begins where the previous one ended, and the last ends at the end of the
     * file. That rules out overlapping tensors (two names for one region), holes, and trailing
     * bytes that no tensor accounts for.
     */
    private static void checkCoverage(String source, List<TensorInfo> tensors, long dataSize) throws SafeTensorsException {
        List<TensorInfo> byOffset = new ArrayList<>(tensors);
        byOffset.sort(Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end));
        long covered = 0;
        TensorInfo previous = null;
        for (TensorInfo t : byOffset) {
            if (t.begin() < covered) {
                throw new SafeTensorsException(source, "tensors " + previous + " and " + t + " overlap");
            }
            if (t.begin() > covered) {
                throw new SafeTensorsException(source, "bytes [" + covered + ", " + t.begin() + ") of the data buffer "
                        + "belong to no tensor (a hole before " + t + "); the tensors must cover the buffer exactly");
            }
            covered = t.end();
            previous = t;
        }
        if (covered != dataSize) {
            throw new SafeTensorsException(source, "the data buffer has " + dataSize + " bytes but the tensors cover only "
                    + covered + "; the last " + (dataSize - covered) + " bytes belong to no tensor");
        }
    }

    /** A JSON value as it appeared, cut short: for naming the offending value in a message. */
    private static String describe(Object value) {
        return Json.describe(value, 60);
    }
}
