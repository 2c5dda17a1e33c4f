package dev.qkv.backend.cuda;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The PTX text of the kernel modules, shipped as resources under
 * {@code /dev/qkv/backend/cuda/ptx/} by cuda/scripts/build-ptx.sh (one module per .cu file),
 * with a MANIFEST naming the compiler, the flags, the PTX ISA version and the sources' hashes.
 */
final class PtxModules {
    static final String DIR = "/dev/qkv/backend/cuda/ptx/";

    private PtxModules() {
    }

    /** The PTX text of a module. */
    static String text(String module) {
        try (InputStream in = PtxModules.class.getResourceAsStream(DIR + module + ".ptx")) {
            if (in == null) {
                throw new IllegalStateException("the qkv-cuda jar has no PTX module " + module + " (" + DIR + module
                        + ".ptx); rebuild it with cuda/scripts/build-ptx.sh");
            }
            return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The PTX as the NUL-terminated bytes cuModuleLoadData wants. */
    static byte[] image(String module) {
        byte[] text = text(module).getBytes(StandardCharsets.US_ASCII);
        byte[] image = new byte[text.length + 1];
        System.arraycopy(text, 0, image, 0, text.length);
        return image;
    }

    /** The MANIFEST's lines. */
    static List<String> manifest() {
        try (InputStream in = PtxModules.class.getResourceAsStream(DIR + "MANIFEST")) {
            if (in == null) {
                throw new IllegalStateException("the qkv-cuda jar has no PTX MANIFEST");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Module names listed in the MANIFEST. */
    static List<String> modules() {
        List<String> out = new ArrayList<>();
        for (String line : manifest()) {
            if (line.startsWith("module ")) {
                out.add(line.substring("module ".length()).trim());
            }
        }
        return out;
    }

    /** The MANIFEST value of a key ("ptx-isa", "nvcc", "flags"). */
    static String manifestValue(String key) {
        for (String line : manifest()) {
            if (line.startsWith(key + " ")) {
                return line.substring(key.length() + 1).trim();
            }
        }
        throw new IllegalStateException("PTX MANIFEST has no " + key);
    }
}
