package dev.qkv.samples.cli;

import dev.qkv.autograd.Autograd;
import dev.qkv.io.Json;
import dev.qkv.models.Generation;
import dev.qkv.models.Sampler;
import dev.qkv.models.gpt.GPT;
import dev.qkv.models.gpt.GPTConfig;
import dev.qkv.models.hf.HuggingFace;
import dev.qkv.optim.AdamW;
import dev.qkv.optim.Checkpoint;
import dev.qkv.optim.GradClip;
import dev.qkv.optim.WarmupCosine;
import dev.qkv.tensor.Generator;
import dev.qkv.tensor.Tensor;
import dev.qkv.tokenizer.CharTokenizer;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code qkv train-gpt}: trains a character-level GPT on a text file (or the bundled sonnets),
 * with a progress bar, periodic validation loss, atomic checkpoints, resume, and a text sample
 * at the end. The output directory is a Hugging Face style GPT-2 model (config.json +
 * model.safetensors) plus char_vocab.json, so {@code qkv generate --model DIR} runs it.
 */
public final class TrainGptCommand {
    private TrainGptCommand() {
    }

    public static final String USAGE = """
            usage: qkv train-gpt [--text FILE] [--out DIR] [--steps N] [--resume] [--batch B] [--block T]
                                 [--layers L] [--heads H] [--embd C] [--dropout P] [--lr LR] [--eval-every N]
                                 [--checkpoint-every N] [--sample-chars N] [--seed S]
              trains a character-level GPT (default corpus: 15 of Shakespeare's sonnets, bundled).""";

    /** What a run produced, for tests and the demo. */
    public record Result(double firstLoss, double finalTrainLoss, double finalValLoss, String sample, Path out) {
    }

    public static Result run(String[] argv, PrintStream out) throws IOException {
        Args a = new Args("train-gpt", argv, List.of("text", "out", "steps", "batch", "block", "layers", "heads", "embd",
                "dropout", "lr", "eval-every", "checkpoint-every", "sample-chars", "seed"), List.of("resume"));
        if (a.flag("help")) {
            out.println(USAGE);
            return null;
        }
        String text = a.has("text") ? readText(Path.of(a.required("text"))) : bundledCorpus();
        Path dir = Path.of(a.string("out", "runs/gpt-char"));
        int steps = a.integer("steps", 600, 1, 10_000_000);
        int batch = a.integer("batch", 16, 1, 4096);
        int evalEvery = a.integer("eval-every", 100, 1, Integer.MAX_VALUE);
        int ckptEvery = a.integer("checkpoint-every", 200, 1, Integer.MAX_VALUE);
        long seed = a.longValue("seed", 1337);
        Path ckptFile = dir.resolve("checkpoint.safetensors");

        CharTokenizer tok;
        GPTConfig cfg;
        boolean resume = a.flag("resume");
        if (resume) {
            if (!Files.isRegularFile(ckptFile)) {
                throw new CliException("--resume: " + ckptFile + " does not exist");
            }
            tok = CharTokenizer.load(dir);
            cfg = HuggingFace.gpt2Config(HuggingFace.readConfig(dir), dir.resolve("config.json"));
            cfg = new GPTConfig(cfg.vocabSize(), cfg.blockSize(), cfg.nLayer(), cfg.nHead(), cfg.nEmbd(),
                    a.number("dropout", 0.1, 0, 0.9), true, cfg.layerNormEps());
        } else {
            tok = CharTokenizer.fromText(text);
            int embd = a.integer("embd", 96, 8, 65536);
            int heads = a.integer("heads", 4, 1, 1024);
            if (embd % heads != 0) {
                throw new CliException("--embd " + embd + " must be a multiple of --heads " + heads);
            }
            cfg = GPTConfig.of(tok.vocabSize(), a.integer("block", 64, 2, 65536), a.integer("layers", 3, 1, 1024), heads,
                    embd, a.number("dropout", 0.1, 0, 0.9));
        }
        int[] ids;
        try {
            ids = tok.encode(text);
        } catch (IllegalArgumentException e) {
            throw new CliException("the text does not fit the saved vocabulary: " + e.getMessage());
        }
        int split = (int) (ids.length * 0.9);
        if (split <= cfg.blockSize() + 1 || ids.length - split <= cfg.blockSize() + 1) {
            throw new CliException("the text has " + ids.length + " characters: too short for --block " + cfg.blockSize()
                    + " (each of the 90% train / 10% validation parts needs more than block + 1)");
        }
        int[] train = java.util.Arrays.copyOfRange(ids, 0, split);
        int[] val = java.util.Arrays.copyOfRange(ids, split, ids.length);

        Generator g = new Generator(seed);
        GPT model = new GPT(cfg, g);
        double lr = a.number("lr", 3e-3, 0, 10);
        AdamW opt = new AdamW(model.parameters(), lr, 0.9, 0.99, 1e-8, 0.1, false);
        WarmupCosine sched = new WarmupCosine(opt, Math.min(50, steps / 10 + 1), steps, lr / 10);
        int start = 0;
        if (resume) {
            start = (int) Checkpoint.load(ckptFile, model, opt, sched).step();
            out.printf("resumed from %s at step %d%n", ckptFile, start);
        } else {
            Files.createDirectories(dir);
            tok.save(dir);
        }
        out.printf("training a %,d-parameter GPT (%d layers, %d heads, %d wide, context %d) on %,d characters "
                + "(vocabulary %d)%n", model.numParameters(), cfg.nLayer(), cfg.nHead(), cfg.nEmbd(), cfg.blockSize(),
                ids.length, tok.vocabSize());
        Progress bar = new Progress(out, steps, "tok");
        double first = Double.NaN;
        double last = Double.NaN;
        double valLoss = Double.NaN;
        Generator batches = new Generator(seed + 1 + start);
        for (int step = start; step < steps; step++) {
            model.train();
            Tensor[] xy = batch(train, batch, cfg.blockSize(), batches);
            Tensor loss = model.loss(xy[0], xy[1]);
            opt.zeroGrad();
            loss.backward();
            GradClip.clipGradNorm(model.parameters(), 1.0);
            opt.step();
            sched.step();
            last = loss.item();
            if (Double.isNaN(first)) {
                first = last;
            }
            boolean end = step + 1 == steps;
            if ((step + 1) % evalEvery == 0 || end) {
                valLoss = evaluate(model, val, batch, cfg.blockSize(), new Generator(seed + 7));
            }
            if ((step + 1) % ckptEvery == 0 || end) {
                saveAll(dir, ckptFile, model, opt, sched, step + 1);
            }
            // "val -" until the first evaluation, rather than "val NaN"
            String shownVal = Double.isNaN(valLoss) ? "-" : String.format("%.3f", valLoss);
            bar.update(step + 1 - start == 0 ? 0 : step + 1, String.format("loss %.3f val %s", last, shownVal),
                    (double) (step + 1 - start) * batch * cfg.blockSize());
        }
        out.printf("saved the model to %s (checkpoint, config.json, model.safetensors, %s)%n", dir, CharTokenizer.FILE);
        String sample = sample(model, tok, text, a.integer("sample-chars", 300, 0, 100_000), seed);
        out.println("--- sample (temperature 0.8, top-k 10) ---");
        out.println(sample);
        return new Result(first, last, valLoss, sample, dir);
    }

