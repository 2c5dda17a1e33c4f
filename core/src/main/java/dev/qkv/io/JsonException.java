package dev.qkv.io;

/**
 * Malformed JSON (or a value the writer cannot express as JSON). The message names the problem
 * and, for parse errors, the position: a 0-based index into the text (or into the bytes, for a
 * UTF-8 error).
 *
 * <p>Unchecked because JSON text is usually a string already in memory; callers that read a
 * file wrap it in their own checked exception where a bad file is an expected condition
 * (see {@link SafeTensorsException}).
 */
public final class JsonException extends RuntimeException {
    private final long position;

    JsonException(String message, long position) {
        super(position >= 0 ? message + " at position " + position : message);
        this.position = position;
    }

    JsonException(String message) {
        this(message, -1);
    }

    /** Where parsing failed (0-based), or -1 for errors without a position (writer errors). */
    public long position() {
        return position;
    }
}
