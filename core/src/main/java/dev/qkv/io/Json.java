package dev.qkv.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A small strict JSON reader and writer (RFC 8259), for safetensors headers and Hugging Face
 * config.json / tokenizer.json files. No dependencies, no reflection, no data binding.
 *
 * <p>Values map to Java types as follows (the parser produces exactly these; the writer also
 * accepts any {@code Map}/{@code List}, Integer, Short, Byte and Float):
 * <pre>
 *   object  -> LinkedHashMap&lt;String, Object&gt;  (keys in document order; duplicates are an error)
 *   array   -> ArrayList&lt;Object&gt;
 *   string  -> String
 *   number  -> Long if written without fraction/exponent and within 64 bits, else Double
 *              (so 3 -> Long, 3.0 and 3e0 -> Double, 2^64 -> Double; non-finite is an error)
 *   true/false -> Boolean,  null -> null
 * </pre>
 *
 * <p>Because input may be hostile, the caller states the largest input it accepts, and nesting
 * is limited to {@link #MAX_DEPTH}. Every problem is a {@link JsonException} naming the
 * position.
 */
public final class Json {
    /** Deepest nesting of objects and arrays accepted by the parser and the writer. */
    public static final int MAX_DEPTH = 128;

    private Json() {
    }

    /** Parses a JSON text of at most {@code maxChars} characters. */
    public static Object parse(String text, int maxChars) {
        if (text.length() > maxChars) {
            throw new JsonException("input is " + text.length() + " characters, more than the limit of " + maxChars);
        }
        return new JsonParser(text).parseDocument();
    }

    /** Parses UTF-8 bytes (at most {@code maxBytes}); invalid UTF-8 is an error naming the byte. */
    public static Object parse(byte[] utf8, int maxBytes) {
        if (utf8.length > maxBytes) {
            throw new JsonException("input is " + utf8.length + " bytes, more than the limit of " + maxBytes);
        }
        return new JsonParser(decodeUtf8(utf8)).parseDocument();
    }

    /** Reads and parses a UTF-8 JSON file, refusing files larger than {@code maxBytes}. */
    public static Object parse(Path file, int maxBytes) throws IOException {
        long size = Files.size(file);
        if (size > maxBytes) {
            throw new JsonException(file + " is " + size + " bytes, more than the limit of " + maxBytes);
        }
        return parse(Files.readAllBytes(file), maxBytes);
    }

    /**
     * Strict UTF-8 decoding: malformed sequences, overlong forms and encoded surrogates are
     * errors rather than being replaced by U+FFFD (which would silently change names).
     */
    public static String decodeUtf8(byte[] bytes) {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length); // UTF-8 never has fewer bytes than UTF-16 chars
        CoderResult result = decoder.decode(in, out, true);
        if (!result.isError()) {
            result = decoder.flush(out);
        }
        if (result.isError()) {
            int at = in.position();
            String found = at < bytes.length ? " (byte 0x" + String.format("%02X", bytes[at] & 0xff) + ")" : "";
            throw new JsonException("invalid UTF-8" + found, at);
        }
        return out.flip().toString();
    }

    /** Compact JSON for a value built from the types listed in the class comment. */
    public static String write(Object value) {
        StringBuilder sb = new StringBuilder();
        JsonWriter.write(value, sb, 0, Integer.MAX_VALUE);
        return sb.toString();
    }

    /**
     * The start of a value's JSON, about {@code maxChars} long, ending in "..." if cut: for
     * naming a value in an error message without writing all of a huge one.
     */
    static String describe(Object value, int maxChars) {
        StringBuilder sb = new StringBuilder();
        JsonWriter.write(value, sb, 0, maxChars);
        return abbreviate(sb.toString(), maxChars);
    }

    /** A string as a JSON literal, cut to about {@code maxChars}: for naming values in error messages. */
    static String quote(String s, int maxChars) {
        String q = JsonWriter.quoteLenient(s.length() > maxChars ? s.substring(0, maxChars) : s);
        return s.length() > maxChars ? q.substring(0, q.length() - 1) + "...\"" : q;
    }

    static String abbreviate(String s, int maxChars) {
        return s.length() > maxChars ? s.substring(0, maxChars) + "..." : s;
    }
}
