package dev.qkv.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JsonTest {
    private static final int LIMIT = 1 << 20;

    private static Object parse(String s) {
        return Json.parse(s, LIMIT);
    }

    /** Asserts that parsing fails with a message containing {@code fragment}; returns the error. */
    private static JsonException fails(String json, String fragment) {
        String shown = Json.abbreviate(json, 80);
        JsonException e = assertThrows(JsonException.class, () -> parse(json), shown);
        assertTrue(e.getMessage().contains(fragment), "message for " + shown + ": " + e.getMessage());
        return e;
    }

    @Test
    void parsesEveryValueTypeIntoTheDocumentedJavaTypes() {
        Object v = parse(" {\"s\":\"x\", \"i\":-12, \"d\":2.5, \"t\":true, \"f\":false, \"n\":null,"
                + " \"a\":[1,[]], \"o\":{}}\n");
        Map<?, ?> m = assertInstanceOf(LinkedHashMap.class, v);
        assertEquals(List.of("s", "i", "d", "t", "f", "n", "a", "o"), new ArrayList<>(m.keySet()), "document order");
        assertEquals("x", m.get("s"));
        assertEquals(-12L, m.get("i"));
        assertEquals(2.5, m.get("d"));
        assertEquals(Boolean.TRUE, m.get("t"));
        assertEquals(Boolean.FALSE, m.get("f"));
        assertTrue(m.containsKey("n"));
        assertNull(m.get("n"));
        assertInstanceOf(ArrayList.class, m.get("a"));
        assertEquals(List.of(1L, List.of()), m.get("a"));
        assertEquals(Map.of(), m.get("o"));
    }

    @Test
    void numbersAreLongWhenIntegralAndInRangeOtherwiseDouble() {
        assertEquals(0L, parse("0"));
        assertEquals(0L, parse("-0"));
        assertEquals(Long.MAX_VALUE, parse("9223372036854775807"));
        assertEquals(Long.MIN_VALUE, parse("-9223372036854775808"));
        // one beyond 64 bits: a Double, like JavaScript would read it
        assertEquals(9.223372036854775808e18, parse("9223372036854775808"));
        assertEquals(-1e30, parse("-1000000000000000000000000000000"));
        assertEquals(3.0, parse("3.0"));
        assertEquals(3.0, parse("3e0"));
        assertEquals(1.5e-7, parse("1.5E-7"));
        assertEquals(-2e+20, parse("-2e+20"));
        assertEquals(0.0, parse("0e5"));
        assertEquals(Double.MIN_VALUE, parse("4.9e-324"));
        assertEquals(0.0, parse("1e-400"), "underflow rounds to zero, as in every JSON reader");
        fails("1e400", "too large for a double");
        fails("-1e309", "too large for a double");
    }

    @Test
    void stringEscapesIncludingSurrogatePairs() {
        assertEquals("\"\\/\b\f\n\r\t", parse("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\""));
        assertEquals("A\u00e9\u4e2d", parse("\"\\u0041\\u00E9\\u4e2d\""));
        assertEquals("\uD83D\uDE00", parse("\"\\uD83D\\uDE00\""), "escaped pair -> one code point");
        assertEquals("\uD83D\uDE00", parse("\"\uD83D\uDE00\""), "raw pair");
        assertEquals("\u0000", parse("\"\\u0000\""));
        assertEquals("caf\u00e9", Json.parse("\"caf\u00e9\"".getBytes(StandardCharsets.UTF_8), 100));
    }

    @Test
    void roundTripsThroughTheWriter() {
        Map<String, Object> inner = new LinkedHashMap<>();
        inner.put("shape", List.of(2L, 3L));
        inner.put("nothing", null);
        inner.put("weird key \"\\\u0001", "tab\there\u001f \u2028 \uD83D\uDE00 \u00e9");
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("a", inner);
        doc.put("nums", Arrays.asList(0L, -1L, Long.MAX_VALUE, Long.MIN_VALUE, 0.1, -2.5e-300, 1e300, -0.0, true, false));
        doc.put("empty", List.of(new LinkedHashMap<>(), List.of()));
        String json = Json.write(doc);
        assertEquals(doc, parse(json));
        // writing the parsed value again gives the same text: the writer is deterministic
        assertEquals(json, Json.write(parse(json)));
    }

    @Test
    void writerIsCompactAndEscapesControlCharacters() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("k", List.of(1, 2.5f, "a\nb\u0007"));
        m.put("z", null);
        assertEquals("{\"k\":[1,2.5,\"a\\nb\\u0007\"],\"z\":null}", Json.write(m));
        assertEquals("\"\\u001f\"", Json.write("\u001f"));
    }

    @Test
    void writerRejectsWhatJsonCannotExpress() {
        assertThrows(JsonException.class, () -> Json.write(Double.NaN));
        assertThrows(JsonException.class, () -> Json.write(List.of(Float.POSITIVE_INFINITY)));
        assertThrows(JsonException.class, () -> Json.write(Map.of(1, "x")), "non-string key");
        assertThrows(JsonException.class, () -> Json.write(new Object()));
        assertThrows(JsonException.class, () -> Json.write("lone \uD800 surrogate"));
        List<Object> cycle = new ArrayList<>();
        cycle.add(cycle);
        JsonException e = assertThrows(JsonException.class, () -> Json.write(cycle));
        assertTrue(e.getMessage().contains("deeper than"), e.getMessage());
    }

    @Test
    void describeCutsLargeValuesShortWithoutWritingThemWhole() {
        // a list of a billion numbers that fails the test if describe reads far into it
        List<Object> big = new java.util.AbstractList<>() {
            public Object get(int i) {
                assertTrue(i < 100, "describe read element " + i);
                return (long) i;
            }

            public int size() {
                return 1_000_000_000;
            }
        };
        String d = Json.describe(List.of("x".repeat(1000), big), 40);
        assertTrue(d.startsWith("[\"xxxx") && d.endsWith("...") && d.length() <= 43, d);
        assertEquals("{\"a\":[1,2]}", Json.describe(Map.of("a", List.of(1L, 2L)), 40));
        assertEquals("\"\\ud800\"", Json.describe("\uD800", 40), "lenient: a message never fails");
    }

    @Test
    void nestingUpToTheLimitIsFineOneMoreIsAClearError() {
        String ok = "[".repeat(Json.MAX_DEPTH) + "]".repeat(Json.MAX_DEPTH);
        assertInstanceOf(List.class, parse(ok));
        fails("[".repeat(Json.MAX_DEPTH + 1) + "]".repeat(Json.MAX_DEPTH + 1), "nesting deeper than 128");
        // far deeper than any stack: still a JsonException, not a StackOverflowError
        JsonException e = fails("{\"a\":".repeat(100_000), "nesting deeper than 128");
        assertTrue(e.position() < 1000, "fails early, at " + e.position());
    }

    @Test
    void inputLargerThanTheCallersLimitIsRejectedBeforeParsing() {
        JsonException e = assertThrows(JsonException.class, () -> Json.parse("[1, 2, 3]", 8));
        assertTrue(e.getMessage().contains("more than the limit of 8"), e.getMessage());
        assertThrows(JsonException.class, () -> Json.parse(new byte[9], 8));
    }

    @Test
    void errorsNameThePosition() {
        assertEquals(6, fails("[1, 2 3]", "expected ',' or ']'").position());
        assertEquals(1, fails("{1:2}", "expected a string key").position());
        assertEquals(8, fails("{\"a\":1, \"a\":2}", "duplicate key \"a\"").position());
        assertEquals(0, fails("\"ab", "unterminated string").position());
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "", "   ", "[", "]", "{", "}", "[1,]", "{\"a\":1,}", "[,1]", "{,}", "[1 2]", "{\"a\" 1}", "{\"a\":}",
        "{a:1}", "{'a':1}", "['a']", "\"abc", "\"abc\\\"", "\"a\\", "tru", "True", "nul", "NaN", "Infinity",
        "-Infinity", "+1", "01", "-01", "1.", ".5", "-", "1e", "1e+", "1.e3", "0x10", "1_000", "--1",
        "[1] x", "{} {}", "1 2", "null null", "\"\\x41\"", "\"\\u12\"", "\"\\u12G4\"", "\"\\U0041\"",
        "\"\\uD800\"", "\"\\uDC00\"", "\"\\uD800x\"", "\"\\uD800\\u0041\"", "\"\\uD800\\uD800\"",
        "\"\uD800\"", "\"\uDC00\uD800\"", "\"tab\there\"", "\"new\nline\"", "\"\u0000\"", "[1]\u0000",
        "\u00a0[1]", "\uFEFF[1]", "[1,\u000b2]", "// c\n1", "/* c */ 1", "\"\\u\uff10\uff10\uff14\uff11\"",
    })
    void malformedInputIsAJsonExceptionNeverAnotherThrowable(String json) {
        assertThrows(JsonException.class, () -> parse(json), json);
    }

    @Test
    void strictUtf8Decoding() {
        byte[] bad = {'"', 'a', (byte) 0xC3, '"'}; // 0xC3 starts a 2-byte sequence that is cut off
        JsonException e = assertThrows(JsonException.class, () -> Json.parse(bad, 100));
        assertEquals(2, e.position());
        assertTrue(e.getMessage().contains("invalid UTF-8"), e.getMessage());
        byte[] overlong = {'"', (byte) 0xC0, (byte) 0xAF, '"'}; // '/' in an overlong 2-byte form
        assertThrows(JsonException.class, () -> Json.parse(overlong, 100));
        byte[] surrogate = {'"', (byte) 0xED, (byte) 0xA0, (byte) 0x80, '"'}; // U+D800 encoded directly
        assertThrows(JsonException.class, () -> Json.parse(surrogate, 100));
    }
}
