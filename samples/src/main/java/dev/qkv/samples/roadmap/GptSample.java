package dev.qkv.samples.roadmap;

import dev.qkv.models.Generation;
import dev.qkv.models.Sampler;
import dev.qkv.models.gpt.GPT;
import dev.qkv.models.gpt.GPTConfig;
import dev.qkv.models.hf.HuggingFace;
import dev.qkv.samples.Sample;
import dev.qkv.samples.SampleContext;
import dev.qkv.samples.plot.Plot;
import dev.qkv.tensor.Generator;
import dev.qkv.tokenizer.CharTokenizer;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * A character-level GPT, in two parts.
 *
 * <p><b>1. Language modelling.</b> A small GPT learns to predict the next character of a text
 * (the bundled sonnets, or {@code --data FILE}), and then writes: the same prompt sampled at
 * temperatures 0.5, 1.0 and 1.5, and with the choice cut to the 5 most likely characters (top-k).
 * Temperature divides the logits before the softmax: below 1 the distribution sharpens (safe,
 * repetitive), above 1 it flattens (varied, misspelt). Top-k removes the long tail of unlikely
 * characters that makes sampled text go wrong. To put a number on it the sample counts how many
 * generated words are real words of the corpus.
 *
 * <p><b>2. Few-shot prompting.</b> A second small GPT is trained on "episodes": lines
 * {@code abc>cba} that reverse three letters, where in each episode either every answer is in
 * lowercase or every answer is in capitals ({@code abc>CBA}), chosen at random. Nothing in a
 * query says which; only the examples before it do. Prompted with k solved examples and a new
 * query, the model's greedy completion is right about half the time with k = 0 (it has to guess
 * the case) and nearly always with k ≥ 1: it reads the task off its prompt. That is all
 * few-shot prompting is — the examples select a behaviour the model learned in training; this
 * model cannot learn a new task (say, sorting) from examples, because it never saw one.
 */
public final class GptSample implements Sample {
    @Override
    public String name() {
        return "gpt";
    }

    @Override
    public String summary() {
        return "a character-level GPT: train, sample with temperature and top-k, few-shot prompting";
    }

    @Override
    public List<String> options() {
        return List.of("data", "steps");
    }

    @Override
    public Map<String, Double> run(SampleContext ctx) throws Exception {
        Map<String, Double> results = new LinkedHashMap<>();
        double[] lmLosses = languageModel(ctx, results);
        double[] fewShotLosses = fewShot(ctx, results);
        Path p = ctx.file("gpt-loss.svg");
        Plot.lineChart(p, "training loss (mean of the last 20 steps)", "step", "cross-entropy (nats)",
                List.of(Plot.Series.of("text: next character", smooth(lmLosses)),
                        Plot.Series.of("few-shot task: answer characters", smooth(fewShotLosses))), false);
        ctx.wrote(p, "both training curves");
        return results;
    }

    // ===================================================================== 1. language modelling

    private double[] languageModel(SampleContext ctx, Map<String, Double> results) throws Exception {
        String text = CharGpt.corpus(ctx);
        CharTokenizer tok = CharTokenizer.fromText(text);
        int[] ids = tok.encode(text);
        int split = (int) (ids.length * 0.9);                        // the last 10% is held out
        int[] train = Arrays.copyOfRange(ids, 0, split);
        int[] val = Arrays.copyOfRange(ids, split, ids.length);
        // Dropout 0 keeps the run short and simple. On 8.7 KB of text the model does start to
        // memorize (train loss below held-out loss); qkv train-gpt has --dropout for longer runs.
        GPTConfig cfg = GPTConfig.of(tok.vocabSize(), ctx.size(64, 32), ctx.size(2, 1), 4, ctx.size(64, 32), 0.0);
        GPT model = new GPT(cfg, new Generator(ctx.seed()));
        int steps = ctx.args().integer("steps", ctx.size(500, 80), 1, 1_000_000);
        int batch = ctx.size(16, 8);
        ctx.out().printf("1. a %,d-parameter GPT (%d layers, %d heads, width %d, context %d) learns the next character "
                        + "of %,d characters (vocabulary %d; a uniform guess has loss ln %d = %.2f)%n",
                model.numParameters(), cfg.nLayer(), cfg.nHead(), cfg.nEmbd(), cfg.blockSize(), ids.length,
                tok.vocabSize(), tok.vocabSize(), Math.log(tok.vocabSize()));
        double[] losses = CharGpt.train(ctx, model.parameters(), model::forward,
                g -> CharGpt.windows(train, batch, cfg.blockSize(), g), steps, 3e-3, ctx.seed() + 1);
        model.eval();
        double trainLoss = CharGpt.smoothed(losses, steps - 1);
        double valLoss = CharGpt.heldOutLoss(model::forward, val, cfg.blockSize());
        ctx.out().printf("train loss %.3f, held-out loss %.3f (perplexity %.1f: as unsure as a choice among %.0f "
                + "characters)%n", trainLoss, valLoss, Math.exp(valLoss), Math.exp(valLoss));
        results.put("train_loss", trainLoss);
        results.put("val_loss", valLoss);

        Path dir = ctx.file("model");
        HuggingFace.saveGpt2(model, dir);
        tok.save(dir);
        ctx.wrote(dir, "the model: qkv generate --model " + dir + " --prompt TEXT; qkv sample quantization --model "
                + dir);

        // Sampling: one prompt, several settings, the same seed.
        String prompt = text.contains("Shall I") ? "Shall I" : text.substring(0, Math.min(8, text.length()));
        Set<String> words = words(text);
        int chars = ctx.size(800, 100);                             // scored; the first 200 are printed
        ctx.out().printf("samples after \"%s\" (real words = share of %d generated characters' words that occur in "
                + "the corpus):%n", prompt, chars);
        double[][] settings = {{0.5, 0}, {1.0, 0}, {1.5, 0}, {1.0, 5}};   // {temperature, top-k (0 = all)}
        for (double[] s : settings) {
            Sampler sampler = new Sampler(s[0], (int) s[1], 1.0, 1.0);
            int[] out = Generation.generate(model, tok.encode(prompt),
                    new Generation.Config(chars, sampler, Set.of(), ctx.seed()), null);
            String gen = tok.decode(out);
            double real = realWordShare(gen, words);
            String label = String.format(Locale.ROOT, "temperature %.1f, %s", s[0],
                    s[1] == 0 ? "all characters" : "top-" + (int) s[1]);
            ctx.out().printf("--- %s: %.0f%% real words%n%s%s%n", label, 100 * real, prompt,
                    gen.substring(0, Math.min(200, gen.length())));
            results.put(String.format(Locale.ROOT, "real_words[T=%.1f,k=%d]", s[0], (int) s[1]), real);
        }
        return losses;
    }

