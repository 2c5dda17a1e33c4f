package dev.qkv.io;

import dev.qkv.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Bounded fuzzing of the reader: valid files damaged at random (see {@link SafeTensorsMutator})
 * must either read completely or fail with a SafeTensorsException. Anything else (an
 * IndexOutOfBounds, a NegativeArraySize, an OutOfMemoryError, a StackOverflowError, a JSON
 * exception that escaped) fails the test and prints the case's seed and bytes.
 *
 * <p>Runs for about 4 seconds of wall time; case i always uses seed BASE_SEED + i, so a failure
 * reproduces by seed whatever the machine's speed. For a longer hunt:
 * {@code -Dqkv.fuzz.seconds=300 -Dqkv.fuzz.seed=12345}.
 */
class SafeTensorsFuzzTest {
    private static final long BASE_SEED = Long.decode(System.getProperty("qkv.fuzz.seed", "0x5afe7e45"));
    private static final long BUDGET_NANOS = (long) (Double.parseDouble(System.getProperty("qkv.fuzz.seconds", "4")) * 1e9);
    private static final int MAX_CASES = 2_000_000;

    @TempDir
    Path dir;

    /** Valid files of several kinds: every dtype, views, scalars, empties, metadata; F16/BF16 from torch. */
    private List<byte[]> seeds() throws IOException, URISyntaxException {
        List<Map<String, Tensor>> sets = new ArrayList<>();
        sets.add(SafeTensorsRoundTripTest.everyKind());
        sets.add(Map.of());
        sets.add(Map.of("scalar", Tensor.scalar(1.5)));
        Map<String, Tensor> empties = new LinkedHashMap<>();
        empties.put("a", Tensor.zeros(0));
        empties.put("b", Tensor.zeros(dev.qkv.tensor.DType.INT64, 3, 0));
        empties.put("c", Tensor.fromArray(new boolean[] {true, false}, 2));
        sets.add(empties);
        List<byte[]> seeds = new ArrayList<>();
        for (int i = 0; i < sets.size(); i++) {
            Path p = dir.resolve("seed" + i + ".safetensors");
            SafeTensors.save(p, sets.get(i), i == 0 ? Map.of("format", "pt") : null);
            seeds.add(Files.readAllBytes(p));
        }
        seeds.add(Files.readAllBytes(Path.of(getClass().getResource("/io/torch_fixture.safetensors").toURI())));
        return seeds;
    }

    /** Reads everything the file offers; true if it was valid. */
    private static boolean readFully(SafeTensorsFile f) throws SafeTensorsException {
        f.metadata().forEach((k, v) -> assertTrue(k != null && v != null));
        for (String name : f.names()) {
            TensorInfo info = f.info(name);
            Tensor t = f.tensor(name);
            assertEquals(info.numel(), t.numel(), name);
            assertEquals(info.dtype().loadsAs(), t.dtype(), name);
            assertEquals(info.byteSize(), info.numel() * info.dtype().byteSize(), name);
        }
        return true;
    }

    @Test
    void damagedFilesAreReadOrRejectedWithSafeTensorsException() throws IOException, URISyntaxException {
        List<byte[]> seeds = seeds();
        for (byte[] s : seeds) {
            try (SafeTensorsFile f = SafeTensorsFile.fromBytes("seed", s)) {
                readFully(f); // the seeds themselves are valid
            }
        }
        long start = System.nanoTime();
        int cases = 0;
        int valid = 0;
        Path onDisk = dir.resolve("case.safetensors");
        while (cases < MAX_CASES && System.nanoTime() - start < BUDGET_NANOS) {
            long seed = BASE_SEED + cases;
            Random r = new Random(seed);
            byte[] bytes = new SafeTensorsMutator(r).mutate(seeds.get(r.nextInt(seeds.size())));
            boolean viaFile = cases % 100 == 0; // now and then through a real memory-mapped file
            try {
                if (viaFile) {
                    Files.write(onDisk, bytes);
                }
                try (SafeTensorsFile f = viaFile ? SafeTensors.open(onDisk) : SafeTensorsFile.fromBytes("fuzz", bytes)) {
                    readFully(f);
                    valid++;
                }
            } catch (SafeTensorsException expected) {
                // the file was rejected with a proper message: fine
            } catch (Throwable t) {
                fail("fuzz case with seed " + seed + " threw " + t + "; file (base64): "
                        + Base64.getEncoder().encodeToString(bytes), t);
            }
            cases++;
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("safetensors fuzz: %d cases in %.1f s, %d read as valid, %d rejected%n",
                cases, seconds, valid, cases - valid);
        assertTrue(cases >= 1000, "too few cases ran: " + cases);
        assertTrue(valid > 0 && valid < cases, "the mutations should produce both valid and invalid files");
    }
}
