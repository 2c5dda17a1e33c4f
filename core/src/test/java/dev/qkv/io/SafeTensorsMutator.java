package dev.qkv.io;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Random damage to a valid safetensors file, for the fuzz test. Byte-level mutations (bit
 * flips, overwrites near the header, truncation, extension, a new header length, spliced JSON
 * fragments) find parser bugs; structured ones (a parsed header with one field changed,
 * re-serialized with a correct length) get past the JSON and probe the semantic checks.
 * Everything is drawn from the given Random, so a seed reproduces a case.
 */
final class SafeTensorsMutator {
    private static final String[] FRAGMENTS = {
        "-1", "0", "1", "8", "4294967296", "9223372036854775807", "18446744073709551616", "1e400", "0.5", "-0",
        "[]", "{}", "null", "true", "\"F16\"", "\"BF16\"", "\"I8\"", "\"BOOL\"", "\"XX\"", "[0,0]", "[0,1]", "[1,0]",
        "[0,4]", "\"__metadata__\"", "{\"a\":\"b\"}", "\"\\ud800\"", "\"\\u0000\"", "[[[[[[[[", "]", "}", ",", ":", "\"",
        "\\", "\"shape\"", "\"dtype\"", "\"data_offsets\"", "[".repeat(200), "{\"a\":".repeat(150),
        "{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}", "\u00e9", "\uD83D\uDE00",
    };
    private static final Object[] DTYPES = {"F32", "F16", "BF16", "F64", "I64", "I32", "I8", "U8", "BOOL", "U16", "", null, 3L};

    private final Random r;

    SafeTensorsMutator(Random r) {
        this.r = r;
    }

    byte[] mutate(byte[] file) {
        byte[] f = file;
        int rounds = 1 + r.nextInt(3);
        if (r.nextInt(3) == 0) {
            f = structured(f);
            rounds--; // a structured change alone is a good case: it keeps the JSON valid
        }
        for (int i = 0; i < rounds; i++) {
            f = switch (r.nextInt(6)) {
                case 0 -> flipBit(f);
                case 1 -> overwrite(f);
                case 2 -> Arrays.copyOf(f, f.length == 0 ? 0 : r.nextInt(f.length)); // truncate
                case 3 -> extend(f);
                case 4 -> setHeaderLength(f);
                default -> splice(f);
            };
        }
        return f;
    }

    // ------------------------------------------------------------------ byte level

    /** The header length the file claims, clamped to what is there. */
    private static int headerLength(byte[] f) {
        if (f.length < 8) {
            return 0;
        }
        long n = ByteBuffer.wrap(f).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        return (int) Math.max(0, Math.min(n, f.length - 8));
    }

    /** A position, mostly in the length field or header, where damage is most interesting. */
    private int target(byte[] f) {
        int header = 8 + headerLength(f);
        return r.nextInt(4) > 0 ? r.nextInt(Math.min(header, f.length)) : r.nextInt(f.length);
    }

    private byte[] flipBit(byte[] f) {
        if (f.length == 0) {
            return f;
        }
        byte[] out = f.clone();
        out[target(f)] ^= (byte) (1 << r.nextInt(8));
        return out;
    }

    private byte[] overwrite(byte[] f) {
        if (f.length == 0) {
            return f;
        }
        byte[] out = f.clone();
        byte[] useful = "{}[]\",:-0123456789eE.+ \\tnul".getBytes(StandardCharsets.US_ASCII);
        int at = target(f);
        for (int i = at; i < Math.min(out.length, at + 1 + r.nextInt(4)); i++) {
            out[i] = r.nextBoolean() ? useful[r.nextInt(useful.length)] : (byte) r.nextInt(256);
        }
        return out;
    }

    private byte[] extend(byte[] f) {
        byte[] out = Arrays.copyOf(f, f.length + 1 + r.nextInt(16));
        if (r.nextBoolean()) {
            for (int i = f.length; i < out.length; i++) {
                out[i] = (byte) r.nextInt(256);
            }
        }
        return out;
    }

