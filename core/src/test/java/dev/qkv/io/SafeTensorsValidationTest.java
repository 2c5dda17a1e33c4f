package dev.qkv.io;

import dev.qkv.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every rule of the header validation, broken one at a time, gives a SafeTensorsException that says which. */
class SafeTensorsValidationTest {
    @TempDir
    Path dir;

    /** A file: the 8-byte length field holding {@code n}, then {@code rest}. */
    static byte[] withLength(long n, byte[] rest) {
        return ByteBuffer.allocate(8 + rest.length).order(ByteOrder.LITTLE_ENDIAN).putLong(n).put(rest).array();
    }

    /** A file with this header (its exact length) and {@code dataBytes} bytes of data 0, 1, 2, .... */
    static byte[] file(String header, int dataBytes) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        byte[] rest = new byte[h.length + dataBytes];
        System.arraycopy(h, 0, rest, 0, h.length);
        for (int i = 0; i < dataBytes; i++) {
            rest[h.length + i] = (byte) i;
        }
        return withLength(h.length, rest);
    }

    static String entry(String name, String dtype, String shape, long begin, long end) {
        return "\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape + ",\"data_offsets\":[" + begin + "," + end + "]}";
    }

    /** Reading fails with a SafeTensorsException whose message contains every fragment. */
    static SafeTensorsException rejects(byte[] bytes, String... fragments) {
        SafeTensorsException e = assertThrows(SafeTensorsException.class, () -> SafeTensorsFile.fromBytes("test.safetensors", bytes));
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), "expected '" + f + "' in: " + e.getMessage());
        }
        assertTrue(e.getMessage().startsWith("test.safetensors: "), e.getMessage());
        return e;
    }

    static SafeTensorsException rejectsHeader(String header, int dataBytes, String... fragments) {
        return rejects(file(header, dataBytes), fragments);
    }

    // ------------------------------------------------------------------ the length field

    @Test
    void filesShorterThanTheLengthField() throws IOException {
        rejects(new byte[0], "0 bytes", "too short");
        rejects(new byte[7], "7 bytes", "too short");
        Path empty = Files.write(dir.resolve("empty.safetensors"), new byte[0]);
        SafeTensorsException e = assertThrows(SafeTensorsException.class, () -> SafeTensors.open(empty));
        assertTrue(e.getMessage().startsWith(empty.toString()), "names the file: " + e.getMessage());
    }

    @Test
    void headerLengthBeyondTheCapOrTheFile() throws IOException {
        rejects(withLength(-1, new byte[8]), "18446744073709551615", "exceeds the limit");
        rejects(withLength(100_000_001, new byte[8]), "100000001", "exceeds the limit");
        rejects(withLength(10, "{}       ".getBytes(StandardCharsets.US_ASCII)), "header length 10 runs past the end",
                "9 after the length field");
        // a length within the cap but beyond a real file: refused before any allocation
        Path f = Files.write(dir.resolve("short.safetensors"), withLength(99_999_999, "{}".getBytes(StandardCharsets.US_ASCII)));
        assertThrows(SafeTensorsException.class, () -> SafeTensors.open(f));
    }

    // ------------------------------------------------------------------ the JSON

    @Test
    void headerMustBeUtf8Json() {
        byte[] bad = file("{\"a\u00e9\":1}", 0);
        bad[8 + 3] = (byte) 0xff; // inside the 2-byte sequence of 'é'
        rejects(bad, "not valid UTF-8", "file position 11");
        rejectsHeader("", 0, "not valid JSON", "empty input");
        rejectsHeader("{", 0, "not valid JSON");
        rejectsHeader("{\"a\":1,}", 0, "not valid JSON");
        rejectsHeader("{} x", 0, "not valid JSON", "after the JSON value");
        rejectsHeader("\uFEFF{}", 0, "not valid JSON");
        rejectsHeader("{\"a\":" + "[".repeat(100_000) + "]".repeat(100_000) + "}", 0, "nesting deeper than 128");
        rejectsHeader("{" + entry("w", "F32", "[1]", 0, 4) + "," + entry("w", "F32", "[1]", 4, 8) + "}", 8,
                "duplicate key \"w\"");
    }

    @Test
    void headerMustBeAnObject() {
        rejectsHeader("[]", 0, "must be a JSON object", "found []");
        rejectsHeader("\"x\"", 0, "must be a JSON object");
        rejectsHeader("null", 0, "must be a JSON object", "found null");
    }

    @Test
    void metadataMustMapStringsToStrings() {
        rejectsHeader("{\"__metadata__\":[]}", 0, "\"__metadata__\" must be an object");
        rejectsHeader("{\"__metadata__\":\"x\"}", 0, "\"__metadata__\" must be an object");
        rejectsHeader("{\"__metadata__\":{\"k\":1}}", 0, "value for key \"k\" must be a string", "found 1");
        rejectsHeader("{\"__metadata__\":{\"k\":null}}", 0, "found null");
        rejectsHeader("{\"__metadata__\":{\"k\":{\"a\":\"b\"}}}", 0, "must be a string");
    }

    // ------------------------------------------------------------------ one entry

    @Test
    void entryFieldsMustBePresentAndTyped() {
        rejectsHeader("{\"w\":1}", 0, "tensor \"w\"", "expected an object");
        rejectsHeader("{\"w\":{\"shape\":[],\"data_offsets\":[0,0]}}", 0, "tensor \"w\"", "missing \"dtype\"");
        rejectsHeader("{\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,0]}}", 0, "missing \"shape\"");
        rejectsHeader("{\"w\":{\"dtype\":\"F32\",\"shape\":[0]}}", 0, "missing \"data_offsets\"");
        rejectsHeader("{\"w\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0],\"extra\":1}}", 0,
                "unknown field \"extra\"");
        rejectsHeader("{\"w\":{\"dtype\":5,\"shape\":[],\"data_offsets\":[0,4]}}", 4, "\"dtype\" must be a string");
        rejectsHeader("{\"w\":{\"dtype\":null,\"shape\":[],\"data_offsets\":[0,4]}}", 4, "\"dtype\" must be a string");
        rejectsHeader("{\"w\":{\"dtype\":\"F32\",\"shape\":\"[2]\",\"data_offsets\":[0,8]}}", 8, "\"shape\" must be a list");
        rejectsHeader("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":{}}}", 8, "\"data_offsets\" must be a list");
    }

    @Test
    void dtypesOutsideTheSupportedSetAreNamed() {
        rejectsHeader("{" + entry("w", "F8_E4M3", "[1]", 0, 1) + "}", 1, "unsupported dtype \"F8_E4M3\"", "qkv reads");
        rejectsHeader("{" + entry("w", "U16", "[1]", 0, 2) + "}", 2, "unsupported dtype \"U16\"");
        rejectsHeader("{" + entry("w", "f32", "[1]", 0, 4) + "}", 4, "unsupported dtype \"f32\"");
    }

    @Test
    void shapeDimsMustBeNonNegativeIntegersWhoseProductFits() {
        rejectsHeader("{" + entry("w", "F32", "[-1]", 0, 4) + "}", 4, "non-negative", "found -1");
        rejectsHeader("{" + entry("w", "F32", "[2.0]", 0, 8) + "}", 8, "non-negative", "found 2.0");
        rejectsHeader("{" + entry("w", "F32", "[1e30]", 0, 8) + "}", 8, "non-negative");
        rejectsHeader("{" + entry("w", "F32", "[18446744073709551616]", 0, 8) + "}", 8, "non-negative");
        rejectsHeader("{" + entry("w", "F32", "[\"2\"]", 0, 8) + "}", 8, "non-negative", "found \"2\"");
        rejectsHeader("{" + entry("w", "F32", "[null]", 0, 8) + "}", 8, "non-negative");
        rejectsHeader("{" + entry("w", "F32", "[4294967296,4294967296]", 0, 8) + "}", 8, "overflows 64 bits");
        rejectsHeader("{" + entry("w", "F32", "[2305843009213693952]", 0, 8) + "}", 8, "overflows 64 bits"); // 2^61 · 4 bytes
        rejectsHeader("{" + entry("w", "U8", "[9223372036854775807,2]", 0, 8) + "}", 8, "overflows 64 bits");
    }

    @Test
    void dataOffsetsMustBeTwoOrderedIntegersInsideTheBuffer() {
        rejectsHeader("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", 4, "must be [begin, end]");
        rejectsHeader("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4,8]}}", 8, "must be [begin, end]");
        rejectsHeader("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[-4,0]}}", 4, "non-negative");
        rejectsHeader("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0.0,4]}}", 4, "non-negative");
        rejectsHeader("{" + entry("w", "F32", "[1]", 8, 4) + "}", 8, "[8, 4] end before they begin");
        rejectsHeader("{" + entry("w", "F32", "[2]", 0, 8) + "}", 4, "[0, 8] reach past the end of the data buffer",
                "4 bytes");
        rejectsHeader("{" + entry("w", "F32", "[1]", 0, 9223372036854775807L) + "}", 4, "reach past the end");
    }

    @Test
    void byteSizeMustMatchShapeTimesElementSize() {
        rejectsHeader("{" + entry("w", "F32", "[2,3]", 0, 20) + "}", 20, "tensor \"w\"", "[0, 20] hold 20 bytes",
                "F32 of shape [2, 3] needs 24 bytes");
        rejectsHeader("{" + entry("w", "F16", "[]", 0, 4) + "}", 4, "needs 2 bytes");
        rejectsHeader("{" + entry("w", "I64", "[0]", 0, 8) + "}", 8, "needs 0 bytes");
    }

    // ------------------------------------------------------------------ coverage of the buffer

    @Test
    void tensorsMustNotOverlap() {
        rejectsHeader("{" + entry("a", "F32", "[2]", 0, 8) + "," + entry("b", "F32", "[2]", 4, 12) + "}", 12,
                "overlap", "\"a\"", "\"b\"");
        rejectsHeader("{" + entry("a", "F32", "[2]", 0, 8) + "," + entry("same", "F32", "[2]", 0, 8) + "}", 8, "overlap");
        // an empty tensor inside another one is an overlap too (the reference implementation agrees)
        rejectsHeader("{" + entry("a", "F32", "[2]", 0, 8) + "," + entry("e", "F32", "[0]", 4, 4) + "}", 8, "overlap");
    }

    @Test
    void holesAndTrailingBytesAreRejected() {
        rejectsHeader("{" + entry("a", "F32", "[1]", 0, 4) + "," + entry("b", "F32", "[1]", 8, 12) + "}", 12,
                "bytes [4, 8) of the data buffer belong to no tensor", "hole before \"b\"");
        rejectsHeader("{" + entry("a", "F32", "[1]", 4, 8) + "}", 8, "bytes [0, 4)");
        rejectsHeader("{" + entry("a", "F32", "[1]", 0, 4) + "}", 6, "has 6 bytes but the tensors cover only 4",
                "the last 2 bytes");
        rejectsHeader("{}", 1, "has 1 bytes but the tensors cover only 0");
    }

    @Test
    void offsetsMayComeInAnyOrderAndEmptyTensorsMayShareAnOffset() throws IOException {
        byte[] b = file("{" + entry("second", "U8", "[2]", 2, 4) + "," + entry("e1", "F32", "[0,5]", 0, 0) + ","
                + entry("first", "U8", "[2]", 0, 2) + "," + entry("e2", "I64", "[0]", 4, 4) + "}", 4);
        try (SafeTensorsFile f = SafeTensorsFile.fromBytes("ok", b)) {
            assertEquals(List.of("second", "e1", "first", "e2"), f.names(), "header order");
            assertArrayEquals(new long[] {2, 3}, f.tensor("second").toLongArray());
            assertArrayEquals(new long[] {0, 1}, f.tensor("first").toLongArray());
            assertArrayEquals(new int[] {0, 5}, f.tensor("e1").shape());
        }
    }

    // ------------------------------------------------------------------ valid files, odd content

    @Test
    void unalignedTensorsAndPaddingAreRead() throws IOException {
        // a 1-byte tensor first puts the F32 at offset 1; whitespace pads the header
        byte[] b = file("{" + entry("u", "U8", "[1]", 0, 1) + "," + entry("f", "F32", "[1]", 1, 5) + "}   ", 5);
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putFloat(b.length - 4, -1.25f);
        try (SafeTensorsFile f = SafeTensorsFile.fromBytes("ok", b)) {
            assertEquals(-1.25f, f.tensor("f").item());
        }
    }

    @Test
    void boolBytesOtherThanZeroReadAsTrue() throws IOException {
        byte[] b = file("{" + entry("m", "BOOL", "[4]", 0, 4) + "}", 4); // data bytes 0, 1, 2, 3
        b[b.length - 1] = (byte) 0xff;
        try (SafeTensorsFile f = SafeTensorsFile.fromBytes("ok", b)) {
            assertArrayEquals(new long[] {0, 1, 1, 1}, RawValues.of(f.tensor("m")));
        }
    }

    @Test
    void emptyTensorsWithHugeDimsAreRefusedOnlyWhenRead() throws IOException {
        byte[] b = file("{" + entry("e", "F32", "[0,3000000000]", 0, 0) + "," + entry("e2", "I64", "[2147483647,1,0]", 0, 0)
                + "," + entry("e3", "F32", "[65536,0,32767]", 0, 0) + "," + entry("ok", "U8", "[1]", 0, 1) + "}", 1);
        try (SafeTensorsFile f = SafeTensorsFile.fromBytes("big.safetensors", b)) {
            assertArrayEquals(new long[] {0, 3_000_000_000L}, f.info("e").shape());
            SafeTensorsException e = assertThrows(SafeTensorsException.class, () -> f.tensor("e"));
            assertTrue(e.getMessage().contains("is empty, but the product of its non-zero dimensions exceeds"),
                    e.getMessage());
            assertThrows(SafeTensorsException.class, () -> f.shape("e"));
            // each dim fits an int, but their product does not (found by the fuzz test)
            assertThrows(SafeTensorsException.class, () -> f.tensor("e2"));
            assertArrayEquals(new int[] {65536, 0, 32767}, f.shape("e3"), "a product within the limit is fine");
            assertEquals(0, f.tensor("e3").numel());
            assertEquals(0L, f.tensor("ok").toLongArray()[0], "the other tensors stay readable");
        }
    }

    /**
     * A real 2 GiB tensor (2^31 U8 elements) is one more than qkv's limit. The file is sparse:
     * its data is never written or read, so it takes no disk space or time.
     */
    @Test
    void aTensorOverQkvsElementLimitIsAClearErrorWhenRead() throws IOException {
        long n = 1L << 31;
        byte[] head = file("{" + entry("huge", "U8", "[" + n + "]", 0, n) + "," + entry("small", "F32", "[]", n, n + 4)
                + "}", 0);
        Path p = dir.resolve("huge.safetensors");
        Files.write(p, head);
        try (RandomAccessFile raf = new RandomAccessFile(p.toFile(), "rw")) {
            raf.setLength(head.length + n + 4);
        }
        try (SafeTensorsFile f = SafeTensors.open(p)) {
            assertEquals(n, f.info("huge").numel());
            SafeTensorsException e = assertThrows(SafeTensorsException.class, () -> f.tensor("huge"));
            assertTrue(e.getMessage().contains("2147483648 elements; a qkv tensor holds at most 2147483631"), e.getMessage());
            assertEquals(0f, f.tensor("small").item());
        }
    }

    @Test
    void unknownNamesAndClosedFilesAreProgrammingErrors() throws IOException {
        Path p = dir.resolve("t.safetensors");
        SafeTensors.save(p, java.util.Map.of("w", Tensor.of(1f)));
        SafeTensorsFile f = SafeTensors.open(p);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> f.tensor("nope"));
        assertTrue(e.getMessage().contains("no tensor named \"nope\"") && e.getMessage().contains("\"w\""), e.getMessage());
        f.close();
        f.close(); // idempotent
        assertThrows(IllegalStateException.class, () -> f.tensor("w"));
        assertEquals(List.of("w"), f.names(), "the header stays available");
    }
}
