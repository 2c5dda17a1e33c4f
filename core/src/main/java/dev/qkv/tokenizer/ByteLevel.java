package dev.qkv.tokenizer;

/**
 * GPT-2's reversible byte ↔ character map. Byte-level BPE works on bytes, but its vocabulary
 * files store tokens as printable text, so each of the 256 byte values gets a visible Unicode
 * character: printable Latin-1 bytes map to themselves and the rest (controls, space, ...) to
 * U+0100 onwards. A space byte, for example, is stored as 'Ġ' (U+0120).
 */
final class ByteLevel {
    private ByteLevel() {
    }

    static final char[] BYTE_TO_CHAR = new char[256];
    static final int[] CHAR_TO_BYTE = new int[512];

    static {
        java.util.Arrays.fill(CHAR_TO_BYTE, -1);
        int next = 256;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            char c = printable ? (char) b : (char) next++;
            BYTE_TO_CHAR[b] = c;
            CHAR_TO_BYTE[c] = b;
        }
    }

    /** The UTF-8 bytes of s, each as its visible character. */
    static String encode(String s) {
        byte[] bytes = s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        char[] out = new char[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            out[i] = BYTE_TO_CHAR[bytes[i] & 0xff];
        }
        return new String(out);
    }

    /** Appends the bytes that the visible characters of token stand for. */
    static void decode(String token, java.io.ByteArrayOutputStream out) {
        for (int i = 0; i < token.length(); i++) {
            char c = token.charAt(i);
            int b = c < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[c] : -1;
            if (b < 0) {
                throw new IllegalArgumentException("byte-level token '" + token + "' contains '" + c
                        + "', which stands for no byte");
            }
            out.write(b);
        }
    }
}
