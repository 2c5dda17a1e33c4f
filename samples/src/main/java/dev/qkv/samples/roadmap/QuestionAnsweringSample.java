package dev.qkv.samples.roadmap;

import dev.qkv.autograd.Autograd;
import dev.qkv.io.AtomicFiles;
import dev.qkv.io.Json;
import dev.qkv.models.bert.BertConfig;
import dev.qkv.models.bert.BertModel;
import dev.qkv.nn.Activation;
import dev.qkv.nn.Linear;
import dev.qkv.nn.Module;
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
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Extractive question answering, SQuAD-style: the answer is a span of the context, and the
 * model points at it. A BERT encoder reads "[CLS] question [SEP] context [SEP]"; one linear
 * layer gives every token a start score and an end score; training is cross-entropy on the
 * true start and end positions; decoding takes the best span with start ≤ end. Scored with
 * SQuAD's exact match and F1.
 *
 * <p>The data is generated from facts about made-up buildings ("The Lisbon museum opened in
 * 1893 and closed in 1921. It was designed by Maria Costa."), two years per context, so the
 * model must read the question's verb and not just find a year. It is written to SQuAD v1.1
 * JSON and read back by the loader that also reads the real SQuAD files ({@code --data FILE}).
 */
public final class QuestionAnsweringSample implements Sample {
    @Override
    public String name() {
        return "question-answering";
    }

    @Override
    public String summary() {
        return "extractive QA: a BERT encoder with start/end heads on SQuAD-format data; exact match and F1";
    }

    @Override
    public List<String> options() {
        return List.of("data", "steps");
    }

    /** A question about a context, with its gold answers (one in training data, often three in SQuAD's dev set). */
    record Question(String id, String context, String question, List<String> answers, int answerStart) {
    }

    // ===================================================================== generated facts

    static final String[] CITIES = {"Lisbon", "Porto", "Oslo", "Bergen", "Turin", "Lyon", "Ghent", "Leeds", "Graz",
        "Krakow", "Seville", "Bruges", "Tampere", "Split", "Cork", "Basel"};
    static final String[] BUILDINGS = {"museum", "bridge", "library", "theatre", "station", "stadium"};
    static final String[] FIRST = {"Maria", "Anna", "Jonas", "Pedro", "Elena", "Lars", "Sofia", "Marco", "Ines", "Karl",
        "Nora", "Hugo"};
    static final String[] LAST = {"Costa", "Berg", "Rossi", "Novak", "Silva", "Dahl", "Moreau", "Weber", "Lind",
        "Peeters", "Kowal", "Brandt"};

    /**
     * One context about a building: when it opened, when it closed, who designed it, in one of
     * two sentence orders; and the three questions about it. Both years are in every context,
     * so a "When" question is not answered by finding the year: the model must tell "opened in"
     * from "closed in".
     */
    static List<Question> generateContext(Generator g, int index) {
        String entity = CITIES[(int) g.nextLong(CITIES.length)] + " " + BUILDINGS[(int) g.nextLong(BUILDINGS.length)];
        int y1 = 1800 + (int) g.nextLong(150);
        String opened = Integer.toString(y1);
        String closed = Integer.toString(y1 + 5 + (int) g.nextLong(60));
        String architect = FIRST[(int) g.nextLong(FIRST.length)] + " " + LAST[(int) g.nextLong(LAST.length)];
        StringBuilder c = new StringBuilder();
        int[] at = new int[3];                                            // character offsets of the three answers
        if (g.nextDouble() < 0.5) {
            c.append("The ").append(entity).append(" opened in ");
            at[0] = c.length();
            c.append(opened).append(" and closed in ");
            at[1] = c.length();
            c.append(closed).append(". It was designed by ");
            at[2] = c.length();
            c.append(architect).append(".");
        } else {
            at[2] = c.length();
            c.append(architect).append(" designed the ").append(entity).append(". It closed in ");
            at[1] = c.length();
            c.append(closed).append(", years after it opened in ");
            at[0] = c.length();
            c.append(opened).append(".");
        }
        String text = c.toString();
        return List.of(
                new Question(index + "-0", text, "When did the " + entity + " open?", List.of(opened), at[0]),
                new Question(index + "-1", text, "When did the " + entity + " close?", List.of(closed), at[1]),
                new Question(index + "-2", text, "Who designed the " + entity + "?", List.of(architect), at[2]));
    }

    // ===================================================================== SQuAD JSON

    /** Writes questions as SQuAD v1.1: data → paragraphs → {context, qas → {id, question, answers}}. */
    static void writeSquad(Path file, List<Question> questions) throws IOException {
        Map<String, List<Object>> byContext = new LinkedHashMap<>();
        for (Question q : questions) {
            Map<String, Object> qa = new LinkedHashMap<>();
            qa.put("id", q.id());
            qa.put("question", q.question());
            qa.put("answers", List.of(Map.of("text", q.answers().get(0), "answer_start", (long) q.answerStart())));
            byContext.computeIfAbsent(q.context(), k -> new ArrayList<>()).add(qa);
        }
        List<Object> paragraphs = new ArrayList<>();
        byContext.forEach((context, qas) -> paragraphs.add(Map.of("context", context, "qas", qas)));
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("version", "1.1");
        root.put("data", List.of(Map.of("title", "generated", "paragraphs", paragraphs)));
        byte[] bytes = Json.write(root).getBytes(StandardCharsets.UTF_8);
        AtomicFiles.write(file, o -> o.write(bytes));
    }

    /**
     * Reads a SQuAD v1.1 file (SQuAD 2.0 files too; their unanswerable questions are skipped).
     * Every answer must be the context's text at answer_start; errors name the question.
     */
    static List<Question> readSquad(Path file) throws IOException {
        if (!java.nio.file.Files.isRegularFile(file)) {
            throw new CliException("--data: " + file + " is not a file");
        }
        Object root = Json.parse(file, 256 << 20);
        List<Question> out = new ArrayList<>();
        for (Object article : list(map(root, "the file").get("data"), "data")) {
            for (Object paragraph : list(map(article, "an article").get("paragraphs"), "paragraphs")) {
                Map<?, ?> p = map(paragraph, "a paragraph");
                String context = string(p.get("context"), "context");
                for (Object qaObj : list(p.get("qas"), "qas")) {
                    Map<?, ?> qa = map(qaObj, "a qas entry");
                    String id = String.valueOf(qa.get("id"));
                    List<String> answers = new ArrayList<>();
                    int start = -1;
                    for (Object a : list(qa.get("answers"), "answers of question " + id)) {
                        Map<?, ?> ans = map(a, "an answer of question " + id);
                        String text = string(ans.get("text"), "answer text of question " + id);
                        if (!(ans.get("answer_start") instanceof Long s) || s < 0 || s + text.length() > context.length()
                                || !context.startsWith(text, (int) (long) s)) {
                            throw new CliException(file + ": question " + id + ": answer '" + text + "' is not the "
                                    + "context's text at answer_start " + ans.get("answer_start"));
                        }
                        answers.add(text);
                        start = start < 0 ? (int) (long) s : start;
                    }
                    if (!answers.isEmpty()) {
                        out.add(new Question(id, context, string(qa.get("question"), "question " + id), answers, start));
                    }
                }
            }
        }
        if (out.isEmpty()) {
            throw new CliException(file + ": no answerable questions found");
        }
        return out;
    }

    private static Map<?, ?> map(Object o, String what) {
        if (!(o instanceof Map<?, ?> m)) {
            throw new CliException("SQuAD file: expected " + what + " to be a JSON object");
        }
        return m;
    }

    private static List<?> list(Object o, String what) {
        if (!(o instanceof List<?> l)) {
            throw new CliException("SQuAD file: expected '" + what + "' to be a JSON array");
        }
        return l;
    }

    private static String string(Object o, String what) {
        if (!(o instanceof String s)) {
            throw new CliException("SQuAD file: expected " + what + " to be a string");
        }
        return s;
    }

    // ===================================================================== SQuAD's metrics

    /**
     * SQuAD v1.1's normalization (its evaluate-v1.1.py): lower case, drop ASCII punctuation, drop
     * the words a/an/the, collapse whitespace.
     */
    static String normalize(String s) {
        StringBuilder noPunct = new StringBuilder();
        s.toLowerCase(Locale.ROOT).codePoints()
                .filter(cp -> "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~".indexOf(cp) < 0)
                .forEach(noPunct::appendCodePoint);
        String noArticles = noPunct.toString().replaceAll("\\b(a|an|the)\\b", " ");
        return String.join(" ", noArticles.trim().split("\\s+")).trim();
    }

    /** 1 if the normalized strings are equal. */
    static double exactMatch(String prediction, String gold) {
        return normalize(prediction).equals(normalize(gold)) ? 1 : 0;
    }

    /**
     * Token F1 between normalized prediction and gold: with c tokens in common (counted with
     * multiplicity), precision = c/|prediction|, recall = c/|gold|, F1 = their harmonic mean;
     * 0 when nothing is shared.
     */
    static double f1(String prediction, String gold) {
        String np = normalize(prediction);
        String ng = normalize(gold);
        String[] p = np.isEmpty() ? new String[0] : np.split(" ");
        String[] g = ng.isEmpty() ? new String[0] : ng.split(" ");
        Map<String, Integer> counts = new HashMap<>();
        for (String t : g) {
            counts.merge(t, 1, Integer::sum);
        }
        int common = 0;
        for (String t : p) {
            if (counts.getOrDefault(t, 0) > 0) {
                counts.merge(t, -1, Integer::sum);
                common++;
            }
        }
        if (common == 0) {
            return 0;
        }
        double precision = common / (double) p.length;
        double recall = common / (double) g.length;
        return 2 * precision * recall / (precision + recall);
    }

    /** The best score of a prediction over a question's gold answers, as SQuAD's evaluation script takes it. */
    static double best(java.util.function.ToDoubleBiFunction<String, String> metric, String prediction, List<String> golds) {
        double m = 0;
        for (String gold : golds) {
            m = Math.max(m, metric.applyAsDouble(prediction, gold));
        }
        return m;
    }

    // ===================================================================== features: tokens with character offsets

    /**
     * One model input: ids [CLS] question [SEP] context [SEP], token types (0 for the question
     * part, 1 for the context part), and for each context token the span of characters of the
     * context it came from, so a predicted token span can be cut out of the original text.
     * startPos/endPos are the gold answer's token positions (−1 when it was cut off by maxLen).
     */
    record Feature(Question q, long[] ids, long[] types, int contextFrom, int[] charStart, int[] charEnd,
                   int startPos, int endPos) {
    }

    /**
     * Cuts text into words the way BERT's basic tokenizer does (spaces separate, punctuation
     * stands alone) but keeps each word's character offsets, then lets WordPiece cut each word;
     * every piece of a word carries the word's offsets. This is what Hugging Face calls the
     * offset mapping.
     */
    static void piecesWithOffsets(WordPieceTokenizer tok, String text, List<Integer> ids, List<int[]> spans) {
        int i = 0;
        while (i < text.length()) {
            char ch = text.charAt(i);
            if (Character.isWhitespace(ch)) {
                i++;
                continue;
            }
            int end = i + 1;
            if (Character.isLetterOrDigit(ch)) {
                while (end < text.length() && Character.isLetterOrDigit(text.charAt(end))) {
                    end++;
                }
            }
            for (int id : tok.encode(text.substring(i, end))) {
                ids.add(id);
                spans.add(new int[] {i, end});
            }
            i = end;
        }
    }

    static Feature feature(WordPieceTokenizer tok, Question q, int maxLen) {
        List<Integer> qIds = new ArrayList<>();
        piecesWithOffsets(tok, q.question(), qIds, new ArrayList<>());
        List<Integer> cIds = new ArrayList<>();
        List<int[]> spans = new ArrayList<>();
        piecesWithOffsets(tok, q.context(), cIds, spans);
        int qLen = Math.min(qIds.size(), maxLen / 4);                      // very long questions are cut
        int cLen = Math.min(cIds.size(), maxLen - qLen - 3);              // the context fills the rest
        int n = qLen + cLen + 3;
        long[] ids = new long[n];
        long[] types = new long[n];
        ids[0] = tok.tokenId("[CLS]");
        for (int i = 0; i < qLen; i++) {
            ids[1 + i] = qIds.get(i);
        }
        ids[qLen + 1] = tok.tokenId("[SEP]");
        int from = qLen + 2;
        int[] cs = new int[cLen];
        int[] ce = new int[cLen];
        int startPos = -1;
        int endPos = -1;
        int answerEnd = q.answerStart() + q.answers().get(0).length();
        for (int i = 0; i < cLen; i++) {
            ids[from + i] = cIds.get(i);
            types[from + i] = 1;
            cs[i] = spans.get(i)[0];
            ce[i] = spans.get(i)[1];
            if (startPos < 0 && ce[i] > q.answerStart()) {
                startPos = from + i;                                      // first token that reaches into the answer
            }
            if (cs[i] < answerEnd) {
                endPos = from + i;                                        // last token that starts inside it
            }
        }
        ids[n - 1] = tok.tokenId("[SEP]");
        types[n - 1] = 1;
        boolean inside = startPos >= 0 && endPos >= startPos && ce[endPos - from] >= answerEnd;
        return new Feature(q, ids, types, from, cs, ce, inside ? startPos : -1, inside ? endPos : -1);
    }

    // ===================================================================== the model

    /**
     * Hugging Face's BertForQuestionAnswering: a BERT encoder (without pooler) and
     * {@code qa_outputs}, a Linear(C, 2) whose two outputs per token are the start and end scores.
     */
    static final class BertForQuestionAnswering extends Module {
        final BertModel bert;
        final Linear qaOutputs;

        BertForQuestionAnswering(BertConfig cfg, Generator g) {
            bert = registerModule("bert", new BertModel(cfg, false, g));
            qaOutputs = registerModule("qa_outputs", new Linear(cfg.hiddenSize(), 2, g));
        }

        /** {start logits [B, T], end logits [B, T]}. */
        Tensor[] forward(Tensor ids, Tensor types, Tensor mask) {
            Tensor logits = qaOutputs.forward(bert.forward(ids, types, mask));   // (B, T, 2)
            return new Tensor[] {logits.select(2, 0), logits.select(2, 1)};     // (B, T) each
        }
    }

    /** Padded batch of features: ids, token types and attention mask [B, T]; gold start/end [B]. */
    static Tensor[] batch(List<Feature> fs) {
        int b = fs.size();
        int t = fs.stream().mapToInt(f -> f.ids().length).max().orElse(1);
        long[] ids = new long[b * t];
        long[] types = new long[b * t];
        long[] mask = new long[b * t];
        long[] start = new long[b];
        long[] end = new long[b];
        for (int i = 0; i < b; i++) {
            Feature f = fs.get(i);
            System.arraycopy(f.ids(), 0, ids, i * t, f.ids().length);
            System.arraycopy(f.types(), 0, types, i * t, f.types().length);
            java.util.Arrays.fill(mask, i * t, i * t + f.ids().length, 1);
            start[i] = f.startPos();
            end[i] = f.endPos();
        }
        return new Tensor[] {Tensor.fromArray(ids, b, t), Tensor.fromArray(types, b, t), Tensor.fromArray(mask, b, t),
            Tensor.fromArray(start, b), Tensor.fromArray(end, b)};
    }

    /**
     * The best span: the (i, j) over context tokens with i ≤ j &lt; i + maxAnswerTokens that
     * maximizes start[i] + end[j] (a sum of log-probabilities up to a constant), cut out of the
     * context by the tokens' character offsets.
     */
    static String bestSpan(Feature f, double[] start, double[] end, int maxAnswerTokens) {
        int from = f.contextFrom();
        int n = f.charStart().length;
        double best = Double.NEGATIVE_INFINITY;
        int bi = 0;
        int bj = 0;
        for (int i = 0; i < n; i++) {
            for (int j = i; j < Math.min(n, i + maxAnswerTokens); j++) {
                double s = start[from + i] + end[from + j];
                if (s > best) {
                    best = s;
                    bi = i;
                    bj = j;
                }
            }
        }
        return n == 0 ? "" : f.q().context().substring(f.charStart()[bi], f.charEnd()[bj]);
    }

    // ===================================================================== the sample

    @Override
    public Map<String, Double> run(SampleContext ctx) throws Exception {
        Generator g = new Generator(ctx.seed());
        List<Question> train;
        List<Question> dev;
        int maxLen;
        if (ctx.args().has("data")) {
            List<Question> all = readSquad(Path.of(ctx.args().string("data", "")));
            // split by context, so no held-out question shares a paragraph with a training one
            Map<String, List<Question>> byContext = new LinkedHashMap<>();
            all.forEach(q -> byContext.computeIfAbsent(q.context(), k -> new ArrayList<>()).add(q));
            List<List<Question>> groups = new ArrayList<>(byContext.values());
            train = new ArrayList<>();
            dev = new ArrayList<>();
            for (int i = 0; i < groups.size(); i++) {
                (i % 10 == 9 ? dev : train).addAll(groups.get(i));
            }
            maxLen = 192;
            ctx.out().printf("read %d questions on %d contexts from %s%n", all.size(), groups.size(),
                    ctx.args().string("data", ""));
        } else {
            List<Question> gen = new ArrayList<>();
            int contexts = ctx.size(1500, 400);
            for (int c = 0; c < contexts; c++) {
                gen.addAll(generateContext(g, c));
            }
            int devContexts = ctx.size(100, 40);
            Path trainFile = ctx.file("squad-train.json");
            Path devFile = ctx.file("squad-dev.json");
            writeSquad(trainFile, gen.subList(3 * devContexts, gen.size()));
            writeSquad(devFile, gen.subList(0, 3 * devContexts));
            ctx.wrote(trainFile, "generated training set, SQuAD v1.1 format");
            ctx.wrote(devFile, "generated held-out set");
            train = readSquad(trainFile);                                   // through the same loader as real data
            dev = readSquad(devFile);
            maxLen = 64;
        }
        if (dev.isEmpty()) {
            throw new CliException("question-answering: the data has too few contexts for a held-out split");
        }
        List<String> corpus = new ArrayList<>();
        Map<String, Boolean> seen = new HashMap<>();
        for (Question q : train) {
            corpus.add(q.question());
            if (seen.put(q.context(), true) == null) {
                corpus.add(q.context());
            }
        }
        List<String> vocab = BertSample.buildVocab(corpus, 8000);
        WordPieceTokenizer tok = new WordPieceTokenizer(vocab, true);
        List<Feature> trainF = features(tok, train, maxLen, true);
        List<Feature> devF = features(tok, dev, maxLen, false);
        Question ex = train.get(0);
        ctx.out().printf("data: %d training questions (%d used), %d held out; vocabulary %d%n", train.size(),
                trainF.size(), dev.size(), vocab.size());
        ctx.out().printf("example: context \"%s\"%n         question \"%s\" -> answer \"%s\" at character %d%n",
                ex.context(), ex.question(), ex.answers().get(0), ex.answerStart());
        ctx.out().println("         input: " + BertSample.tokenStrings(vocab,
                java.util.Arrays.stream(trainF.get(0).ids()).mapToInt(x -> (int) x).toArray()));

        // C = 64, 2 layers, no dropout (the data is unlimited). Weights start at N(0, 0.1²) instead of
        // BERT's 0.02: that suits C = 768, and at C = 64 it keeps attention outputs so small next to
        // the residual stream that the context ignores the question for hundreds of steps (with 0.02
        // this run sits on a plateau answering every question about a context with the same span).
        BertConfig cfg = new BertConfig(vocab.size(), 64, 2, 4, 256, Activation.GELU, maxLen, 2, 1e-12, 0.0,
                0.0, 0.1);
        BertForQuestionAnswering model = new BertForQuestionAnswering(cfg, new Generator(ctx.seed() + 1));
        int steps = ctx.args().integer("steps", ctx.size(300, 120), 1, 1_000_000);
        double[] losses = train(ctx, model, trainF, devF.subList(0, Math.min(120, devF.size())), steps, 2e-3, g);

        // ---- evaluation
        double[] emF1 = evaluate(model, devF, 15);
        Map<String, Double> results = new LinkedHashMap<>();
        int tail = Math.max(1, steps / 10);
        results.put("loss_first", BertSample.mean(losses, 0, tail));
        results.put("loss_last", BertSample.mean(losses, steps - tail, steps));
        results.put("exact_match", 100 * emF1[0]);
        results.put("f1", 100 * emF1[1]);
        ctx.out().printf("%nheld-out: exact match %.1f, F1 %.1f (SQuAD's normalization; %d questions)%n",
                100 * emF1[0], 100 * emF1[1], devF.size());
        List<double[][]> maps = showExamples(ctx, model, devF.subList(0, Math.min(6, devF.size())));
        Path p = ctx.file("qa-loss.svg");
        Plot.lineChart(p, "QA training loss (mean of start and end cross-entropy)", "step", "loss",
                List.of(Plot.Series.of("train (per batch)", losses)), true);
        ctx.wrote(p, "loss curve");
        double[][] rows = new double[2 * maps.size()][];
        for (int i = 0; i < maps.size(); i++) {
            rows[2 * i] = maps.get(i)[0];
            rows[2 * i + 1] = maps.get(i)[1];
        }
        Path q = ctx.file("qa-start-end.png");
        Plot.heatmap(q, rows, 10);
        ctx.wrote(q, "start/end probabilities over the context tokens for the examples above: two rows per question "
                + "(start, end), bright = likely");
        return results;
    }

    /** Features of every question; for training, those whose answer was cut off by maxLen are dropped. */
    private static List<Feature> features(WordPieceTokenizer tok, List<Question> qs, int maxLen, boolean training) {
        List<Feature> out = new ArrayList<>();
        for (Question q : qs) {
            Feature f = feature(tok, q, maxLen);
            if (!training || f.startPos() >= 0) {
                out.add(f);
            }
        }
        return out;
    }

    /** Loss = (CE(start logits, start) + CE(end logits, end)) / 2, as Hugging Face's. */
    static double[] train(SampleContext ctx, BertForQuestionAnswering model, List<Feature> train, List<Feature> probe,
                          int steps, double lr, Generator g) {
        Map<String, Parameter> named = model.namedParameters();
        List<List<Parameter>> split = BertSample.decaySplit(named);
        AdamW opt = new AdamW(split.get(0), lr, 0.9, 0.999, 1e-8, 0.01, false);
        opt.addParamGroup(split.get(1), lr, 0.0);
        WarmupCosine sched = new WarmupCosine(opt, steps / 10, steps, 1e-5);
        int b = 32;
        double[] losses = new double[steps];
        Progress bar = ctx.progress(steps, "q");
        int[] order = BertSample.shuffled(train.size(), g);
        for (int step = 0, at = 0; step < steps; step++, at += b) {
            if (at + b > order.length) {
                order = BertSample.shuffled(train.size(), g);
                at = 0;
            }
            List<Feature> fs = new ArrayList<>();
            for (int i = at; i < Math.min(at + b, order.length); i++) {
                fs.add(train.get(order[i]));
            }
            Tensor[] x = batch(fs);
            model.train();
            Tensor[] logits = model.forward(x[0], x[1], x[2]);
            // padding positions can never be right: a large negative score keeps them out of the softmax
            Tensor pad = x[2].eq(0);
            Tensor loss = F.crossEntropy(logits[0].maskedFill(pad, -1e4), x[3])
                    .add(F.crossEntropy(logits[1].maskedFill(pad, -1e4), x[4])).div(2);
            opt.zeroGrad();
            loss.backward();
            GradClip.clipGradNorm(opt.allParams(), 1.0);
            opt.step();
            sched.step();
            losses[step] = loss.item();
            String info = String.format(Locale.ROOT, "loss %.3f", losses[step]);
            if ((step + 1) % Math.max(1, steps / 5) == 0) {
                info += String.format(Locale.ROOT, " held-out F1 %.0f", 100 * evaluate(model, probe, 15)[1]);
            }
            bar.update(step + 1, info, (step + 1.0) * b);
        }
        return losses;
    }

    /** {exact match, F1} averaged over questions, each the best over its gold answers. */
    static double[] evaluate(BertForQuestionAnswering model, List<Feature> fs, int maxAnswerTokens) {
        model.eval();
        double em = 0;
        double f1 = 0;
        try (var s = Autograd.noGrad()) {
            for (int at = 0; at < fs.size(); at += 64) {
                List<Feature> chunk = fs.subList(at, Math.min(at + 64, fs.size()));
                Tensor[] x = batch(chunk);
                Tensor[] logits = model.forward(x[0], x[1], x[2]);
                int t = x[0].size(1);
                double[] start = logits[0].toDoubleArray();
                double[] end = logits[1].toDoubleArray();
                for (int i = 0; i < chunk.size(); i++) {
                    Feature f = chunk.get(i);
                    String pred = bestSpan(f, java.util.Arrays.copyOfRange(start, i * t, (i + 1) * t),
                            java.util.Arrays.copyOfRange(end, i * t, (i + 1) * t), maxAnswerTokens);
                    em += best(QuestionAnsweringSample::exactMatch, pred, f.q().answers());
                    f1 += best(QuestionAnsweringSample::f1, pred, f.q().answers());
                }
            }
        }
        return new double[] {em / fs.size(), f1 / fs.size()};
    }

    /** Prints a few held-out predictions; returns their start/end probabilities over the context tokens. */
    private static List<double[][]> showExamples(SampleContext ctx, BertForQuestionAnswering model, List<Feature> fs) {
        model.eval();
        List<double[][]> maps = new ArrayList<>();
        int width = fs.stream().mapToInt(f -> f.charStart().length).max().orElse(1);
        try (var s = Autograd.noGrad()) {
            Tensor[] x = batch(fs);
            Tensor[] logits = model.forward(x[0], x[1], x[2]);
            int t = x[0].size(1);
            Tensor pad = x[2].eq(0);
            double[] ps = F.softmax(logits[0].maskedFill(pad, -1e4), -1).toDoubleArray();
            double[] pe = F.softmax(logits[1].maskedFill(pad, -1e4), -1).toDoubleArray();
            double[] start = logits[0].toDoubleArray();
            double[] end = logits[1].toDoubleArray();
            for (int i = 0; i < fs.size(); i++) {
                Feature f = fs.get(i);
                String pred = bestSpan(f, java.util.Arrays.copyOfRange(start, i * t, (i + 1) * t),
                        java.util.Arrays.copyOfRange(end, i * t, (i + 1) * t), 15);
                boolean ok = best(QuestionAnsweringSample::exactMatch, pred, f.q().answers()) == 1;
                ctx.out().printf("  %s %-38s -> \"%s\"%s%n", ok ? "ok " : "err", f.q().question(), pred,
                        ok ? "" : "   (gold \"" + f.q().answers().get(0) + "\")");
                double[][] m = new double[2][width];
                for (int j = 0; j < f.charStart().length; j++) {
                    m[0][j] = ps[i * t + f.contextFrom() + j];
                    m[1][j] = pe[i * t + f.contextFrom() + j];
                }
                maps.add(m);
            }
        }
        return maps;
    }
}
