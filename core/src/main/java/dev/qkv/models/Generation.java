package dev.qkv.models;

import dev.qkv.autograd.Autograd;
import dev.qkv.tensor.Generator;
import dev.qkv.tensor.Tensor;

import java.util.Arrays;
import java.util.Set;
import java.util.function.BiConsumer;

/**
 * Autoregressive generation with a KV cache: prefill the prompt in one forward pass, then feed
 * one token per step. Batched prompts of different lengths are left-padded, with a key-padding
 * mask so the padding is never attended to. When an unpadded generation outgrows the model's
 * context, the window slides: the last half of the context becomes the new prompt (padded
 * batches stop at the context instead).
 */
public final class Generation {
    private Generation() {
    }

    /**
     * @param maxNewTokens how many tokens to generate at most per sequence
     * @param sampler      how to pick each token
     * @param stopTokens   ids that end a sequence (the stop token is included in the output)
     * @param seed         seed of the sampling generator
     */
    public record Config(int maxNewTokens, Sampler sampler, Set<Integer> stopTokens, long seed) {
        public Config {
            if (maxNewTokens < 0) {
                throw new IllegalArgumentException("Generation.Config: maxNewTokens must be >= 0, got " + maxNewTokens);
            }
        }

        public static Config greedy(int maxNewTokens) {
            return new Config(maxNewTokens, Sampler.greedy(), Set.of(), 0);
        }
    }

    /** Generates for one prompt; {@code onToken} (may be null) sees each new token as it comes. */
    public static int[] generate(CausalLM model, int[] prompt, Config cfg, java.util.function.IntConsumer onToken) {
        BiConsumer<Integer, Integer> cb = onToken == null ? null : (row, tok) -> onToken.accept(tok);
        return generate(model, new int[][] {prompt}, cfg, cb)[0];
    }

    /**
     * Generates for several prompts at once. Returns each sequence's new tokens only.
     * {@code onToken} (may be null) receives (row, token) as tokens are produced.
     */
    public static int[][] generate(CausalLM model, int[][] prompts, Config cfg, BiConsumer<Integer, Integer> onToken) {
        int b = prompts.length;
        int longest = 0;
        for (int[] p : prompts) {
            if (p.length == 0) {
                throw new IllegalArgumentException("generate: every prompt needs at least one token");
            }
            for (int id : p) {
                if (id < 0 || id >= model.vocabSize()) {
                    throw new IllegalArgumentException("generate: prompt token " + id + " is outside the vocabulary of "
                            + model.vocabSize());
                }
            }
            longest = Math.max(longest, p.length);
        }
        if (longest > model.contextLength()) {
            throw new IllegalArgumentException("generate: the prompt has " + longest + " tokens but the model's context is "
                    + model.contextLength());
        }
        int cacheLen = Math.min(longest + cfg.maxNewTokens(), model.contextLength());
        model.evalMode();
        // left padding: row r's prompt ends at column longest−1 for every row
        long[] ids = new long[b * longest];
        boolean[] real = new boolean[b * cacheLen];
        boolean padded = false;
        for (int r = 0; r < b; r++) {
            int pad = longest - prompts[r].length;
            padded |= pad > 0;
            for (int j = 0; j < prompts[r].length; j++) {
                ids[r * longest + pad + j] = prompts[r][j];
            }
            for (int j = pad; j < cacheLen; j++) {
                real[r * cacheLen + j] = true;
            }
        }
        Tensor keyPaddingAll = padded ? Tensor.fromArray(real, b, cacheLen) : null;
        Generator g = new Generator(cfg.seed());
        int[][] history = new int[b][];
        int[][] out = new int[b][];
        for (int r = 0; r < b; r++) {
            history[r] = prompts[r].clone();
            out[r] = new int[0];
        }
        boolean[] done = new boolean[b];
        try (var s = Autograd.noGrad()) {
            KVCache cache = model.newCache(b, cacheLen);
            Tensor input = Tensor.fromArray(ids, b, longest);
            for (int step = 0; step < cfg.maxNewTokens(); step++) {
                int seen = cache.length() + input.size(1);
                Tensor mask = keyPaddingAll == null ? null : keyPaddingAll.narrow(1, 0, seen);
                Tensor logits = model.forward(input, cache, mask);                     // (B, T, V)
                Tensor last = logits.select(1, logits.size(1) - 1);                    // (B, V)
                long[] next = new long[b];
                boolean all = true;
                for (int r = 0; r < b; r++) {
                    if (!done[r]) {
                        int tok = cfg.sampler().sample(last.select(0, r).toFloatArray(), history[r], g);
                        history[r] = append(history[r], tok);
                        out[r] = append(out[r], tok);
                        if (onToken != null) {
                            onToken.accept(r, tok);
                        }
                        done[r] = cfg.stopTokens().contains(tok);
                    }
                    next[r] = history[r][history[r].length - 1];                       // finished rows idle
                    all &= done[r];
                }
                if (all || step + 1 == cfg.maxNewTokens()) {
                    break;
                }
                if (cache.length() + 1 <= cacheLen) {
                    input = Tensor.fromArray(next, b, 1);
                } else if (!padded) {
                    // The context is full: slide the window, keeping the last half as the new prompt.
                    int keep = Math.max(1, model.contextLength() / 2);
                    long[] window = new long[b * keep];
                    for (int r = 0; r < b; r++) {
                        for (int j = 0; j < keep; j++) {
                            window[r * keep + j] = history[r][history[r].length - keep + j];
                        }
                    }
                    cache = model.newCache(b, cacheLen);
                    input = Tensor.fromArray(window, b, keep);
                } else {
                    break;                                                             // padded batches stop at the context
                }
            }
        }
        return out;
    }

    private static int[] append(int[] a, int v) {
        int[] r = Arrays.copyOf(a, a.length + 1);
        r[a.length] = v;
        return r;
    }
}
