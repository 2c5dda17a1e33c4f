package dev.qkv.samples;

import dev.qkv.samples.cli.TrainGptCommand;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The qkv command line: happy paths and every error path named in the issue. */
class CliTest {
    private static final Path GPT2_TINY = Path.of("../core/src/test/resources/hf/gpt2-tiny");
    private static final Path GPT2_TOKENIZER = Path.of("../core/src/test/resources/tokenizer/gpt2");

    record Run(int status, String out, String err) {
    }

    static Run run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private static void assertOneLineError(Run r, String contains) {
        assertEquals(2, r.status(), r.err());
        assertEquals(1, r.err().lines().count(), "one error line, no stack trace: " + r.err());
        assertTrue(r.err().contains(contains), r.err());
    }

    @Test
    void generateIdsFromAModelWithoutTokenizerFiles() {
        Run r = run("generate", "--model", GPT2_TINY.toString(), "--prompt-ids", "1,2,3", "--max-new-tokens", "5",
                "--temperature", "0", "--print-ids");
        assertEquals(0, r.status(), r.err());
        String[] ids = r.out().trim().split(" ");
        assertEquals(5, ids.length, r.out());
        for (String id : ids) {
            int v = Integer.parseInt(id);
            assertTrue(v >= 0 && v < 61);
        }
        // greedy is deterministic; sampling with a seed too
        assertEquals(r.out(), run("generate", "--model", GPT2_TINY.toString(), "--prompt-ids", "1,2,3",
                "--max-new-tokens", "5", "--temperature", "0", "--print-ids").out());
        Run s1 = run("generate", "--model", GPT2_TINY.toString(), "--prompt-ids", "4", "--max-new-tokens", "8",
                "--temperature", "1.0", "--top-k", "5", "--top-p", "0.9", "--seed", "3", "--print-ids");
        Run s2 = run("generate", "--model", GPT2_TINY.toString(), "--prompt-ids", "4", "--max-new-tokens", "8",
                "--temperature", "1.0", "--top-k", "5", "--top-p", "0.9", "--seed", "3", "--print-ids");
        assertEquals(s1.out(), s2.out());
    }

    @Test
    void tokenizeAndDecodeRoundTrip() {
        Run r = run("tokenize", "--tokenizer", GPT2_TOKENIZER.toString(), "--text", "Hello world");
        assertEquals(0, r.status(), r.err());
        assertEquals("15496 995", r.out().trim());
        Run d = run("tokenize", "--tokenizer", GPT2_TOKENIZER.toString(), "--text", "15496 995", "--decode");
        assertEquals("Hello world", d.out().trim());
    }

    @Test
    void errorsAreOneClearLine(@TempDir Path tmp) throws Exception {
        assertOneLineError(run("frobnicate"), "unknown command 'frobnicate'");
        assertOneLineError(run("generate", "--model", GPT2_TINY.toString(), "--prompt-ids", "1", "--bogus", "2"),
                "unknown option --bogus");
        assertOneLineError(run("generate", "--model", tmp.resolve("missing").toString(), "--prompt-ids", "1",
                "--print-ids"), "does not exist");
        assertOneLineError(run("generate", "--model", GPT2_TINY.toString(), "--prompt", "hi"), "no tokenizer files");
        // a prompt longer than the context (16 positions)
        assertOneLineError(run("generate", "--model", GPT2_TINY.toString(), "--prompt-ids",
                "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17", "--print-ids"), "context is 16 tokens");
        assertOneLineError(run("generate", "--model", GPT2_TINY.toString(), "--prompt-ids", "1,x", "--print-ids"),
                "expects integers");
        // a bad config.json
        Path bad = tmp.resolve("bad");
        Files.createDirectories(bad);
        Files.writeString(bad.resolve("config.json"), "{\"model_type\": \"gpt2\", \"n_layer\": \"two\"");
        assertOneLineError(run("generate", "--model", bad.toString(), "--prompt-ids", "1", "--print-ids"), "config.json");
        Run verbose = run("generate", "--model", bad.toString(), "--prompt-ids", "1", "--print-ids", "--verbose");
        assertTrue(verbose.err().lines().count() > 3, "--verbose shows the stack trace");
        assertOneLineError(run("tokenize", "--tokenizer", GPT2_TOKENIZER.toString()), "exactly one of --text");
        assertOneLineError(run("train-gpt", "--steps", "zero"), "expects an integer");
    }

    @Test
    void trainGptLearnsCheckpointsResumesAndGenerates(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("run");
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        TrainGptCommand.Result r = TrainGptCommand.run(new String[] {"--out", out.toString(), "--steps", "40",
                "--layers", "1", "--embd", "32", "--heads", "2", "--block", "32", "--batch", "8", "--eval-every", "20",
                "--sample-chars", "40", "--lr", "1e-2"}, new PrintStream(buf, true, StandardCharsets.UTF_8));
        assertTrue(r.finalTrainLoss() < r.firstLoss() - 0.8, "loss falls: " + r.firstLoss() + " -> " + r.finalTrainLoss());
        assertTrue(Files.isRegularFile(out.resolve("checkpoint.safetensors")));
        assertTrue(Files.isRegularFile(out.resolve("model.safetensors")));
        assertTrue(r.sample().startsWith("Shall I") && r.sample().length() > 40);
        // resume to 50 steps
        TrainGptCommand.Result resumed = TrainGptCommand.run(new String[] {"--out", out.toString(), "--steps", "50",
                "--resume", "--batch", "8", "--sample-chars", "0"}, new PrintStream(buf, true, StandardCharsets.UTF_8));
        assertTrue(buf.toString(StandardCharsets.UTF_8).contains("resumed from"));
        assertFalse(Double.isNaN(resumed.finalTrainLoss()));
        // the output directory is a model that `generate` runs, with its character tokenizer
        Run g = run("generate", "--model", out.toString(), "--prompt", "Shall I", "--max-new-tokens", "20",
                "--temperature", "0");
        assertEquals(0, g.status(), g.err());
        assertTrue(g.out().startsWith("Shall I") && g.out().length() >= "Shall I".length() + 20, g.out());
    }
}
