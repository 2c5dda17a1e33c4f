package dev.qkv.io;

import java.io.IOException;

/**
 * A safetensors file that is malformed, or that holds something qkv cannot load (an unknown
 * dtype, a tensor over qkv's element limit). The message names the file and the problem:
 * the tensor, its offsets and sizes.
 *
 * <p>A checked {@link IOException}: a bad file is an expected condition for code that loads
 * files, and it is handled in the same place as a missing file or a read error.
 */
public class SafeTensorsException extends IOException {
    public SafeTensorsException(String source, String message) {
        super(source + ": " + message);
    }

    public SafeTensorsException(String source, String message, Throwable cause) {
        super(source + ": " + message, cause);
    }
}
