package dev.qkv.samples.roadmap;

import dev.qkv.autograd.Autograd;
import dev.qkv.models.bert.BertConfig;
import dev.qkv.models.bert.BertForMaskedLM;
import dev.qkv.models.bert.BertForSequenceClassification;
import dev.qkv.nn.Parameter;
import dev.qkv.nn.functional.F;
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
import dev.qkv.tokenizer.WordPieceTokenizer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * BERT's two stages on a tiny model:
 * <ol>
 *   <li><b>Pretraining</b> by masked language modelling on unlabelled movie-review sentences:
 *       15% of the tokens are chosen, and of those 80% become [MASK], 10% a random token and 10%
 *       stay; the model learns to restore them from both sides of the sentence.</li>
 *   <li><b>Fine-tuning</b> the pretrained encoder for sentiment on a small labelled set that is
 *       80% positive and 20% negative, with the usual checklist: the embeddings and the first
 *       layer frozen, a smaller learning rate for the encoder than for the new head, AdamW with
 *       no decay on biases and LayerNorm, dropout, and class weights against the imbalance.
 *       It is run twice, with and without the class weights, to show what the weights buy:
 *       recall on the rare class, paid for with some of its precision.</li>
 * </ol>
 * The reviews are generated: some say clearly what they think ("the acting was wonderful"),
 * others only hint, with a mild word whose polarity is right 70% of the time ("the pacing was
 * slow"). On those, the best a classifier can do depends on how it weighs the classes, which is
 * what the second stage shows. The README (samples/docs/bert.md) has the numbers and what a
 * model this small does and does not learn.
 */
public final class BertSample implements Sample {
    @Override
    public String name() {
        return "bert";
    }

    @Override
    public String summary() {
        return "masked-LM pretraining of a tiny BERT, then sentiment fine-tuning with and without class weights";
    }

    @Override
    public List<String> options() {
        return List.of("data", "pretrain-steps", "finetune-steps", "freeze");
    }

    /** One labelled sentence; label indexes {@link Dataset#labelNames}. */
    record Example(String text, int label) {
    }

    /** A labelled corpus split for training and evaluation, plus unlabelled text for pretraining. */
    record Dataset(List<String> pretrain, List<Example> train, List<Example> test, List<String> labelNames) {
    }

    // ===================================================================== the generated reviews

    static final String[] ASPECTS = {"acting", "plot", "music", "ending"};
    static final String[][] STRONG = {{"wonderful", "brilliant", "superb", "charming"},
        {"terrible", "awful", "boring", "dreadful"}};
    static final String[][] MILD = {{"decent", "pleasant", "solid"}, {"slow", "predictable", "forgettable"}};
    static final String[] ADVERBS = {""};
    static final String[] JOINERS = {"and", ","};
    /** Clauses that say nothing about the film's quality. */
    static final String[] NEUTRAL = {"i saw it on sunday", "i watched it with my sister", "it runs two hours",
        "i saw it at home"};

    /**
     * A review of label 0 (positive) or 1 (negative). With probability 0.6 it is clear: a
     * clause with a strong word of its label and one or two more with strong or mild words of
     * that label ("the acting was wonderful and a solid plot ."). Otherwise it is subtle: a
     * neutral clause and one with a mild word that has the review's polarity with probability
     * 0.7 and the other with 0.3 ("i saw it on sunday , the pacing was slow ."). A mild negative
     * word in a subtle review is then 0.7/0.3 = 2.3 times likelier from a negative review, which
     * does not outweigh the prior odds of 4 : 1 for positive:
     * P(negative | subtle, "slow") = 0.2·0.7 / (0.2·0.7 + 0.8·0.3) = 0.37. So the classifier
     * with the fewest errors calls every subtle review positive; only one that counts a missed
     * negative as more costly (class weights) learns to flag "slow".
     */
    static String review(Generator g, int label) {
        List<String> clauses = new ArrayList<>();
        if (g.nextDouble() < 0.6) {
            clauses.add(clause(g, pick(g, STRONG[label])));
            for (int c = 1 + (int) g.nextLong(2); c > 0; c--) {
                clauses.add(clause(g, pick(g, g.nextDouble() < 0.5 ? STRONG[label] : MILD[label])));
            }
        } else {
            clauses.add(clause(g, pick(g, MILD[g.nextDouble() < 0.7 ? label : 1 - label])));
            clauses.add(g.nextDouble() < 0.5 ? 0 : 1, pick(g, NEUTRAL));
        }
        StringBuilder sb = new StringBuilder(clauses.get(0));
        for (int c = 1; c < clauses.size(); c++) {
            sb.append(' ').append(pick(g, JOINERS)).append(' ').append(clauses.get(c));
        }
        return sb.append(" .").toString();
    }

    /** "the {aspect} was {adverb} {adjective}" or "a {adverb} {adjective} {aspect}". */
    private static String clause(Generator g, String adjective) {
        String aspect = pick(g, ASPECTS);
        String s = g.nextDouble() < 0.5 ? "the " + aspect + " was " + pick(g, ADVERBS) + adjective
                : "a " + pick(g, ADVERBS) + adjective + " " + aspect;
        return s.replace("  ", " ");
    }

    private static String pick(Generator g, String[] words) {
        return words[(int) g.nextLong(words.length)];
    }

    /** Generated data: a balanced unlabelled pretraining corpus and labelled sets with 20% negatives. */
    static Dataset generate(long seed, int pretrain, int train, int test) {
        Generator g = new Generator(seed);
        List<String> corpus = new ArrayList<>();
        for (int i = 0; i < pretrain; i++) {
            corpus.add(review(g, i % 2));
        }
        return new Dataset(corpus, labelled(g, train), labelled(g, test), List.of("positive", "negative"));
    }

    private static List<Example> labelled(Generator g, int n) {
        List<Example> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int label = g.nextDouble() < 0.2 ? 1 : 0;
            out.add(new Example(review(g, label), label));
        }
        return out;
    }

    /**
     * Reads a TSV file of labelled sentences, one "label&lt;TAB&gt;text" per line (a header line
     * "label&lt;TAB&gt;text" is skipped), shuffles it and splits it 80/20. Labels may be any strings;
     * they are numbered in sorted order. The training texts double as the pretraining corpus.
     */
    static Dataset load(Path file, long seed) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new CliException("--data: " + file + " is not a file");
        }
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        List<String[]> rows = new ArrayList<>();
        TreeMap<String, Integer> counts = new TreeMap<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || (i == 0 && line.equalsIgnoreCase("label\ttext"))) {
                continue;
            }
            String[] parts = line.split("\t", 2);
            if (parts.length != 2 || parts[0].isBlank() || parts[1].isBlank()) {
                throw new CliException("--data " + file + ", line " + (i + 1) + ": expected 'label<TAB>text', got '"
                        + (line.length() > 60 ? line.substring(0, 60) + "..." : line) + "'");
            }
            rows.add(new String[] {parts[0].strip(), parts[1].strip()});
            counts.merge(parts[0].strip(), 1, Integer::sum);
        }
        if (counts.size() < 2 || rows.size() < 20) {
            throw new CliException("--data " + file + ": need at least 20 sentences and 2 labels, got " + rows.size()
                    + " sentences with labels " + counts.keySet());
        }
        List<String> names = new ArrayList<>(counts.keySet());
        Generator g = new Generator(seed);
        for (int i = rows.size() - 1; i > 0; i--) {                      // Fisher-Yates shuffle
            int j = (int) g.nextLong(i + 1);
            String[] t = rows.get(i);
            rows.set(i, rows.get(j));
            rows.set(j, t);
        }
        List<Example> all = new ArrayList<>();
        for (String[] r : rows) {
            all.add(new Example(r[1], names.indexOf(r[0])));
        }
        int cut = all.size() * 4 / 5;
        List<Example> train = all.subList(0, cut);
        List<String> corpus = new ArrayList<>();
        train.forEach(e -> corpus.add(e.text()));
        return new Dataset(corpus, train, all.subList(cut, all.size()), names);
    }

    // ===================================================================== the vocabulary

    static final List<String> SPECIALS = List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]");
    static final String[] SUFFIXES = {"ing", "ed", "ly", "s"};

    /**
     * A WordPiece vocabulary from a corpus, by a simple rule instead of WordPiece's likelihood
     * training: the five special tokens ([PAD] = 0), then the words of the corpus, most frequent
     * first, where a word of five letters or more ending in -ing, -ed, -ly or -s is stored as
     * its stem plus a "##" suffix piece ("boring" → "bor", "##ing"), and a number as pairs of
     * digits ("1893" → "18", "##93"); and every character, alone and as a "##" piece. Words
     * beyond maxSize tokens are cut into smaller pieces. The tokenizer's greedy longest match
     * then cuts words the same way, or into other pieces when a longer prefix is in the vocabulary.
     * Returns the tokens in id order (a vocab.txt); {@code new WordPieceTokenizer(tokens, true)}
     * tokenizes with them.
     */
    static List<String> buildVocab(List<String> corpus, int maxSize) {
        Map<String, Integer> counts = new LinkedHashMap<>();
        for (String text : corpus) {
            for (String word : basicWords(text)) {
                for (String piece : pieces(word)) {
                    counts.merge(piece, 1, Integer::sum);
                }
            }
        }
        // every character alone and as a "##" piece, as in BERT's vocabulary: then any word made of
        // known characters can be cut ("closed" → "close" "##d" when "closed" was stored as
        // "clos" "##ed" but the greedy match finds the question word "close" first), never [UNK]
        java.util.TreeSet<String> chars = new java.util.TreeSet<>();
        for (String piece : counts.keySet()) {
            piece.replace("##", "").codePoints().forEach(cp -> chars.add(new String(Character.toChars(cp))));
        }
        java.util.LinkedHashSet<String> tokens = new java.util.LinkedHashSet<>(SPECIALS);
        counts.entrySet().stream()
                .sorted(Map.Entry.<String, Integer>comparingByValue().reversed().thenComparing(Map.Entry.comparingByKey()))
                .limit(Math.max(0, maxSize - SPECIALS.size() - 2L * chars.size()))
                .forEach(e -> tokens.add(e.getKey()));
        for (String ch : chars) {
            tokens.add(ch);
            tokens.add("##" + ch);
        }
        return new ArrayList<>(tokens);
    }

    /**
     * The words of a text as BERT's basic tokenizer splits them: lower-cased, accents stripped,
     * every character that is not a letter or digit a word of its own ("good," → "good", ",").
     */
    static List<String> basicWords(String text) {
        String lower = java.text.Normalizer.normalize(text.toLowerCase(Locale.ROOT), java.text.Normalizer.Form.NFD)
                .replaceAll("\\p{Mn}", "");
        List<String> out = new ArrayList<>();
        for (String w : lower.trim().split("\\s+")) {
            StringBuilder cur = new StringBuilder();
            for (char ch : w.toCharArray()) {
                if (Character.isLetterOrDigit(ch)) {
                    cur.append(ch);
                    continue;
                }
                if (!cur.isEmpty()) {
                    out.add(cur.toString());
                    cur.setLength(0);
                }
                out.add(String.valueOf(ch));
            }
            if (!cur.isEmpty()) {
                out.add(cur.toString());
            }
        }
        return out;
    }

    /** A word as vocabulary entries: itself, or stem + "##suffix" (see {@link #buildVocab}). */
    static List<String> pieces(String word) {
        if (word.length() > 2 && word.chars().allMatch(Character::isDigit)) {   // numbers in pairs: 1893 → 18 ##93
            List<String> out = new ArrayList<>(List.of(word.substring(0, 2)));
            for (int i = 2; i < word.length(); i += 2) {
                out.add("##" + word.substring(i, Math.min(word.length(), i + 2)));
            }
            return out;
        }
        for (String s : SUFFIXES) {
            if (word.length() >= 5 && word.endsWith(s) && word.length() - s.length() >= 3) {
                return List.of(word.substring(0, word.length() - s.length()), "##" + s);
            }
        }
        return List.of(word);
    }

    // ===================================================================== batches

    /** A padded batch: ids and attention mask [B, T] (mask 1 = real token), and per-row labels. */
    record Batch(Tensor ids, Tensor mask, long[] rowLabels, long[][] idRows) {
    }

    /** [CLS] text [SEP] for each text, cut to maxLen, padded with [PAD] (id 0) to the longest. */
    static long[][] encodeAll(WordPieceTokenizer tok, List<String> texts, int maxLen) {
        long[][] out = new long[texts.size()][];
        for (int i = 0; i < texts.size(); i++) {
            int[] ids = tok.encodeForModel(texts.get(i));
            if (ids.length > maxLen) {                                       // keep [CLS] ... [SEP]
                int sep = ids[ids.length - 1];
                ids = java.util.Arrays.copyOf(ids, maxLen);
                ids[maxLen - 1] = sep;
            }
            out[i] = java.util.Arrays.stream(ids).asLongStream().toArray();
        }
        return out;
    }

    /** Rows [from, from + n) of encoded sequences (indices through {@code order}) as a padded batch. */
    static Batch batch(long[][] rows, long[] labels, int[] order, int from, int n) {
        int t = 0;
        for (int i = 0; i < n; i++) {
            t = Math.max(t, rows[order[from + i]].length);
        }
        long[] ids = new long[n * t];                                        // [PAD] = 0
        long[] mask = new long[n * t];
        long[] y = new long[n];
        long[][] picked = new long[n][];
        for (int i = 0; i < n; i++) {
            long[] r = rows[order[from + i]];
            picked[i] = r;
            System.arraycopy(r, 0, ids, i * t, r.length);
            java.util.Arrays.fill(mask, i * t, i * t + r.length, 1);
            y[i] = labels == null ? 0 : labels[order[from + i]];
        }
        return new Batch(Tensor.fromArray(ids, n, t), Tensor.fromArray(mask, n, t), y, picked);
    }

    /**
     * BERT's masking: each real token (not [CLS], [SEP], [PAD]) is chosen with probability 0.15;
     * a chosen token becomes [MASK] 80% of the time, a random vocabulary token 10% and stays 10%,
     * so the model cannot assume that the tokens it sees unmasked are right. Labels are the
     * original ids at chosen positions and −100 (ignored by the loss) everywhere else.
     *
     * @return {masked input ids [B, T], labels [B, T]}
     */
    static Tensor[] maskTokens(Tensor ids, int vocab, Generator g) {
        long[] in = ids.toLongArray();
        long[] labels = new long[in.length];
        int mask = SPECIALS.indexOf("[MASK]");
        for (int i = 0; i < in.length; i++) {
            labels[i] = -100;
            if (in[i] < SPECIALS.size() || g.nextDouble() >= 0.15) {       // special tokens are never chosen
                continue;
            }
            labels[i] = in[i];
            double r = g.nextDouble();
            if (r < 0.8) {
                in[i] = mask;
            } else if (r < 0.9) {
                in[i] = SPECIALS.size() + g.nextLong(vocab - SPECIALS.size());
            }
        }
        return new Tensor[] {Tensor.fromArray(in, ids.shape()), Tensor.fromArray(labels, ids.shape())};
    }

    // ===================================================================== optimizer groups

    /**
     * AdamW groups for named parameters: weight matrices and embeddings decay, biases and
     * LayerNorm parameters do not (shrinking a LayerNorm gain or a bias towards zero is not a
     * useful prior). Parameters that do not require grad are left out. Returns {decay, noDecay}.
     */
    static List<List<Parameter>> decaySplit(Map<String, Parameter> named) {
        List<Parameter> decay = new ArrayList<>();
        List<Parameter> noDecay = new ArrayList<>();
        named.forEach((name, p) -> {
            if (!p.requiresGrad()) {
                return;
            }
            (name.endsWith("bias") || name.contains("LayerNorm") ? noDecay : decay).add(p);
        });
        return List.of(decay, noDecay);
    }

    // ===================================================================== the sample

    @Override
    public Map<String, Double> run(SampleContext ctx) throws Exception {
        long seed = ctx.seed();
        Dataset data = ctx.args().has("data") ? load(Path.of(ctx.args().string("data", "")), seed)
                : generate(seed, ctx.size(3000, 1000), ctx.size(1600, 800), ctx.size(600, 400));
        List<String> vocab = buildVocab(data.pretrain(), 4000);
        WordPieceTokenizer tok = new WordPieceTokenizer(vocab, true);
        int maxLen = 48;
        ctx.out().printf("data: %d pretraining sentences, %d labelled for training, %d held out; vocabulary %d "
                + "WordPiece tokens%n", data.pretrain().size(), data.train().size(), data.test().size(), tok.vocabSize());
        String example = data.train().get(0).text();
        ctx.out().println("example: \"" + example + "\" (" + data.labelNames().get(data.train().get(0).label())
                + ")\n  tokens: " + tokenStrings(vocab, tok.encodeForModel(example)));

        // a tiny BERT: C = 64, 2 layers of 4 heads, feed-forward 4C; BERT's GELU, init and dropout 0.1
        BertConfig cfg = BertConfig.of(tok.vocabSize(), 64, 2, 4, 256, maxLen);
        Map<String, Double> results = new LinkedHashMap<>();

        // ---- stage 1: masked-LM pretraining
        Generator g = new Generator(seed + 1);
        BertForMaskedLM mlm = new BertForMaskedLM(cfg, g);
        int steps = ctx.args().integer("pretrain-steps", ctx.size(100, 40), 1, 1_000_000);
        double[] mlmLoss = pretrain(ctx, mlm, tok, data.pretrain(), maxLen, steps, 3e-3, g);
        int tail = Math.max(1, steps / 10);
        results.put("mlm_loss_first", mean(mlmLoss, 0, tail));
        results.put("mlm_loss_last", mean(mlmLoss, steps - tail, steps));
        ctx.out().printf("masked-LM loss: %.3f over the first %d steps -> %.3f over the last %d (uniform guessing: %.3f)%n",
                results.get("mlm_loss_first"), tail, results.get("mlm_loss_last"), tail, Math.log(tok.vocabSize()));
        double maskedAcc = maskedAccuracy(mlm, tok, heldOutTexts(data), maxLen, new Generator(seed + 2));
        results.put("mlm_masked_accuracy", maskedAcc);
        ctx.out().printf("held-out masked-token accuracy: %.1f%%%n", 100 * maskedAcc);
        if (!ctx.args().has("data")) {
            fillMask(ctx, mlm, tok, vocab, "the acting was wonderful and the plot was [MASK] .");
            fillMask(ctx, mlm, tok, vocab, "the acting was awful and the plot was [MASK] .");
            fillMask(ctx, mlm, tok, vocab, "i saw it at home , a [MASK] ending .");
        }
        Path p = ctx.file("bert-mlm-loss.svg");
        Plot.lineChart(p, "masked-LM pretraining loss", "step", "cross-entropy on masked tokens",
                List.of(Plot.Series.of("train (per batch)", mlmLoss)), false);
        ctx.wrote(p, "masked-LM loss curve");

        // ---- stage 2: fine-tuning, with and without class weights
        int numLabels = data.labelNames().size();
        long[] counts = new long[numLabels];
        data.train().forEach(e -> counts[e.label()]++);
        int minority = 0;
        for (int c = 1; c < numLabels; c++) {
            minority = counts[c] < counts[minority] ? c : minority;
        }
        double[] weights = new double[numLabels];                         // n / (K · n_c): rare classes count more
        for (int c = 0; c < numLabels; c++) {
            weights[c] = data.train().size() / (double) (numLabels * Math.max(1, counts[c]));
        }
        ctx.out().printf("fine-tuning labels %s, training counts %s, class weights %s; minority class '%s'%n",
                data.labelNames(), java.util.Arrays.toString(counts), fmt(weights), data.labelNames().get(minority));
        int ftSteps = ctx.args().integer("finetune-steps", ctx.size(400, 250), 1, 1_000_000);
        int freeze = ctx.args().integer("freeze", 1, 0, cfg.numHiddenLayers());
        Map<String, Tensor> pretrained = mlm.bert.stateDict();
        // The same network with less dropout for fine-tuning: BERT's 0.1 on every hidden state drowns
        // the small differences that a briefly pretrained tiny model has between "slow" and "decent"
        // (with it, fine-tuning here takes several times more steps), so it stays on the attention
        // weights only.
        BertConfig ftCfg = new BertConfig(cfg.vocabSize(), cfg.hiddenSize(), cfg.numHiddenLayers(),
                cfg.numAttentionHeads(), cfg.intermediateSize(), cfg.hiddenAct(), cfg.maxPositionEmbeddings(),
                cfg.typeVocabSize(), cfg.layerNormEps(), 0.0, 0.1, cfg.initializerRange());
        List<Plot.Series> curves = new ArrayList<>();
        ctx.out().printf("%n%-18s %9s %10s %8s %7s %9s   (precision/recall/F1 of '%s')%n", "", "accuracy", "precision",
                "recall", "F1", "macro-F1", data.labelNames().get(minority));
        List<String> rows = new ArrayList<>();
        for (boolean weighted : new boolean[] {false, true}) {
            String run = weighted ? "class weights" : "no class weights";
            ctx.out().println("fine-tuning (" + run + ")");
            BertForSequenceClassification clf = new BertForSequenceClassification(ftCfg, numLabels, new Generator(seed + 3));
            clf.bert.loadStateDict(pretrained, false);                    // all but the pooler, which is new
            double[] losses = finetune(ctx, clf, tok, data.train(), maxLen, ftSteps, freeze, 3e-3,
                    weighted ? Tensor.fromArray(weights, numLabels) : null, new Generator(seed + 4));
            curves.add(Plot.Series.of(run, losses));
            int[][] confusion = evaluate(clf, tok, data.test(), maxLen, numLabels);
            double[] m = metrics(confusion, minority);
            String key = weighted ? "weighted" : "unweighted";
            results.put(key + "_accuracy", m[0]);
            results.put(key + "_precision", m[1]);
            results.put(key + "_recall", m[2]);
            results.put(key + "_f1", m[3]);
            results.put(key + "_macro_f1", m[4]);
            rows.add(String.format(Locale.ROOT, "%-18s %9.3f %10.3f %8.3f %7.3f %9.3f", run, m[0], m[1], m[2], m[3], m[4]));
        }
        ctx.out().println();
        rows.forEach(ctx.out()::println);
        ctx.out().printf("minority-class recall %.3f -> %.3f with class weights (precision %.3f -> %.3f)%n",
                results.get("unweighted_recall"), results.get("weighted_recall"), results.get("unweighted_precision"),
                results.get("weighted_precision"));
        Path q = ctx.file("bert-finetune-loss.svg");
        Plot.lineChart(q, "sentiment fine-tuning loss", "step", "cross-entropy (weighted where the run is)", curves,
                false);
        ctx.wrote(q, "fine-tuning loss curves");
        return results;
    }

    /** Masked-LM training with AdamW, warmup + cosine and gradient clipping; returns each step's loss. */
    static double[] pretrain(SampleContext ctx, BertForMaskedLM mlm, WordPieceTokenizer tok, List<String> corpus,
                              int maxLen, int steps, double lr, Generator g) {
        long[][] rows = encodeAll(tok, corpus, maxLen);
        List<List<Parameter>> split = decaySplit(mlm.namedParameters());
        AdamW opt = new AdamW(split.get(0), lr, 0.9, 0.999, 1e-8, 0.01, false);
        opt.addParamGroup(split.get(1), lr, 0.0);
        WarmupCosine sched = new WarmupCosine(opt, steps / 10, steps, 1e-5);
        int b = 64;
        double[] losses = new double[steps];
        Progress bar = ctx.progress(steps, "tok");
        long tokens = 0;
        mlm.train();
        int[] order = shuffled(rows.length, g);
        for (int step = 0, at = 0; step < steps; step++, at += b) {
            if (at + b > rows.length) {
                order = shuffled(rows.length, g);
                at = 0;
            }
            Batch batch = batch(rows, null, order, at, Math.min(b, rows.length));
            Tensor[] masked = maskTokens(batch.ids(), tok.vocabSize(), g);
            Tensor loss = mlm.loss(mlm.forward(masked[0], null, batch.mask()), masked[1]);
            opt.zeroGrad();
            loss.backward();
            GradClip.clipGradNorm(opt.allParams(), 1.0);
            opt.step();
            sched.step();
            losses[step] = loss.item();
            tokens += batch.ids().numel();
            bar.update(step + 1, String.format(Locale.ROOT, "loss %.3f", losses[step]), tokens);
        }
        return losses;
    }

    /**
     * Fine-tuning with the checklist. Frozen: the embeddings and the lowest {@code freeze}
     * layers (requiresGrad false, and left out of the optimizer), because their general features
     * are what pretraining is for and a few hundred labelled sentences would mostly add noise.
     * The rest of the encoder learns at a third of the head's rate: it only needs adjusting,
     * while the pooler and classifier start from scratch.
     */
    static double[] finetune(SampleContext ctx, BertForSequenceClassification clf, WordPieceTokenizer tok,
                              List<Example> train, int maxLen, int steps, int freeze, double headLr,
                              Tensor classWeights, Generator g) {
        Map<String, Parameter> encoder = new LinkedHashMap<>();
        Map<String, Parameter> head = new LinkedHashMap<>();
        clf.namedParameters().forEach((name, p) -> {
            boolean frozen = name.startsWith("bert.embeddings.");
            for (int l = 0; l < freeze; l++) {
                frozen |= name.startsWith("bert.encoder.layer." + l + ".");
            }
            p.requiresGrad(!frozen);
            boolean isHead = name.startsWith("bert.pooler.") || name.startsWith("classifier.");   // new layers
            (isHead ? head : encoder).put(name, p);
        });
        double encoderLr = headLr / 3;
        List<List<Parameter>> h = decaySplit(head);
        List<List<Parameter>> e = decaySplit(encoder);
        AdamW opt = new AdamW(h.get(0), headLr, 0.9, 0.999, 1e-8, 0.01, false);
        opt.addParamGroup(h.get(1), headLr, 0.0);
        if (!e.get(0).isEmpty()) {
            opt.addParamGroup(e.get(0), encoderLr, 0.01);
            opt.addParamGroup(e.get(1), encoderLr, 0.0);
        }
        WarmupCosine sched = new WarmupCosine(opt, steps / 10, steps, 0.0);
        long[][] rows = encodeAll(tok, train.stream().map(Example::text).toList(), maxLen);
        long[] labels = train.stream().mapToLong(Example::label).toArray();
        int b = 32;
        double[] losses = new double[steps];
        Progress bar = ctx.progress(steps, "sent");
        clf.train();                                                       // dropout on
        int[] order = shuffled(rows.length, g);
        for (int step = 0, at = 0; step < steps; step++, at += b) {
            if (at + b > rows.length) {
                order = shuffled(rows.length, g);
                at = 0;
            }
            Batch batch = batch(rows, labels, order, at, Math.min(b, rows.length));
            Tensor logits = clf.forward(batch.ids(), null, batch.mask());
            Tensor loss = clf.loss(logits, Tensor.fromArray(batch.rowLabels(), batch.rowLabels().length), classWeights);
            opt.zeroGrad();
            loss.backward();
            GradClip.clipGradNorm(opt.allParams(), 1.0);
            opt.step();
            sched.step();
            losses[step] = loss.item();
            bar.update(step + 1, String.format(Locale.ROOT, "loss %.3f", losses[step]), (step + 1.0) * b);
        }
        return losses;
    }

    /** confusion[true][predicted] on a labelled set, in eval mode (no dropout). */
    static int[][] evaluate(BertForSequenceClassification clf, WordPieceTokenizer tok, List<Example> set,
                                    int maxLen, int numLabels) {
        clf.eval();
        long[][] rows = encodeAll(tok, set.stream().map(Example::text).toList(), maxLen);
        int[] order = java.util.stream.IntStream.range(0, rows.length).toArray();
        int[][] confusion = new int[numLabels][numLabels];
        try (var s = Autograd.noGrad()) {
            for (int at = 0; at < rows.length; at += 64) {
                int n = Math.min(64, rows.length - at);
                Batch batch = batch(rows, null, order, at, n);
                long[] pred = clf.forward(batch.ids(), null, batch.mask()).argmax(1, false).toLongArray();
                for (int i = 0; i < n; i++) {
                    confusion[set.get(at + i).label()][(int) pred[i]]++;
                }
            }
        }
        return confusion;
    }

    /**
     * {accuracy, precision, recall, F1 of class c, macro-F1} from a confusion matrix:
     * precision = TP/(TP+FP) (of the sentences called c, how many are), recall = TP/(TP+FN)
     * (of the sentences that are c, how many were found), F1 their harmonic mean.
     */
    static double[] metrics(int[][] confusion, int c) {
        int k = confusion.length;
        double total = 0;
        double correct = 0;
        double macro = 0;
        double[] f1 = new double[k];
        double[] prec = new double[k];
        double[] rec = new double[k];
        for (int a = 0; a < k; a++) {
            double tp = confusion[a][a];
            double predicted = 0;
            double actual = 0;
            for (int b = 0; b < k; b++) {
                predicted += confusion[b][a];
                actual += confusion[a][b];
                total += confusion[a][b];
            }
            correct += tp;
            prec[a] = predicted == 0 ? 0 : tp / predicted;
            rec[a] = actual == 0 ? 0 : tp / actual;
            f1[a] = prec[a] + rec[a] == 0 ? 0 : 2 * prec[a] * rec[a] / (prec[a] + rec[a]);
            macro += f1[a] / k;
        }
        return new double[] {correct / total, prec[c], rec[c], f1[c], macro};
    }

    /** Fraction of masked tokens restored exactly, on held-out sentences (same 80/10/10 masking). */
    static double maskedAccuracy(BertForMaskedLM mlm, WordPieceTokenizer tok, List<String> texts, int maxLen,
                                         Generator g) {
        mlm.eval();
        long[][] rows = encodeAll(tok, texts, maxLen);
        int[] order = java.util.stream.IntStream.range(0, rows.length).toArray();
        long right = 0;
        long total = 0;
        try (var s = Autograd.noGrad()) {
            for (int at = 0; at < rows.length; at += 64) {
                Batch batch = batch(rows, null, order, at, Math.min(64, rows.length - at));
                Tensor[] masked = maskTokens(batch.ids(), tok.vocabSize(), g);
                long[] pred = mlm.forward(masked[0], null, batch.mask()).argmax(2, false).toLongArray();
                long[] labels = masked[1].toLongArray();
                for (int i = 0; i < labels.length; i++) {
                    if (labels[i] != -100) {
                        total++;
                        right += pred[i] == labels[i] ? 1 : 0;
                    }
                }
            }
        }
        return total == 0 ? 0 : right / (double) total;
    }

    private static List<String> heldOutTexts(Dataset data) {
        return data.test().stream().map(Example::text).toList();
    }

    /** Prints the five likeliest tokens for the [MASK] in a sentence. */
    private static void fillMask(SampleContext ctx, BertForMaskedLM mlm, WordPieceTokenizer tok, List<String> vocab,
                                 String text) {
        String[] parts = text.split("\\[MASK\\]", -1);
        List<Long> ids = new ArrayList<>(List.of((long) tok.tokenId("[CLS]")));
        for (int i = 0; i < parts.length; i++) {
            for (int id : tok.encode(parts[i])) {
                ids.add((long) id);
            }
            if (i < parts.length - 1) {
                ids.add((long) tok.tokenId("[MASK]"));
            }
        }
        ids.add((long) tok.tokenId("[SEP]"));
        int at = ids.indexOf((long) tok.tokenId("[MASK]"));
        mlm.eval();
        try (var s = Autograd.noGrad()) {
            Tensor in = Tensor.fromArray(ids.stream().mapToLong(Long::longValue).toArray(), 1, ids.size());
            double[] probs = F.softmax(mlm.forward(in, null, null).select(1, at), -1).toDoubleArray();   // (V)
            Integer[] best = java.util.stream.IntStream.range(0, probs.length).boxed()
                    .sorted((a, b) -> Double.compare(probs[b], probs[a])).limit(5).toArray(Integer[]::new);
            StringBuilder sb = new StringBuilder();
            for (int id : best) {
                sb.append(String.format(Locale.ROOT, " %s (%.2f)", vocab.get(id), probs[id]));
            }
            ctx.out().println("  \"" + text + "\" ->" + sb);
        }
    }

    /** The vocabulary entries of ids, "##" pieces shown as such. */
    static String tokenStrings(List<String> vocab, int[] ids) {
        List<String> out = new ArrayList<>();
        for (int id : ids) {
            out.add(vocab.get(id));
        }
        return String.join(" ", out);
    }

    static int[] shuffled(int n, Generator g) {
        int[] order = java.util.stream.IntStream.range(0, n).toArray();
        for (int i = n - 1; i > 0; i--) {
            int j = (int) g.nextLong(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        return order;
    }

    static double mean(double[] xs, int from, int to) {
        double s = 0;
        for (int i = from; i < to; i++) {
            s += xs[i];
        }
        return s / Math.max(1, to - from);
    }

    private static String fmt(double[] xs) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < xs.length; i++) {
            sb.append(i == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.2f", xs[i]));
        }
        return sb.append("]").toString();
    }
}
