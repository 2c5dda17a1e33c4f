package dev.qkv.io;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A strict recursive-descent parser for RFC 8259 JSON. One instance parses one text.
 *
 * <p>Strict means: no comments, no trailing commas, no single quotes, no NaN/Infinity, no
 * leading zeros or '+' signs, only the four JSON whitespace characters, no raw control
 * characters or unpaired surrogates inside strings, no duplicate keys, and nothing but
 * whitespace after the value. Recursion depth is capped at {@link Json#MAX_DEPTH}, so hostile
 * input such as {@code [[[[...} ends in a {@link JsonException}, not a StackOverflowError.
 */
final class JsonParser {
    private final String text;
    private int pos;
    private int depth;

    JsonParser(String text) {
        this.text = text;
    }

    /** The single JSON value that makes up the whole text. */
    Object parseDocument() {
        skipWhitespace();
        if (pos == text.length()) {
            throw error("empty input: expected a JSON value");
        }
        Object value = parseValue();
        skipWhitespace();
        if (pos != text.length()) {
            throw error("unexpected " + describe(pos) + " after the JSON value");
        }
        return value;
    }

    private Object parseValue() {
        if (pos == text.length()) {
            throw error("unexpected end of input, expected a value");
        }
        char c = text.charAt(pos);
        return switch (c) {
            case '{' -> parseObject();
            case '[' -> parseArray();
            case '"' -> parseString();
            case 't' -> literal("true", Boolean.TRUE);
            case 'f' -> literal("false", Boolean.FALSE);
            case 'n' -> literal("null", null);
            default -> {
                if (c == '-' || (c >= '0' && c <= '9')) {
                    yield parseNumber();
                }
                throw error("unexpected " + describe(pos) + ", expected a value");
            }
        };
    }

    private Map<String, Object> parseObject() {
        enter();
        pos++; // '{'
        Map<String, Object> map = new LinkedHashMap<>();
        skipWhitespace();
        if (peek() == '}') {
            pos++;
            depth--;
            return map;
        }
        while (true) {
            skipWhitespace();
            if (peek() != '"') {
                throw error("unexpected " + describe(pos) + ", expected a string key");
            }
            int keyPos = pos;
            String key = parseString();
            skipWhitespace();
            expect(':');
            skipWhitespace();
            Object value = parseValue();
            // putIfAbsent would hide a null value; containsKey keeps the check exact.
            if (map.containsKey(key)) {
                throw new JsonException("duplicate key " + Json.quote(key, 60), keyPos);
            }
            map.put(key, value);
            skipWhitespace();
            char c = peek();
            pos++;
            if (c == '}') {
                depth--;
                return map;
            }
            if (c != ',') {
                pos--;
                throw error("unexpected " + describe(pos) + ", expected ',' or '}'");
            }
        }
    }

    private List<Object> parseArray() {
        enter();
        pos++; // '['
        List<Object> list = new ArrayList<>();
        skipWhitespace();
        if (peek() == ']') {
            pos++;
            depth--;
            return list;
        }
        while (true) {
            skipWhitespace();
            list.add(parseValue());
            skipWhitespace();
            char c = peek();
            pos++;
            if (c == ']') {
                depth--;
                return list;
            }
            if (c != ',') {
                pos--;
                throw error("unexpected " + describe(pos) + ", expected ',' or ']'");
            }
        }
    }

    private void enter() {
        if (++depth > Json.MAX_DEPTH) {
            throw error("nesting deeper than " + Json.MAX_DEPTH + " levels");
        }
    }

    private String parseString() {
        int start = pos;
        pos++; // opening quote
        StringBuilder sb = new StringBuilder();
        while (true) {
            if (pos == text.length()) {
                throw new JsonException("unterminated string starting", start);
            }
            char c = text.charAt(pos);
            if (c == '"') {
                pos++;
                return sb.toString();
            } else if (c == '\\') {
                parseEscape(sb);
            } else if (c < 0x20) {
                throw error("raw control character " + describe(pos) + " in a string (it must be escaped)");
            } else if (Character.isHighSurrogate(c)) {
                if (pos + 1 >= text.length() || !Character.isLowSurrogate(text.charAt(pos + 1))) {
                    throw error("unpaired high surrogate " + describe(pos) + " in a string");
                }
                sb.append(c).append(text.charAt(pos + 1));
                pos += 2;
            } else if (Character.isLowSurrogate(c)) {
                throw error("unpaired low surrogate " + describe(pos) + " in a string");
            } else {
                sb.append(c);
                pos++;
            }
        }
    }

    /** One escape sequence starting at the backslash; a \\u surrogate must come as a pair. */
    private void parseEscape(StringBuilder sb) {
        int start = pos;
        pos++; // backslash
        if (pos == text.length()) {
            throw new JsonException("unterminated escape sequence", start);
        }
        char c = text.charAt(pos++);
        switch (c) {
            case '"' -> sb.append('"');
            case '\\' -> sb.append('\\');
            case '/' -> sb.append('/');
            case 'b' -> sb.append('\b');
            case 'f' -> sb.append('\f');
            case 'n' -> sb.append('\n');
            case 'r' -> sb.append('\r');
            case 't' -> sb.append('\t');
            case 'u' -> {
                char u = hex4(start);
                if (Character.isHighSurrogate(u)) {
                    // The low half must follow immediately as another \\uXXXX escape.
                    if (!text.startsWith("\\u", pos)) {
                        throw new JsonException("escaped high surrogate \\u" + hex(u)
                                + " is not followed by an escaped low surrogate", start);
                    }
                    int lowStart = pos;
                    pos += 2;
                    char low = hex4(lowStart);
                    if (!Character.isLowSurrogate(low)) {
                        throw new JsonException("escaped high surrogate \\u" + hex(u) + " is followed by \\u"
                                + hex(low) + ", not by a low surrogate", start);
                    }
                    sb.append(u).append(low);
                } else if (Character.isLowSurrogate(u)) {
                    throw new JsonException("unpaired escaped low surrogate \\u" + hex(u), start);
                } else {
                    sb.append(u);
                }
            }
            default -> throw new JsonException("invalid escape sequence '\\" + printable(c) + "'", start);
        }
    }

    /** The four hex digits after "\\u" (pos is on the first digit). */
    private char hex4(int escapeStart) {
        if (pos + 4 > text.length()) {
            throw new JsonException("truncated \\u escape (needs 4 hex digits)", escapeStart);
        }
        int v = 0;
        for (int i = 0; i < 4; i++) {
            int d = Character.digit(text.charAt(pos + i), 16);
            // Character.digit also accepts non-ASCII digits; JSON allows only [0-9a-fA-F].
            if (d < 0 || text.charAt(pos + i) > 'f') {
                throw new JsonException("invalid \\u escape: " + describe(pos + i) + " is not a hex digit", escapeStart);
            }
            v = v * 16 + d;
        }
        pos += 4;
        return (char) v;
    }

    /**
     * A number: {@code -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?}. Without fraction or
     * exponent and within 64 bits it is a Long; otherwise a Double, which must be finite.
     */
    private Object parseNumber() {
        int start = pos;
        if (peek() == '-') {
            pos++;
        }
        if (peek() == '0') {
            pos++;
            if (isDigit(peek())) {
                throw new JsonException("leading zeros are not allowed in a number", start);
            }
        } else if (isDigit(peek())) {
            skipDigits();
        } else {
            throw error("unexpected " + describe(pos) + ", expected a digit");
        }
        boolean integral = true;
        if (peek() == '.') {
            pos++;
            integral = false;
            if (!isDigit(peek())) {
                throw error("unexpected " + describe(pos) + ", expected a digit after the decimal point");
            }
            skipDigits();
        }
        if (peek() == 'e' || peek() == 'E') {
            pos++;
            integral = false;
            if (peek() == '+' || peek() == '-') {
                pos++;
            }
            if (!isDigit(peek())) {
                throw error("unexpected " + describe(pos) + ", expected a digit in the exponent");
            }
            skipDigits();
        }
        String s = text.substring(start, pos);
        if (integral) {
            try {
                return Long.parseLong(s);
            } catch (NumberFormatException tooBig) {
                // fall through: an integer beyond 64 bits becomes a Double, like in JavaScript
            }
        }
        double d = Double.parseDouble(s);
        if (Double.isInfinite(d)) {
            throw new JsonException("number " + Json.abbreviate(s, 40) + " is too large for a double", start);
        }
        return d;
    }

    private void skipDigits() {
        while (isDigit(peek())) {
            pos++;
        }
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private Object literal(String word, Object value) {
        if (!text.startsWith(word, pos)) {
            throw error("unexpected " + describe(pos) + ", expected a value");
        }
        pos += word.length();
        return value;
    }

    private void expect(char c) {
        if (peek() != c) {
            throw error("unexpected " + describe(pos) + ", expected '" + c + "'");
        }
        pos++;
    }

    /** The current character, or U+0000 at the end (never valid where peek() is used). */
    private char peek() {
        return pos < text.length() ? text.charAt(pos) : '\0';
    }

    private void skipWhitespace() {
        while (pos < text.length()) {
            char c = text.charAt(pos);
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                return;
            }
            pos++;
        }
    }

    private JsonException error(String message) {
        return new JsonException(message, pos);
    }

    /** "end of input" or the character at i, readable even if it is a control character. */
    private String describe(int i) {
        if (i >= text.length()) {
            return "end of input";
        }
        char c = text.charAt(i);
        return "character '" + printable(c) + "'";
    }

    private static String printable(char c) {
        return c >= 0x20 && c < 0x7f ? String.valueOf(c) : "\\u" + hex(c);
    }

    private static String hex(char c) {
        return String.format("%04X", (int) c);
    }
}
