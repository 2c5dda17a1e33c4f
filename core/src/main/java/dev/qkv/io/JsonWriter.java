package dev.qkv.io;

import java.util.List;
import java.util.Map;

/**
 * Writes compact JSON (no spaces or newlines). It writes only what {@link JsonParser} accepts:
 * control characters are escaped, and unpaired surrogates, non-finite numbers, non-string keys,
 * unknown types and nesting deeper than {@link Json#MAX_DEPTH} (for example a map that contains
 * itself) are errors.
 */
final class JsonWriter {
    private JsonWriter() {
    }

    /**
     * Appends value as JSON. Once {@code out} is longer than {@code limit}, arrays and objects
     * stop early (the output is then cut short, for messages only); pass Integer.MAX_VALUE for
     * complete JSON.
     */
    static void write(Object value, StringBuilder out, int depth, int limit) {
        switch (value) {
            case null -> out.append("null");
            case String s when limit < Integer.MAX_VALUE -> // a message: cut, and never fail on a lone surrogate
                    quote(s.length() > limit ? s.substring(0, limit) : s, out, true);
            case String s -> quote(s, out, false);
            case Boolean b -> out.append(b);
            case Long l -> out.append(l);
            case Integer i -> out.append(i);
            case Short s -> out.append(s);
            case Byte b -> out.append(b);
            case Double d -> out.append(finite(d, d));
            case Float f -> out.append(finite(f, f)); // Float.toString: the shortest digits for the float
            case Map<?, ?> map -> writeObject(map, out, depth + 1, limit);
            case List<?> list -> writeArray(list, out, depth + 1, limit);
            default -> throw new JsonException("cannot write a " + value.getClass().getName() + " as JSON");
        }
    }

    private static void writeObject(Map<?, ?> map, StringBuilder out, int depth, int limit) {
        checkDepth(depth);
        out.append('{');
        boolean first = true;
        for (Map.Entry<?, ?> e : map.entrySet()) {
            if (!(e.getKey() instanceof String key)) {
                throw new JsonException("JSON object keys must be strings, found "
                        + (e.getKey() == null ? "null" : e.getKey().getClass().getName()));
            }
            if (!first) {
                out.append(',');
            }
            first = false;
            if (out.length() > limit) {
                return;
            }
            quote(key, out, false);
            out.append(':');
            write(e.getValue(), out, depth, limit);
        }
        out.append('}');
    }

    private static void writeArray(List<?> list, StringBuilder out, int depth, int limit) {
        checkDepth(depth);
        out.append('[');
        for (int i = 0; i < list.size(); i++) {
            if (i > 0) {
                out.append(',');
            }
            if (out.length() > limit) {
                return;
            }
            write(list.get(i), out, depth, limit);
        }
        out.append(']');
    }

    private static void checkDepth(int depth) {
        if (depth > Json.MAX_DEPTH) {
            throw new JsonException("cannot write JSON nested deeper than " + Json.MAX_DEPTH
                    + " levels (does a map or list contain itself?)");
        }
    }

    /** Double.toString and Float.toString already produce valid JSON numbers for finite values. */
    private static String finite(double value, Object boxed) {
        if (Double.isNaN(value) || Double.isInfinite(value)) {
            throw new JsonException("cannot write " + value + " as JSON: numbers must be finite");
        }
        return boxed.toString();
    }

    /** A JSON string literal for s; messages use the lenient form, which escapes lone surrogates. */
    static String quoteLenient(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 2);
        quote(s, sb, true);
        return sb.toString();
    }

    private static void quote(String s, StringBuilder out, boolean lenient) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                default -> {
                    if (c < 0x20) {
                        unicodeEscape(c, out);
                    } else if (Character.isSurrogate(c)) {
                        boolean paired = Character.isHighSurrogate(c) && i + 1 < s.length()
                                && Character.isLowSurrogate(s.charAt(i + 1));
                        if (paired) {
                            out.append(c).append(s.charAt(++i));
                        } else if (lenient) {
                            unicodeEscape(c, out);
                        } else {
                            throw new JsonException("cannot write a string with an unpaired surrogate (U+"
                                    + String.format("%04X", (int) c) + " at index " + i + ") as JSON");
                        }
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }

    private static void unicodeEscape(char c, StringBuilder out) {
        out.append(String.format("\\u%04x", (int) c));
    }
}