    /** The lowercase words of a text. */
    static Set<String> words(String text) {
        Set<String> set = new HashSet<>();
        for (String w : text.toLowerCase(Locale.ROOT).split("[^a-z']+")) {
            if (!w.isEmpty()) {
                set.add(w);
            }
        }
        return set;
    }

    /** The share of complete words in generated text (the last one may be cut off) that are in {@code known}. */
    static double realWordShare(String generated, Set<String> known) {
        String[] ws = generated.toLowerCase(Locale.ROOT).split("[^a-z']+");
        int n = 0;
        int real = 0;
        for (int i = 0; i < ws.length - 1; i++) {
            if (!ws[i].isEmpty()) {
                n++;
                real += known.contains(ws[i]) ? 1 : 0;
            }
        }
        return n == 0 ? 0 : (double) real / n;
    }

    // ===================================================================== 2. few-shot prompting

    /** One solved line: the letters reversed, in capitals if {@code upper}: "abc>cba\n" or "abc>CBA\n". */
    static String line(Generator g, boolean upper) {
        String q = LetterTasks.query(g);
        String answer = LetterTasks.reverse(q);
        return q + ">" + (upper ? answer.toUpperCase(Locale.ROOT) : answer) + "\n";
    }

    /** An episode: {@code lines} solved lines, all lowercase or (with probability 1/2) all capitals. */
    static String episode(Generator g, int lines) {
        boolean upper = g.nextLong(2) == 1;
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < lines; i++) {
            sb.append(line(g, upper));
        }
        return sb.toString();
    }

    private double[] fewShot(SampleContext ctx, Map<String, Double> results) {
        int lines = ctx.size(5, 3);                                  // so prompts hold 0 .. lines-1 examples
        GPT model = LetterTasks.newModel(lines, ctx.size(48, 32), ctx.seed() + 10);
        int steps = ctx.size(300, 150);
        int batch = ctx.size(32, 16);
        ctx.out().printf("2. few-shot prompting: a %,d-parameter GPT trained on episodes of %d lines like \"%s\", "
                        + "either all in lowercase or all in capitals%n", model.numParameters(), lines,
                episode(new Generator(1), 2).replace("\n", "\\n"));
        double[] losses = CharGpt.train(ctx, model.parameters(), model::forward,
                g -> LetterTasks.batch(g, batch, lines, e -> episode(e, lines)), steps, 1e-2, ctx.seed() + 11);
        double trainLoss = CharGpt.smoothed(losses, steps - 1);
        ctx.out().printf("final loss on answer characters %.3f%n", trainLoss);
        results.put("fewshot_train_loss", trainLoss);

        // Evaluation: k solved examples + a new query "xyz>", greedy completion of 3 characters.
        int n = ctx.size(200, 100);
        ctx.out().println("greedy completions of new queries after k examples:");
        for (int k = 0; k < lines; k++) {
            Generator g = new Generator(ctx.seed() + 100 + k);
            int[][] prompts = new int[n][];
            String[] expected = new String[n];
            for (int i = 0; i < n; i++) {
                String ep = episode(g, k + 1);
                int cut = k * LetterTasks.LINE + 4;                  // everything up to the last '>'
                prompts[i] = LetterTasks.TOK.encode(ep.substring(0, cut));
                expected[i] = ep.substring(cut, cut + 3);
            }
            int[][] out = Generation.generate(model, prompts, Generation.Config.greedy(3), null);
            int right = 0;
            for (int i = 0; i < n; i++) {
                right += LetterTasks.TOK.decode(out[i]).equals(expected[i]) ? 1 : 0;
            }
            double acc = (double) right / n;
            ctx.out().printf("  %d-shot: %5.1f%% right (%d queries)%s%n", k, 100 * acc, n,
                    k == 0 ? "  <- nothing tells it lowercase or capitals: it can only guess" : "");
            results.put("fewshot_acc_" + k + "shot", acc);
        }
        // The same query after a lowercase and after a capital example.
        for (String example : new String[] {"bfc>cfb\n", "bfc>CFB\n"}) {
            String prompt = example + "dhe>";
            int[] out = Generation.generate(model, LetterTasks.TOK.encode(prompt), Generation.Config.greedy(3), null);
            ctx.out().printf("  prompt \"%s\" -> \"%s\"%n", prompt.replace("\n", "\\n"), LetterTasks.TOK.decode(out));
        }
        return losses;
    }

    /** Each point the mean of the last 20 losses, for a readable curve. */
    static double[] smooth(double[] losses) {
        double[] s = new double[losses.length];
        for (int i = 0; i < s.length; i++) {
            s[i] = CharGpt.smoothed(losses, i);
        }
        return s;
    }
}
