package dev.qkv.samples.roadmap;

import dev.qkv.autograd.Autograd;
import dev.qkv.models.gpt.Block;
import dev.qkv.models.gpt.GPT;
import dev.qkv.models.gpt.GPTConfig;
import dev.qkv.nn.Init;
import dev.qkv.tensor.Generator;
import dev.qkv.tensor.Tensor;
import dev.qkv.tokenizer.CharTokenizer;

import java.util.function.Function;
import java.util.function.UnaryOperator;

/**
 * The synthetic tasks of the gpt and lora samples: lines of three distinct letters, an arrow and
 * an answer made from them, such as {@code abc>cba\n} (reversal). A training sequence is an
 * "episode" of several such lines. The query letters are random, so only the answer characters
 * are predictable; the loss counts only them.
 */
final class LetterTasks {
    private LetterTasks() {
    }

    /** 8 letters and their capitals, the arrow and the newline. */
    static final CharTokenizer TOK = CharTokenizer.fromText("abcdefghABCDEFGH>\n");
    /** Characters per line: "abc>cba\n". */
    static final int LINE = 8;

    /**
     * A 2-layer, 4-head GPT for episodes of {@code lines} lines (its context), without dropout.
     *
     * <p>GPT-2 initializes every weight with std 0.02, which suits width 768. At width 32 or 48
     * the queries and keys then start so small that attention is uniform, and the gradient that
     * would sharpen it is a product of two tiny weights: training sits on a plateau (loss ≈ ln 8,
     * guessing a letter) for hundreds of steps until attention finds the position to copy from.
     * Starting the q/k/v projection at std 0.2 removes the plateau.
     */
    static GPT newModel(int lines, int width, long seed) {
        GPT model = new GPT(GPTConfig.of(TOK.vocabSize(), lines * LINE, 2, 4, width, 0.0), new Generator(seed));
        try (var s = Autograd.noGrad()) {
            Generator init = new Generator(seed + 1);
            for (Block block : model.transformer.h) {
                Init.normal_(block.attn.cAttn.weight, 0, 0.2, init);
            }
        }
        return model;
    }

    /** Three distinct letters from a–h. */
    static String query(Generator g) {
        String letters = "abcdefgh";
        StringBuilder q = new StringBuilder();
        while (q.length() < 3) {
            char c = letters.charAt((int) g.nextLong(letters.length()));
            if (q.indexOf(String.valueOf(c)) < 0) {
                q.append(c);
            }
        }
        return q.toString();
    }

    static String reverse(String s) {
        return new StringBuilder(s).reverse().toString();
    }

    /**
     * A batch of B episodes of {@code lines} lines each: ids [B, T] and next-character targets
     * [B, T] with T = lines·LINE, where every target but the three answer characters of each line
     * is IGNORE.
     */
    static Tensor[] batch(Generator g, int b, int lines, Function<Generator, String> episode) {
        int t = lines * LINE;
        long[] x = new long[b * t];
        long[] y = new long[b * t];
        for (int r = 0; r < b; r++) {
            int[] ids = TOK.encode(episode.apply(g) + "a");          // one extra character as the last target
            for (int j = 0; j < t; j++) {
                x[r * t + j] = ids[j];
                int inLine = j % LINE;                               // at 3 ('>') the target is the first answer char
                y[r * t + j] = inLine >= 3 && inLine <= 5 ? ids[j + 1] : CharGpt.IGNORE;
            }
        }
        return new Tensor[] {Tensor.fromArray(x, b, t), Tensor.fromArray(y, b, t)};
    }

    /**
     * The share of answer lines that the model gets entirely right, reading each answer
     * character's argmax with the true earlier characters as input ("teacher forcing"). This
     * equals greedy decoding's exact-match accuracy: if every argmax is right, greedy decoding
     * produces the same characters, and if one is wrong, greedy goes wrong at the same place.
     * One forward pass scores a whole batch.
     */
    static double accuracy(UnaryOperator<Tensor> forward, Tensor[] xy) {
        try (var s = Autograd.noGrad()) {
            long[] pred = forward.apply(xy[0]).argmax(2, false).toLongArray();   // (B, T)
            long[] want = xy[1].toLongArray();
            int b = xy[0].size(0);
            int t = xy[0].size(1);
            int lines = 0;
            int right = 0;
            for (int r = 0; r < b; r++) {
                for (int l = 0; l < t / LINE; l++) {
                    boolean ok = true;
                    for (int j = 3; j <= 5; j++) {
                        int i = r * t + l * LINE + j;
                        ok &= pred[i] == want[i];
                    }
                    lines++;
                    right += ok ? 1 : 0;
                }
            }
            return (double) right / lines;
        }
    }
}