    private static void saveAll(Path dir, Path ckptFile, GPT model, AdamW opt, WarmupCosine sched, long step)
            throws IOException {
        Map<String, String> extra = new LinkedHashMap<>();
        extra.put("note", "qkv train-gpt");
        Checkpoint.save(ckptFile, model, opt, sched, step, extra);
        HuggingFace.saveGpt2(model, dir);
    }

    /** Random windows of the token stream: inputs [B, T] and the same shifted by one as targets. */
    static Tensor[] batch(int[] data, int b, int t, Generator g) {
        long[] x = new long[b * t];
        long[] y = new long[b * t];
        for (int r = 0; r < b; r++) {
            int s = (int) g.nextLong(data.length - t - 1);
            for (int j = 0; j < t; j++) {
                x[r * t + j] = data[s + j];
                y[r * t + j] = data[s + j + 1];
            }
        }
        return new Tensor[] {Tensor.fromArray(x, b, t), Tensor.fromArray(y, b, t)};
    }

    static double evaluate(GPT model, int[] data, int b, int t, Generator g) {
        model.eval();
        double sum = 0;
        int n = 4;
        try (var s = Autograd.noGrad()) {
            for (int i = 0; i < n; i++) {
                Tensor[] xy = batch(data, b, t, g);
                sum += model.loss(xy[0], xy[1]).item();
            }
        }
        model.train();
        return sum / n;
    }

    static String sample(GPT model, CharTokenizer tok, String text, int chars, long seed) {
        if (chars == 0) {
            return "";
        }
        String prompt = text.startsWith("From") ? "Shall I" : text.substring(0, Math.min(8, text.length()));
        int[] gen = Generation.generate(model, tok.encode(prompt),
                new Generation.Config(Math.min(chars, model.contextLength() * 64), new Sampler(0.8, 10, 1.0, 1.0),
                        java.util.Set.of(), seed), null);
        return prompt + tok.decode(gen);
    }

    static String bundledCorpus() throws IOException {
        try (InputStream in = TrainGptCommand.class.getResourceAsStream("/dev/qkv/samples/data/sonnets.txt")) {
            if (in == null) {
                throw new IOException("the bundled corpus is missing from the jar");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static String readText(Path p) throws IOException {
        if (!Files.isRegularFile(p)) {
            throw new CliException("--text: " + p + " does not exist");
        }
        return Files.readString(p, StandardCharsets.UTF_8);
    }

    static String describe(GPTConfig c) {
        return Json.write(Map.of("vocab", (long) c.vocabSize()));
    }
}
