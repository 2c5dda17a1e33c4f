package dev.qkv.optim;

import dev.qkv.nn.Linear;
import dev.qkv.nn.ReLU;
import dev.qkv.nn.Sequential;
import dev.qkv.nn.functional.F;
import dev.qkv.tensor.Generator;
import dev.qkv.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CheckpointTest {
    private static Sequential model(long seed) {
        Generator g = new Generator(seed);
        return new Sequential(new Linear(3, 8, g), new ReLU(), new Linear(8, 1, g));
    }

    private static void train(Sequential m, AdamW opt, WarmupCosine sched, Tensor x, Tensor y, int steps) {
        for (int i = 0; i < steps; i++) {
            Tensor loss = F.mseLoss(m.forward(x), y);
            opt.zeroGrad();
            loss.backward();
            opt.step();
            sched.step();
        }
    }

    @Test
    void resumingFromACheckpointContinuesExactly(@TempDir Path dir) throws IOException {
        Generator g = new Generator(1);
        Tensor x = Tensor.randn(g, 16, 3);
        Tensor y = Tensor.randn(g, 16, 1);
        Sequential a = model(2);
        AdamW optA = new AdamW(a.parameters(), 1e-2);
        WarmupCosine schedA = new WarmupCosine(optA, 3, 20, 1e-4);
        train(a, optA, schedA, x, y, 5);
        Path file = dir.resolve("ckpt.safetensors");
        Checkpoint.save(file, a, optA, schedA, 5, Map.of("note", "after five"));
        train(a, optA, schedA, x, y, 5);

        Sequential b = model(99);                                // different init: everything comes from the file
        AdamW optB = new AdamW(b.parameters(), 1e-2);
        WarmupCosine schedB = new WarmupCosine(optB, 3, 20, 1e-4);
        Checkpoint.Info info = Checkpoint.load(file, b, optB, schedB);
        assertEquals(5, info.step());
        assertEquals("after five", info.metadata().get("note"));
        train(b, optB, schedB, x, y, 5);
        for (int i = 0; i < a.parameters().size(); i++) {
            assertArrayEquals(a.parameters().get(i).toFloatArray(), b.parameters().get(i).toFloatArray());
        }
    }

    @Test
    void aFailedSaveLeavesThePreviousCheckpoint(@TempDir Path dir) throws IOException {
        Sequential m = model(3);
        AdamW opt = new AdamW(m.parameters(), 1e-2);
        Path file = dir.resolve("ckpt.safetensors");
        Checkpoint.save(file, m, opt, null, 1, Map.of());
        byte[] before = Files.readAllBytes(file);
        // a model whose state dict cannot be written (a tensor computed by an op that is not saveable
        // does not exist, so simulate a failure with an unwritable target directory instead)
        Path readOnly = dir.resolve("ro");
        Files.createDirectories(readOnly);
        Files.copy(file, readOnly.resolve("ckpt.safetensors"));
        readOnly.toFile().setWritable(false);
        try {
            if (!Files.isWritable(readOnly)) {                   // root ignores permissions: skip that part
                assertThrows(IOException.class, () -> Checkpoint.save(readOnly.resolve("ckpt.safetensors"), m, opt, null, 2,
                        Map.of()));
                assertArrayEquals(before, Files.readAllBytes(readOnly.resolve("ckpt.safetensors")));
            } else {
                System.out.println("CheckpointTest: running as root, the read-only directory case cannot fail; "
                        + "AtomicFilesTest covers an interrupted write");
            }
        } finally {
            readOnly.toFile().setWritable(true);
        }
        assertArrayEquals(before, Files.readAllBytes(file));
    }

    @Test
    void loadingSomethingElseIsAClearError(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("plain.safetensors");
        dev.qkv.io.SafeTensors.save(file, Map.of("w", Tensor.zeros(2)));
        IOException e = assertThrows(IOException.class, () -> Checkpoint.load(file, model(1), null, null));
        assertTrue(e.getMessage().contains("not a qkv checkpoint"), e.getMessage());
    }
}
