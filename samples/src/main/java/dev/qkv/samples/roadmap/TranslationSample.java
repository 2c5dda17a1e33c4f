package dev.qkv.samples.roadmap;

import dev.qkv.autograd.Autograd;
import dev.qkv.models.seq2seq.EncoderDecoder;
import dev.qkv.models.seq2seq.Seq2SeqConfig;
import dev.qkv.models.seq2seq.Seq2SeqSearch;
import dev.qkv.nn.Parameter;
import dev.qkv.nn.TransformerDecoderLayer;
import dev.qkv.optim.AdamW;
import dev.qkv.optim.GradClip;
import dev.qkv.optim.WarmupCosine;
import dev.qkv.samples.Sample;
import dev.qkv.samples.SampleContext;
import dev.qkv.samples.cli.CliException;
import dev.qkv.samples.cli.Progress;
import dev.qkv.samples.plot.Plot;
import dev.qkv.tensor.Generator;
import dev.qkv.tensor.Tensor;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Translation with an encoder-decoder Transformer, T5-style: one model, one shared vocabulary,
 * and the task named in the input. The generated parallel corpus turns number words into
 * digits and back ("digits: three hundred forty two" → "342", "words: 342" → "three hundred
 * forty two"); the model is scored on numbers it never saw, with exact match and corpus BLEU,
 * decoding greedily and with beam search.
 *
 * <p>Why numbers: the mapping is exact, so we can tell right from almost right, and the model
 * must learn real structure to generalize: reordering ("forty two" / "42" keep order, but
 * "thirteen" is one word for two digits), insertion ("hundred", "thousand" have no digit) and
 * deletion (a "0" digit has no word).
 */
public final class TranslationSample implements Sample {
    @Override
    public String name() {
        return "translation";
    }

    @Override
    public String summary() {
        return "encoder-decoder (T5-style) translating number words <-> digits; greedy vs beam, BLEU and exact match";
    }

    @Override
    public List<String> options() {
        return List.of("data", "steps", "beam");
    }

    /** One source/target pair of strings. */
    record Pair(String source, String target) {
    }

    // ===================================================================== the parallel corpus

    static final String[] ONES = {"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
        "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"};
    static final String[] TENS = {"", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"};

    /** English words for 0 ≤ n ≤ 999,999: 3042 → "three thousand forty two" (no "and", no hyphens). */
    static String words(int n) {
        if (n < 0 || n > 999_999) {
            throw new IllegalArgumentException("words: n must be in [0, 999999], got " + n);
        }
        if (n == 0) {
            return "zero";
        }
        String thousands = n >= 1000 ? below1000(n / 1000) + " thousand" : "";
        String rest = n % 1000 > 0 ? below1000(n % 1000) : "";
        return (thousands + " " + rest).trim();
    }

    private static String below1000(int n) {                              // 1 ≤ n ≤ 999
        String hundreds = n >= 100 ? ONES[n / 100] + " hundred" : "";
        int r = n % 100;
        String tens = r == 0 ? "" : r < 20 ? ONES[r] : TENS[r / 10] + (r % 10 > 0 ? " " + ONES[r % 10] : "");
        return (hundreds + " " + tens).trim();
    }

    /**
     * Both directions for each number, with the task as a prefix of the source: the same
     * weights learn both, as a T5 model learns all its tasks.
     */
    static List<Pair> pairs(List<Integer> numbers) {
        List<Pair> out = new ArrayList<>();
        for (int n : numbers) {
            out.add(new Pair("digits: " + words(n), Integer.toString(n)));
            out.add(new Pair("words: " + n, words(n)));
        }
        return out;
    }

    /**
     * Reads a parallel corpus, one "source&lt;TAB&gt;target" pair per line, and keeps the pairs
     * whose token sequences fit in maxLen − 1 (room for BOS/EOS).
     */
    static List<Pair> load(Path file, int maxLen) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new CliException("--data: " + file + " is not a file");
        }
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        List<Pair> out = new ArrayList<>();
        int tooLong = 0;
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty()) {
                continue;
            }
            String[] parts = line.split("\t");
            if (parts.length != 2 || parts[0].isBlank() || parts[1].isBlank()) {
                throw new CliException("--data " + file + ", line " + (i + 1) + ": expected 'source<TAB>target', got '"
                        + (line.length() > 60 ? line.substring(0, 60) + "..." : line) + "'");
            }
            Pair p = new Pair(parts[0].strip(), parts[1].strip());
            if (tokenize(p.source()).size() >= maxLen || tokenize(p.target()).size() >= maxLen) {
                tooLong++;
                continue;
            }
            out.add(p);
        }
        if (out.size() < 20) {
            throw new CliException("--data " + file + ": need at least 20 pairs of at most " + (maxLen - 1)
                    + " tokens, got " + out.size() + (tooLong > 0 ? " (" + tooLong + " longer ones skipped)" : ""));
        }
        return out;
    }

    // ===================================================================== tokens

    /**
     * Text to tokens: split at spaces; every digit, CJK character and punctuation mark is a
     * token of its own ("words: 342" → "words", ":", "3", "4", "2"), so numbers of any length
     * and Chinese text need no word list. A word-level vocabulary is enough here; a real
     * translation model would use subwords (BPE, SentencePiece).
     */
    static List<String> tokenize(String text) {
        List<String> out = new ArrayList<>();
        for (String w : text.strip().split("\\s+")) {
            StringBuilder cur = new StringBuilder();
            for (int i = 0; i < w.length(); ) {
                int cp = w.codePointAt(i);
                i += Character.charCount(cp);
                if (Character.isDigit(cp) || isCjk(cp) || !Character.isLetter(cp)) {
                    if (!cur.isEmpty()) {
                        out.add(cur.toString());
                        cur.setLength(0);
                    }
                    out.add(new String(Character.toChars(cp)));
                } else {
                    cur.appendCodePoint(cp);
                }
            }
            if (!cur.isEmpty()) {
                out.add(cur.toString());
            }
        }
        return out;
    }

    /** Tokens back to text: spaces between words, none between digits or CJK characters. */
    static String detokenize(List<String> toks) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < toks.size(); i++) {
            String t = toks.get(i);
            if (i > 0 && !(tight(toks.get(i - 1)) && tight(t))) {
                sb.append(' ');
            }
            sb.append(t);
        }
        return sb.toString();
    }

    /** A target as the model can write it: tokenized and joined back ("你好 25" → "你好25"). Exact match compares this. */
    static String normalized(String text) {
        return detokenize(tokenize(text));
    }

    private static boolean tight(String token) {
        int cp = token.codePointAt(0);
        return Character.isDigit(cp) || isCjk(cp);
    }

    private static boolean isCjk(int cp) {
        return Character.UnicodeScript.of(cp) == Character.UnicodeScript.HAN;
    }

    static final int PAD = 0;
    static final int BOS = 1;
    static final int EOS = 2;
    static final int UNK = 3;

    /** A shared vocabulary: the four special tokens, then every token of the training pairs. */
    record Vocab(List<String> tokens, Map<String, Integer> ids) {
        static Vocab of(List<Pair> pairs) {
            Set<String> set = new LinkedHashSet<>(List.of("<pad>", "<bos>", "<eos>", "<unk>"));
            for (Pair p : pairs) {
                set.addAll(tokenize(p.source()));
                set.addAll(tokenize(p.target()));
            }
            List<String> list = new ArrayList<>(set);
            Map<String, Integer> ids = new HashMap<>();
            for (int i = 0; i < list.size(); i++) {
                ids.put(list.get(i), i);
            }
            return new Vocab(list, ids);
        }

        long[] encode(String text) {
            return tokenize(text).stream().mapToLong(t -> ids.getOrDefault(t, UNK)).toArray();
        }

        String decode(int[] ids) {
            List<String> out = new ArrayList<>();
            for (int id : ids) {
                if (id == EOS) {
                    break;
                }
                out.add(tokens.get(id));
            }
            return detokenize(out);
        }
    }

    // ===================================================================== BLEU

    /**
     * Corpus BLEU (Papineni et al., 2002) with one reference per sentence, n-grams up to maxN:
     * <pre>
     *   p_n  = Σ_sentences Σ_ngrams min(count in hypothesis, count in reference) / Σ_sentences #n-grams in hypothesis
     *   BP   = 1 if c &gt; r else exp(1 − r/c)       (c, r: total hypothesis and reference lengths)
     *   BLEU = BP · exp(Σ_n log(p_n) / maxN)
     * </pre>
     * Counts are summed over the corpus before dividing, so a short sentence without 4-grams
     * still counts for the lower orders. Without smoothing: any p_n = 0 gives BLEU 0. Returns a
     * value in [0, 1] (papers print 100·BLEU).
     */
    static double corpusBleu(List<List<String>> hypotheses, List<List<String>> references, int maxN) {
        long[] matched = new long[maxN + 1];
        long[] total = new long[maxN + 1];
        long c = 0;
        long r = 0;
        for (int s = 0; s < hypotheses.size(); s++) {
            List<String> hyp = hypotheses.get(s);
            List<String> ref = references.get(s);
            c += hyp.size();
            r += ref.size();
            for (int n = 1; n <= maxN; n++) {
                Map<List<String>, Integer> refCounts = ngrams(ref, n);
                for (Map.Entry<List<String>, Integer> e : ngrams(hyp, n).entrySet()) {
                    matched[n] += Math.min(e.getValue(), refCounts.getOrDefault(e.getKey(), 0));   // clipped
                    total[n] += e.getValue();
                }
            }
        }
        double logSum = 0;
        for (int n = 1; n <= maxN; n++) {
            if (matched[n] == 0) {
                return 0;
            }
            logSum += Math.log(matched[n] / (double) total[n]);
        }
        double bp = c > r ? 1 : c == 0 ? 0 : Math.exp(1 - r / (double) c);
        return bp * Math.exp(logSum / maxN);
    }

    private static Map<List<String>, Integer> ngrams(List<String> toks, int n) {
        Map<List<String>, Integer> out = new HashMap<>();
        for (int i = 0; i + n <= toks.size(); i++) {
            out.merge(List.copyOf(toks.subList(i, i + n)), 1, Integer::sum);
        }
        return out;
    }

    // ===================================================================== batches

    /** src [B, S] padded with PAD; tgtIn [B, T] = BOS + target; tgtOut [B, T] = target + EOS, padded with PAD. */
    record Batch(Tensor src, Tensor tgtIn, Tensor tgtOut) {
    }

    static Batch batch(List<long[]> srcs, List<long[]> tgts) {
        int b = srcs.size();
        int s = srcs.stream().mapToInt(x -> x.length).max().orElse(1);
        int t = tgts.stream().mapToInt(x -> x.length + 1).max().orElse(1);
        long[] src = new long[b * s];                                      // PAD = 0
        long[] in = new long[b * t];
        long[] out = new long[b * t];
        for (int i = 0; i < b; i++) {
            System.arraycopy(srcs.get(i), 0, src, i * s, srcs.get(i).length);
            long[] y = tgts.get(i);
            in[i * t] = BOS;
            System.arraycopy(y, 0, in, i * t + 1, y.length);              // teacher forcing: the right answer so far
            System.arraycopy(y, 0, out, i * t, y.length);
            out[i * t + y.length] = EOS;
        }
        return new Batch(Tensor.fromArray(src, b, s), Tensor.fromArray(in, b, t), Tensor.fromArray(out, b, t));
    }

    // ===================================================================== the sample

    @Override
    public Map<String, Double> run(SampleContext ctx) throws Exception {
        int maxLen = 24;
        Generator g = new Generator(ctx.seed());
        List<Pair> train;
        List<Pair> test;
        boolean numbers = !ctx.args().has("data");
        if (numbers) {
            // numbers below 10,000 (below 1,000 for --smoke); the held-out numbers never occur in training
            int range = ctx.size(10_000, 1_000);
            int[] order = BertSample.shuffled(range, g);
            int nTest = ctx.size(300, 100);
            int nTrain = Math.min(range - nTest, ctx.size(4000, 900));
            List<Integer> testNumbers = new ArrayList<>();
            List<Integer> trainNumbers = new ArrayList<>();
            for (int i = 0; i < nTest + nTrain; i++) {
                (i < nTest ? testNumbers : trainNumbers).add(order[i]);
            }
            train = pairs(trainNumbers);
            test = pairs(testNumbers);
        } else {
            List<Pair> all = load(Path.of(ctx.args().string("data", "")), maxLen);
            int[] order = BertSample.shuffled(all.size(), g);
            int nTest = Math.max(1, all.size() / 10);
            train = new ArrayList<>();
            test = new ArrayList<>();
            for (int i = 0; i < order.length; i++) {
                (i < nTest ? test : train).add(all.get(order[i]));
            }
        }
        Vocab vocab = Vocab.of(train);
        ctx.out().printf("data: %d training pairs, %d held-out pairs, shared vocabulary of %d tokens%n", train.size(),
                test.size(), vocab.tokens().size());
        for (int i = 0; i < Math.min(2, train.size()); i++) {
            ctx.out().printf("  \"%s\" -> \"%s\"   tokens %s -> %s%n", train.get(i).source(), train.get(i).target(),
                    tokenize(train.get(i).source()), tokenize(train.get(i).target()));
        }

        // C = 64, 2 + 2 pre-norm layers, 4 heads; one embedding table for source, target and the output
        // layer (T5's shared vocabulary). No dropout: the mapping is exact and data is plentiful.
        Seq2SeqConfig cfg = Seq2SeqConfig.shared(vocab.tokens().size(), 64, 4, 2, 0.0, maxLen);
        EncoderDecoder model = new EncoderDecoder(cfg, new Generator(ctx.seed() + 1));
        ctx.out().printf("model: %,d parameters%n", model.numParameters());
        int steps = ctx.args().integer("steps", ctx.size(600, 150), 1, 1_000_000);
        List<Pair> probe = test.subList(0, Math.min(64, test.size()));
        List<double[]> curve = new ArrayList<>();
        double[] losses = train(ctx, model, vocab, train, steps, probe, curve, g);

        // ---- evaluation on the held-out pairs
        Map<String, Double> results = new LinkedHashMap<>();
        int tail = Math.max(1, steps / 10);
        results.put("loss_first", BertSample.mean(losses, 0, tail));
        results.put("loss_last", BertSample.mean(losses, steps - tail, steps));
        List<String> greedy = greedy(model, vocab, test, maxLen);
        Map<String, List<Integer>> byTask = new LinkedHashMap<>();
        for (int i = 0; i < test.size(); i++) {
            byTask.computeIfAbsent(numbers ? test.get(i).source().substring(0, test.get(i).source().indexOf(':')) : "all",
                    k -> new ArrayList<>()).add(i);
        }
        ctx.out().printf("%nheld-out results (greedy decoding):%n");
        for (var e : byTask.entrySet()) {
            List<List<String>> hyps = new ArrayList<>();
            List<List<String>> refs = new ArrayList<>();
            int exact = 0;
            for (int i : e.getValue()) {
                exact += greedy.get(i).equals(normalized(test.get(i).target())) ? 1 : 0;
                hyps.add(tokenize(greedy.get(i)));
                refs.add(tokenize(test.get(i).target()));
            }
            double em = exact / (double) e.getValue().size();
            double bleu = corpusBleu(hyps, refs, 4);
            results.put("exact_match_" + e.getKey(), em);
            results.put("bleu_" + e.getKey(), 100 * bleu);
            ctx.out().printf("  %-7s exact match %5.1f%%   BLEU %5.1f  (%d pairs)%n", e.getKey(), 100 * em, 100 * bleu,
                    e.getValue().size());
        }
        if (numbers) {
            ctx.out().println("  (BLEU is most telling for 'words'; a digit string is one word to a reader, and "
                    + "its 4-grams exist only for 4-digit numbers)");
        }
        int shown = 0;
        for (int i = 0; i < test.size() && shown < 6; i++) {
            boolean ok = greedy.get(i).equals(normalized(test.get(i).target()));
            if (shown < 3 || !ok) {
                ctx.out().printf("  %s \"%s\" -> \"%s\"%s%n", ok ? "ok " : "err", test.get(i).source(), greedy.get(i),
                        ok ? "" : "   (expected \"" + test.get(i).target() + "\")");
                shown++;
            }
        }

        // ---- beam search on a subset: slower (one sentence at a time), rarely better on an exact task
        int beam = ctx.args().integer("beam", 4, 1, 32);
        int nBeam = Math.min(test.size(), ctx.size(60, 16));
        int greedyRight = 0;
        int beamRight = 0;
        for (int i = 0; i < nBeam; i++) {
            Tensor src = Tensor.fromArray(vocab.encode(test.get(i).source()), 1, vocab.encode(test.get(i).source()).length);
            Seq2SeqSearch.Hypothesis h = model.beamSearch(src, BOS, EOS, beam, maxLen, 1.0);
            beamRight += vocab.decode(h.tokens()).equals(normalized(test.get(i).target())) ? 1 : 0;
            greedyRight += greedy.get(i).equals(normalized(test.get(i).target())) ? 1 : 0;
        }
        results.put("beam_exact_match", beamRight / (double) nBeam);
        results.put("greedy_exact_match_same_subset", greedyRight / (double) nBeam);
        ctx.out().printf("beam search (beam %d, length penalty 1.0) on the first %d held-out pairs: exact match "
                + "%.1f%% (greedy on the same pairs: %.1f%%)%n", beam, nBeam, 100.0 * beamRight / nBeam,
                100.0 * greedyRight / nBeam);

        // ---- pictures
        Path p = ctx.file("translation-loss.svg");
        double[] evalSteps = curve.stream().mapToDouble(x -> x[0]).toArray();
        double[] evalEm = curve.stream().mapToDouble(x -> x[1]).toArray();
        Plot.lineChart(p, "training loss (teacher forcing)", "step", "cross-entropy per target token",
                List.of(Plot.Series.of("train (per batch)", losses)), true);
        ctx.wrote(p, "loss curve");
        Path q = ctx.file("translation-exact-match.svg");
        Plot.lineChart(q, "held-out exact match during training (greedy, " + probe.size() + " pairs)", "step",
                "exact match", List.of(Plot.Series.points("exact match", evalSteps, evalEm)), false);
        ctx.wrote(q, "exact match against step");
        Pair shownPair = test.get(0);
        for (Pair t : test) {
            if (t.source().startsWith("words:") && tokenize(t.target()).size() >= 4) {
                shownPair = t;
                break;
            }
        }
        double[][] att = crossAttention(model, vocab, shownPair);
        Path r = ctx.file("translation-cross-attention.png");
        Plot.heatmap(r, att, 24);
        ctx.wrote(r, "last decoder layer's cross-attention for \"" + shownPair.source() + "\": row = output token, "
                + "column = source token, bright = attended");
        printAlignment(ctx, vocab, shownPair, att);
        return results;
    }

    /**
     * Teacher-forced training: the decoder sees the true target shifted right and predicts each
     * next token; the loss ignores padding. Every tenth of the way, greedy-decodes the probe
     * pairs for the exact-match curve ({step, exact match} into {@code curve}).
     */
    static double[] train(SampleContext ctx, EncoderDecoder model, Vocab vocab, List<Pair> train, int steps,
                          List<Pair> probe, List<double[]> curve, Generator g) {
        List<long[]> srcs = train.stream().map(p -> vocab.encode(p.source())).toList();
        List<long[]> tgts = train.stream().map(p -> vocab.encode(p.target())).toList();
        List<Parameter> decay = new ArrayList<>();
        List<Parameter> noDecay = new ArrayList<>();
        model.namedParameters().forEach((n, p) -> (p.dim() >= 2 ? decay : noDecay).add(p));   // no decay on biases, norms
        AdamW opt = new AdamW(decay, 2e-3, 0.9, 0.98, 1e-9, 0.01, false);
        opt.addParamGroup(noDecay, 2e-3, 0.0);
        WarmupCosine sched = new WarmupCosine(opt, steps / 10, steps, 1e-5);
        int b = 64;
        double[] losses = new double[steps];
        Progress bar = ctx.progress(steps, "tok");
        long tokens = 0;
        int[] order = BertSample.shuffled(train.size(), g);
        for (int step = 0, at = 0; step < steps; step++, at += b) {
            if (at + b > order.length) {
                order = BertSample.shuffled(train.size(), g);
                at = 0;
            }
            List<long[]> bs = new ArrayList<>();
            List<long[]> bt = new ArrayList<>();
            for (int i = at; i < Math.min(at + b, order.length); i++) {
                bs.add(srcs.get(order[i]));
                bt.add(tgts.get(order[i]));
            }
            Batch batch = batch(bs, bt);
            model.train();
            Tensor logits = model.forward(batch.src(), batch.tgtIn(), EncoderDecoder.paddingMask(batch.src(), PAD),
                    EncoderDecoder.paddingMask(batch.tgtIn(), PAD));                       // (B, T, V)
            Tensor loss = model.loss(logits, batch.tgtOut(), PAD);
            opt.zeroGrad();
            loss.backward();
            GradClip.clipGradNorm(opt.allParams(), 1.0);
            opt.step();
            sched.step();
            losses[step] = loss.item();
            tokens += batch.src().numel() + batch.tgtIn().numel();
            String info = String.format(Locale.ROOT, "loss %.3f", losses[step]);
            if ((step + 1) % Math.max(1, steps / 10) == 0 || step == steps - 1) {
                List<String> out = greedy(model, vocab, probe, model.config.maxLen());
                int right = 0;
                for (int i = 0; i < probe.size(); i++) {
                    right += out.get(i).equals(normalized(probe.get(i).target())) ? 1 : 0;
                }
                curve.add(new double[] {step + 1, right / (double) probe.size()});
                info += String.format(Locale.ROOT, " held-out exact %.0f%%", 100.0 * right / probe.size());
            }
            bar.update(step + 1, info, tokens);
        }
        return losses;
    }

    /** Greedy decoding of every pair's source, 64 at a time (sources padded, with their mask). */
    static List<String> greedy(EncoderDecoder model, Vocab vocab, List<Pair> pairs, int maxLen) {
        List<String> out = new ArrayList<>();
        for (int at = 0; at < pairs.size(); at += 64) {
            List<long[]> srcs = new ArrayList<>();
            for (Pair p : pairs.subList(at, Math.min(at + 64, pairs.size()))) {
                srcs.add(vocab.encode(p.source()));
            }
            Tensor src = batch(srcs, srcs).src();
            int[][] ids = Seq2SeqSearch.greedy(model, src, EncoderDecoder.paddingMask(src, PAD), BOS, EOS, maxLen - 1);
            for (int[] row : ids) {
                out.add(vocab.decode(row));
            }
        }
        return out;
    }

    /**
     * The last decoder layer's cross-attention (averaged over heads) while it reads the
     * reference target: [target tokens + EOS][source tokens]. EncoderDecoder does not return
     * attention weights, so the last layer's pre-norm steps are replayed by hand up to its
     * cross-attention, asking MultiheadAttention for the weights.
     */
    static double[][] crossAttention(EncoderDecoder model, Vocab vocab, Pair pair) {
        model.eval();
        long[] src = vocab.encode(pair.source());
        long[] tgt = vocab.encode(pair.target());
        long[] in = new long[tgt.length + 1];
        in[0] = BOS;
        System.arraycopy(tgt, 0, in, 1, tgt.length);
        try (var s = Autograd.noGrad()) {
            Tensor memory = model.encode(Tensor.fromArray(src, 1, src.length), null);                // (1, S, C)
            int c = model.config.dModel();
            Tensor pe = model.namedBuffers().get("pe").narrow(0, 0, in.length);                     // (T, C)
            Tensor x = model.tgtEmbed.forward(Tensor.fromArray(in, 1, in.length)).mul(Math.sqrt(c)).add(pe);  // (1, T, C)
            int last = model.decoder.layers.size() - 1;
            for (int l = 0; l < last; l++) {
                x = model.decoder.layers.get(l).forward(x, memory, null, null, null, null, true);
            }
            TransformerDecoderLayer layer = model.decoder.layers.get(last);
            Tensor n1 = layer.norm1.forward(x);
            x = x.add(layer.selfAttn.forward(n1, n1, n1, null, false, null, true, true).output());     // causal self-attention
            Tensor w = layer.multiheadAttn.forward(layer.norm2.forward(x), memory, memory, null, true, null, true, false)
                    .weights();                                                                      // (1, T, S)
            double[] flat = w.toDoubleArray();
            double[][] m = new double[in.length][src.length];
            for (int i = 0; i < in.length; i++) {
                System.arraycopy(flat, i * src.length, m[i], 0, src.length);
            }
            return m;
        }
    }

    /** Prints, for each output token, the source token it attends to most. */
    private static void printAlignment(SampleContext ctx, Vocab vocab, Pair pair, double[][] att) {
        List<String> src = tokenize(pair.source());
        List<String> out = new ArrayList<>(tokenize(pair.target()));
        out.add("<eos>");
        StringBuilder sb = new StringBuilder("  alignment (output token <- most-attended source token):");
        for (int i = 0; i < out.size(); i++) {
            int best = 0;
            for (int j = 1; j < src.size(); j++) {
                best = att[i][j] > att[i][best] ? j : best;
            }
            sb.append(String.format(Locale.ROOT, " %s<-%s", out.get(i), src.get(best)));
        }
        ctx.out().println(sb);
    }
}
