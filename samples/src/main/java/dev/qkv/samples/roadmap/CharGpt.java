package dev.qkv.samples.roadmap;

import dev.qkv.autograd.Autograd;
import dev.qkv.nn.functional.F;
import dev.qkv.nn.functional.Reduction;
import dev.qkv.optim.AdamW;
import dev.qkv.optim.GradClip;
import dev.qkv.optim.WarmupCosine;
import dev.qkv.samples.SampleContext;
import dev.qkv.samples.cli.CliException;
import dev.qkv.samples.cli.Progress;
import dev.qkv.tensor.Generator;
import dev.qkv.tensor.Tensor;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * What the GPT-family samples (gpt, lora, quantization) share: the text they train on, random
 * windows of it as batches, the training loop of a small character-level GPT, and the loss on
 * held-out text. Not a sample itself; {@code qkv train-gpt} is the full-featured version of the
 * same loop (checkpoints, resume, validation during training).
 *
 * <p>The loop takes the model as a function from token ids [B, T] to logits [B, T, V] and the
 * list of tensors to train, so the LoRA sample can train its adapters with the same code while
 * the base weights stay frozen.
 */
final class CharGpt {
    private CharGpt() {
    }

    /** A target with this id adds no loss (PyTorch's ignore_index): used to score only answer characters. */
    static final int IGNORE = -100;

    /** Training batches: {ids [B, T], targets [B, T]}. */
    interface Batches {
        Tensor[] next(Generator g);
    }

    /** The text of {@code --data FILE}, or the 15 Shakespeare sonnets bundled with the samples (8.7 KB). */
    static String corpus(SampleContext ctx) throws IOException {
        if (ctx.args().has("data")) {
            Path p = Path.of(ctx.args().required("data"));
            if (!Files.isRegularFile(p)) {
                throw new CliException("--data: " + p + " does not exist");
            }
            return Files.readString(p, StandardCharsets.UTF_8);
        }
        try (InputStream in = CharGpt.class.getResourceAsStream("/dev/qkv/samples/data/sonnets.txt")) {
            if (in == null) {
                throw new IOException("the bundled sonnets are missing from the jar");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** B random windows of T+1 tokens: inputs [B, T] and, shifted by one, the next-token targets [B, T]. */
    static Tensor[] windows(int[] data, int b, int t, Generator g) {
        if (data.length < t + 2) {
            throw new CliException("the text has " + data.length + " characters, too few for windows of " + t);
        }
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

    /** Mean cross-entropy of logits [B, T, V] against targets [B, T], skipping IGNORE targets. */
    static Tensor loss(Tensor logits, Tensor targets) {
        int v = logits.size(2);
        return F.crossEntropy(logits.reshape(-1, v), targets.reshape(-1), Reduction.MEAN, IGNORE, 0.0);
    }

    /**
     * Trains {@code params} for {@code steps} steps of AdamW (betas 0.9/0.99, weight decay 0.01)
     * with a short linear warmup, cosine decay to lr/10 and gradients clipped to norm 1 — the
     * recipe of nanoGPT's small runs. Shows a progress bar; returns the loss of every step.
     */
    static double[] train(SampleContext ctx, List<? extends Tensor> params, UnaryOperator<Tensor> forward,
                          Batches batches, int steps, double lr, long seed) {
        AdamW opt = new AdamW(params, lr, 0.9, 0.99, 1e-8, 0.01, false);
        WarmupCosine sched = new WarmupCosine(opt, Math.max(1, Math.min(30, steps / 10)), steps, lr / 10);
        Generator g = new Generator(seed);
        Progress bar = ctx.progress(steps, "tok");
        double[] losses = new double[steps];
        double tokens = 0;
        for (int step = 0; step < steps; step++) {
            Tensor[] xy = batches.next(g);
            Tensor loss = loss(forward.apply(xy[0]), xy[1]);
            opt.zeroGrad();
            loss.backward();
            GradClip.clipGradNorm(params, 1.0);
            opt.step();
            sched.step();
            losses[step] = loss.item();
            tokens += xy[0].numel();
            bar.update(step + 1, String.format("loss %.3f", smoothed(losses, step)), tokens);
        }
        return losses;
    }

    /** The mean of the last (up to) 20 losses: single batches are noisy. */
    static double smoothed(double[] losses, int upTo) {
        double sum = 0;
        int n = 0;
        for (int i = Math.max(0, upTo - 19); i <= upTo; i++) {
            sum += losses[i];
            n++;
        }
        return sum / n;
    }

    /**
     * Mean next-character loss (nats) over a held-out token stream, cut into consecutive windows
     * of T (no overlap, the remainder dropped), so every run scores exactly the same characters.
     * exp of it is the perplexity.
     */
    static double heldOutLoss(UnaryOperator<Tensor> forward, int[] data, int t) {
        int windows = (data.length - 1) / t;
        if (windows == 0) {
            throw new CliException("the held-out text has " + data.length + " characters, too few for one window of " + t);
        }
        long[] x = new long[windows * t];
        long[] y = new long[windows * t];
        for (int w = 0; w < windows; w++) {
            for (int j = 0; j < t; j++) {
                x[w * t + j] = data[w * t + j];
                y[w * t + j] = data[w * t + j + 1];
            }
        }
        try (var s = Autograd.noGrad()) {
            return loss(forward.apply(Tensor.fromArray(x, windows, t)), Tensor.fromArray(y, windows, t)).item();
        }
    }
}