    private byte[] setHeaderLength(byte[] f) {
        if (f.length < 8) {
            return f;
        }
        long n = headerLength(f);
        long[] choices = {0, n - 1, n + 1, n - 8, n + 8, f.length - 8, f.length, -1, 100_000_000, 100_000_001,
            r.nextInt(Integer.MAX_VALUE), r.nextLong()};
        byte[] out = f.clone();
        ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN).putLong(0, choices[r.nextInt(choices.length)]);
        return out;
    }

    /** Replaces a short span of the header with a JSON fragment and fixes the length field to match. */
    private byte[] splice(byte[] f) {
        int n = headerLength(f);
        if (f.length < 8 || n == 0) {
            return f;
        }
        int a = 8 + r.nextInt(n);
        int b = Math.min(8 + n, a + r.nextInt(8));
        byte[] frag = FRAGMENTS[r.nextInt(FRAGMENTS.length)].getBytes(StandardCharsets.UTF_8);
        byte[] out = new byte[f.length - (b - a) + frag.length];
        System.arraycopy(f, 0, out, 0, a);
        System.arraycopy(frag, 0, out, a, frag.length);
        System.arraycopy(f, b, out, a + frag.length, f.length - b);
        ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN).putLong(0, n - (b - a) + frag.length);
        return out;
    }

    // ------------------------------------------------------------------ structured

    @SuppressWarnings("unchecked")
    private byte[] structured(byte[] f) {
        int n = headerLength(f);
        Map<String, Object> header = (Map<String, Object>) Json.parse(new String(f, 8, n, StandardCharsets.UTF_8), n);
        byte[] data = Arrays.copyOfRange(f, 8 + n, f.length);
        List<String> names = new ArrayList<>(header.keySet());
        names.remove(SafeTensorsHeader.METADATA_KEY);
        int what = names.isEmpty() ? 6 : r.nextInt(8);
        String name = names.isEmpty() ? null : names.get(r.nextInt(names.size()));
        Map<String, Object> entry = name == null ? null : new LinkedHashMap<>((Map<String, Object>) header.get(name));
        switch (what) {
            case 0 -> entry.put("dtype", DTYPES[r.nextInt(DTYPES.length)]);
            case 1 -> {
                List<Object> shape = new ArrayList<>();
                for (int i = r.nextInt(5); i > 0; i--) {
                    shape.add(interesting(data.length, entry));
                }
                entry.put("shape", r.nextInt(10) == 0 ? "[1]" : shape);
            }
            case 2 -> {
                List<Object> offsets = new ArrayList<>();
                for (int i = r.nextInt(8) == 0 ? r.nextInt(4) : 2; i > 0; i--) {
                    offsets.add(interesting(data.length, entry));
                }
                entry.put("data_offsets", offsets);
            }
            case 3 -> entry.remove(List.of("dtype", "shape", "data_offsets").get(r.nextInt(3)));
            case 4 -> header.put(name + ".copy", entry); // same region twice: an overlap
            case 5 -> header.remove(name); // leaves a hole (or trailing bytes)
            case 6 -> header.put(SafeTensorsHeader.METADATA_KEY,
                    List.of(Map.of("k", 1L), List.of(), "x", Map.of("k", "v"), Map.of()).get(r.nextInt(5)));
            default -> entry.put("extra", 1L);
        }
        if (entry != null && what != 4 && what != 5) {
            header.put(name, entry);
        }
        byte[] json = (Json.write(header) + " ".repeat(r.nextInt(8))).getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(8 + json.length + data.length).order(ByteOrder.LITTLE_ENDIAN)
                .putLong(json.length).put(json).put(data).array();
    }

    /** A number near the values that matter: zero, the entry's offsets, the buffer size, overflow edges. */
    @SuppressWarnings("unchecked")
    private Object interesting(int dataLength, Map<String, Object> entry) {
        List<Object> offsets = (List<Object>) entry.getOrDefault("data_offsets", List.of(0L, 0L));
        long begin = offsets.isEmpty() || !(offsets.get(0) instanceof Long l) ? 0 : l;
        long[] choices = {0, 1, 2, 3, 4, 8, dataLength, dataLength - 1L, dataLength + 1L, begin, begin + 1, begin - 1,
            Integer.MAX_VALUE, 1L << 31, 1L << 32, 1L << 62, Long.MAX_VALUE, -1};
        return r.nextInt(20) == 0 ? (Object) 2.0 : (Object) choices[r.nextInt(choices.length)];
    }
}
