package dev.qkv.backend.cuda;

import dev.qkv.tensor.DType;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The committed PTX belongs to the committed .cu sources. Without nvcc: the sources' SHA-256
 * must equal the hashes build-ptx.sh wrote into the MANIFEST (editing a kernel without
 * regenerating fails here). With nvcc on the PATH (or in /usr/local/cuda/bin) of the same
 * release as the MANIFEST's: the PTX is regenerated and must be identical.
 */
class PtxSourcesTest {
    /** Tests run in the module folder (cuda/). */
    private static final Path SOURCES = Path.of("src/main/cuda");

    @Test
    void theManifestHashesAreThoseOfTheSources() throws Exception {
        Map<String, String> manifest = new HashMap<>();
        for (String line : PtxModules.manifest()) {
            if (line.startsWith("source ")) {
                String[] f = line.split(" ");
                manifest.put(f[2], f[1]);
            }
        }
        Map<String, String> actual = new HashMap<>();
        try (Stream<Path> files = Files.list(SOURCES)) {
            for (Path p : files.filter(f -> f.toString().endsWith(".cu") || f.toString().endsWith(".cuh")).toList()) {
                byte[] digest = MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p));
                actual.put(p.getFileName().toString(), HexFormat.of().formatHex(digest));
            }
        }
        assertEquals(manifest, actual, "a kernel source changed without cuda/scripts/build-ptx.sh being run");
    }

    @Test
    void dtypeCodesInCommonCuhAreTheDTypeOrdinals() throws IOException {
        String header = Files.readString(SOURCES.resolve("common.cuh"));
        for (DType t : DType.values()) {
            Matcher m = Pattern.compile("#define QKV_" + t.name() + " (\\d+)").matcher(header);
            assertTrue(m.find(), "common.cuh defines QKV_" + t.name());
            assertEquals(t.ordinal(), Integer.parseInt(m.group(1)), "QKV_" + t.name());
        }
        Matcher dims = Pattern.compile("#define QKV_MAX_DIMS (\\d+)").matcher(header);
        assertTrue(dims.find());
        assertEquals(ViewMerge.MAX_DIMS, Integer.parseInt(dims.group(1)));
    }

    @Test
    void theCommittedPtxIsWhatNvccMakesOfTheSources() throws Exception {
        String skip = System.getProperty("qkv.cuda.skipPtxCheck");
        if (Boolean.parseBoolean(skip)) {
            skip("-Dqkv.cuda.skipPtxCheck=true");
        }
        String nvcc = findNvcc();
        if (nvcc == null) {
            skip("nvcc is not on the PATH or in /usr/local/cuda/bin");
        }
        String version = run(List.of(nvcc, "--version"), 60);
        Matcher m = Pattern.compile("release [0-9.]+, V[0-9.]+").matcher(version);
        String expected = PtxModules.manifestValue("nvcc");
        if (!m.find() || !m.group().equals(expected)) {
            skip("nvcc here is not the MANIFEST's (" + expected + "); its PTX text would differ");
        }
        ProcessBuilder pb = new ProcessBuilder("bash", "scripts/build-ptx.sh", "--verify").redirectErrorStream(true);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(600, TimeUnit.SECONDS), "build-ptx.sh --verify timed out");
        assertEquals(0, p.exitValue(), "build-ptx.sh --verify:\n" + out);
    }

    private static void skip(String reason) {
        String message = "PtxSourcesTest: skipping the nvcc regeneration check: " + reason;
        System.out.println(message);
        Assumptions.abort(message);
    }

    private static String findNvcc() {
        for (String dir : (System.getenv().getOrDefault("PATH", "") + ":/usr/local/cuda/bin").split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, "nvcc"))) {
                return Path.of(dir, "nvcc").toString();
            }
        }
        return null;
    }

    private static String run(List<String> cmd, int seconds) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor(seconds, TimeUnit.SECONDS);
        return out;
    }
}
