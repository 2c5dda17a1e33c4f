package dev.qkv.samples.roadmap;

import dev.qkv.autograd.Autograd;
import dev.qkv.nn.Init;
import dev.qkv.nn.Parameter;
import dev.qkv.nn.functional.F;
import dev.qkv.optim.Adam;
import dev.qkv.samples.Sample;
import dev.qkv.samples.SampleContext;
import dev.qkv.samples.cli.Progress;
import dev.qkv.samples.plot.Plot;
import dev.qkv.tensor.Generator;
import dev.qkv.tensor.Tensor;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Retrieval: answer a question by finding the document that holds the answer.
 *
 * <p><b>The documents</b> describe made-up towns, so no model can know the answers beforehand.
 * Each town has two: one on its geography ("Velora lies on the river Sarn. Velora was founded by
 * Odo Kell.") and one on its trade and customs ("The main export of Velora is salt. Velora holds
 * its festival in May."). Questions ask for one fact, some in the documents' words ("Who founded
 * Velora?") and some in others ("Who established Velora?", "Which goods come from Velora?").
 *
 * <p><b>The encoder</b> turns a text into a unit vector of 64 numbers: count the character
 * trigrams of its words ("#ve", "vel", "elo", …), hash them into 2048 buckets, and multiply by
 * a learned matrix W [2048, 64]. W is trained contrastively on (question, document) pairs of
 * 80% of the towns: each question's embedding should be closer to its own document's than to
 * the other documents in the batch (InfoNCE, the loss of CLIP and of dense retrievers such as
 * DPR), and the batch always holds the town's other document as a hard negative. Raw trigram
 * counts find the town by its name, but cannot tell that "goods" asks for the trade document;
 * W learns it. The other 20% of the towns are only seen at test time.
 *
 * <p><b>The index.</b> Exact search compares the question with every document; an HNSW graph
 * ({@link Hnsw}) visits a small part of them, and can miss some of the true nearest. Recall@10
 * is the share of the exact top 10 that HNSW also returns.
 *
 * <p><b>The answer</b> is then cut out of the best document by a pattern for the asked fact
 * ("founded by (…)\."), not generated: a tiny char GPT could learn to copy it, but that would
 * be a lesson about the GPT, and extraction keeps this sample about retrieval. When the right
 * document is found, extraction is always right; every wrong answer is a retrieval miss.
 */
public final class RetrievalSample implements Sample {
    static final int BUCKETS = 2048;
    static final int DIM = 64;

    @Override
    public String name() {
        return "retrieval";
    }

    @Override
    public String summary() {
        return "a contrastively trained text encoder, exact KNN vs an HNSW index (recall, speed), answers by retrieval";
    }

    @Override
    public List<String> options() {
        return List.of("towns", "m", "ef-construction", "ef-search");
    }

    // ===================================================================== the documents

    static final String[] GOODS = {"copper", "wool", "salt", "glass", "timber", "honey", "wine", "iron", "cheese",
        "silk", "amber", "tin", "paper", "rope", "pottery", "leather", "olives", "barley", "dye", "marble"};
    static final String[] MONTHS = {"January", "February", "March", "April", "May", "June", "July", "August",
        "September", "October", "November", "December"};
    /** The four facts: what a question asks, how it is asked, and where the answer is in a document. */
    static final String[] FACTS = {"river", "founder", "export", "month"};
    /** Per fact: a question in the documents' words, then two in other words. */
    static final String[][] QUESTIONS = {
        {"Which river does %s lie on?", "What waters run past %s?", "Where does %s get its water?"},
        {"Who founded %s?", "Who established %s?", "Who built %s first?"},
        {"What is the main export of %s?", "Which goods come from %s?", "What does %s sell abroad?"},
        {"When does %s hold its festival?", "When does %s celebrate?", "In which month is the feast of %s?"}};
    static final Pattern[] ANSWERS = {Pattern.compile("on the river (\\w+)\\."),
        Pattern.compile("founded by (\\w+ \\w+)\\."), Pattern.compile("main export of \\w+ is (\\w+)\\."),
        Pattern.compile("festival in (\\w+)\\.")};

    /** A town: its name, its four facts (in FACTS order), its geography and its trade document. */
    record Town(String name, String[] facts, String geography, String trade) {
        /** Document id d of town t is 2t (geography: river, founder) or 2t + 1 (trade: export, month). */
        static int docOf(int town, int fact) {
            return 2 * town + fact / 2;
        }
    }

    /** A made-up word of 2 or 3 consonant-vowel syllables, sometimes ending in a consonant: "Velora", "Mirtan". */
    static String word(Generator g) {
        String c = "bdfgklmnprstvz";
        String v = "aeiou";
        StringBuilder sb = new StringBuilder();
        int syllables = 2 + (int) g.nextLong(2);
        for (int i = 0; i < syllables; i++) {
            sb.append(c.charAt((int) g.nextLong(c.length()))).append(v.charAt((int) g.nextLong(v.length())));
        }
        if (g.nextLong(2) == 0) {
            sb.append("nrsl".charAt((int) g.nextLong(4)));
        }
        return Character.toUpperCase(sb.charAt(0)) + sb.substring(1);
    }

    static List<Town> towns(int n, Generator g) {
        Set<String> used = new HashSet<>();
        List<Town> out = new ArrayList<>();
        while (out.size() < n) {
            String name = word(g);
            if (!used.add(name)) {
                continue;
            }
            String[] facts = {word(g), word(g) + " " + word(g), GOODS[(int) g.nextLong(GOODS.length)],
                MONTHS[(int) g.nextLong(MONTHS.length)]};
            boolean flip = g.nextLong(2) == 0;                                            // vary the sentence order
            String river = name + " lies on the river " + facts[0] + ".";
            String founder = name + " was founded by " + facts[1] + ".";
            String export = "The main export of " + name + " is " + facts[2] + ".";
            String festival = name + " holds its festival in " + facts[3] + ".";
            out.add(new Town(name, facts, flip ? founder + " " + river : river + " " + founder,
                    flip ? festival + " " + export : export + " " + festival));
        }
        return out;
    }

    /** A question about a random fact of a town; returns {question, fact index, form index}. */
    static Object[] question(Town t, Generator g) {
        int fact = (int) g.nextLong(FACTS.length);
        int form = (int) g.nextLong(QUESTIONS[fact].length);
        return new Object[] {String.format(QUESTIONS[fact][form], t.name()), fact, form};
    }

    /** Which fact a question asks for, by the keywords of the question templates. */
    static int askedFact(String q) {
        String s = q.toLowerCase(Locale.ROOT);
        if (s.contains("river") || s.contains("water")) {
            return 0;
        }
        if (s.contains("found") || s.contains("establish") || s.contains("built")) {
            return 1;
        }
        return s.contains("export") || s.contains("goods") || s.contains("sell") ? 2 : 3;
    }

    /** The answer cut out of a document by the asked fact's pattern, or "?" if it is not there. */
    static String extract(String doc, int fact) {
        Matcher m = ANSWERS[fact].matcher(doc);
        return m.find() ? m.group(1) : "?";
    }

    // ===================================================================== the encoder

    /** Hashed character-trigram counts of a text's words, L2-normalized: a vector of BUCKETS numbers. */
    static float[] trigrams(String text) {
        float[] v = new float[BUCKETS];
        for (String w : text.toLowerCase(Locale.ROOT).split("[^a-z]+")) {
            if (w.isEmpty()) {
                continue;
            }
            String padded = "#" + w + "#";                          // marks the start and end of a word
            for (int i = 0; i + 3 <= padded.length(); i++) {
                v[Math.floorMod(padded.substring(i, i + 3).hashCode(), BUCKETS)] += 1;
            }
        }
        double norm = 0;
        for (float x : v) {
            norm += x * x;
        }
        for (int i = 0; i < v.length; i++) {
            v[i] /= (float) Math.sqrt(norm);
        }
        return v;
    }

    static Tensor features(List<String> texts) {
        float[] all = new float[texts.size() * BUCKETS];
        for (int i = 0; i < texts.size(); i++) {
            System.arraycopy(trigrams(texts.get(i)), 0, all, i * BUCKETS, BUCKETS);
        }
        return Tensor.fromArray(all, texts.size(), BUCKETS);
    }

    /** Each row divided by its length, so dot products are cosines. */
    static Tensor unit(Tensor x) {
        return x.div(x.square().sum(1, true).sqrt().add(1e-8));
    }

    /** The embeddings [N, DIM] of trigram features [N, BUCKETS]: unit(x·W). */
    static Tensor embed(Tensor features, Tensor w) {
        return unit(features.matmul(w));
    }

    /**
     * Contrastive training of W: a batch of B towns, one question each, and both documents of
     * every town, 2B in all. The logits of question i against the 2B documents are cosines / τ,
     * and the loss is cross-entropy with the right document as target: the other document of the
     * same town is the hard negative, the other towns' documents the easy ones. τ = 0.05 makes
     * the softmax sharp enough that a cosine gap of 0.1 matters.
     */
    static double[] train(SampleContext ctx, Parameter w, List<Town> towns, Tensor docFeatures, int[] trainIds,
                          int steps) {
        Adam opt = new Adam(List.of(w), 3e-3);
        Generator g = new Generator(ctx.seed() + 5);
        int b = Math.min(64, trainIds.length);
        double tau = 0.05;
        double[] losses = new double[steps];
        Progress bar = ctx.progress(steps, "pairs");
        for (int step = 0; step < steps; step++) {
            long[] docRows = new long[2 * b];
            long[] targets = new long[b];
            List<String> qs = new ArrayList<>();
            Set<Integer> seen = new HashSet<>();
            while (qs.size() < b) {                                  // distinct towns: one right document per row
                int town = trainIds[(int) g.nextLong(trainIds.length)];
                if (seen.add(town)) {
                    int i = qs.size();
                    Object[] qf = question(towns.get(town), g);
                    qs.add((String) qf[0]);
                    docRows[2 * i] = Town.docOf(town, 0);
                    docRows[2 * i + 1] = Town.docOf(town, 2);
                    targets[i] = 2 * i + (int) qf[1] / 2;
                }
            }
            Tensor q = embed(features(qs), w);                                                   // [B, DIM]
            Tensor d = embed(docFeatures.indexSelect(0, Tensor.fromArray(docRows, 2 * b)), w);   // [2B, DIM]
            Tensor logits = q.matmul(d.t()).div(tau);                                            // [B, 2B]
            Tensor loss = F.crossEntropy(logits, Tensor.fromArray(targets, b));
            opt.zeroGrad();
            loss.backward();
            opt.step();
            losses[step] = loss.item();
            bar.update(step + 1, String.format("loss %.3f", losses[step]), (double) (step + 1) * b);
        }
        return losses;
    }

    // ===================================================================== search

    static float[][] rows(Tensor x) {
        float[] flat = x.toFloatArray();
        int n = x.size(0);
        int d = x.size(1);
        float[][] out = new float[n][];
        for (int i = 0; i < n; i++) {
            out[i] = Arrays.copyOfRange(flat, i * d, (i + 1) * d);
        }
        return out;
    }

    /** Exact KNN: the k rows of docs with the largest dot product with q (cosine, for unit vectors), best first. */
    static int[] exact(float[][] docs, float[] q, int k) {
        int[] top = new int[Math.min(k, docs.length)];
        double[] topSim = new double[top.length];
        Arrays.fill(topSim, Double.NEGATIVE_INFINITY);
        for (int i = 0; i < docs.length; i++) {
            double s = 0;
            for (int j = 0; j < q.length; j++) {
                s += q[j] * docs[i][j];
            }
            if (s > topSim[top.length - 1]) {                       // insert into the sorted top-k list
                int at = top.length - 1;
                while (at > 0 && topSim[at - 1] < s) {
                    topSim[at] = topSim[at - 1];
                    top[at] = top[at - 1];
                    at--;
                }
                topSim[at] = s;
                top[at] = i;
            }
        }
        return top;
    }

    static double recall(int[] truth, int[] got) {
        Set<Integer> t = new HashSet<>();
        for (int x : truth) {
            t.add(x);
        }
        int hit = 0;
        for (int x : got) {
            hit += t.contains(x) ? 1 : 0;
        }
        return (double) hit / truth.length;
    }

    @Override
    public Map<String, Double> run(SampleContext ctx) throws Exception {
        int n = ctx.args().integer("towns", ctx.size(2500, 250), 10, 1_000_000);
        int m = ctx.args().integer("m", 12, 2, 256);
        int efc = ctx.args().integer("ef-construction", 100, 1, 10_000);
        int efSearch = ctx.args().integer("ef-search", 40, 1, 10_000);
        Generator g = new Generator(ctx.seed());
        List<Town> towns = towns(n, g);
        int[] trainIds = java.util.stream.IntStream.range(0, n * 4 / 5).toArray();
        int[] testIds = java.util.stream.IntStream.range(n * 4 / 5, n).toArray();
        List<String> docTexts = new ArrayList<>();
        for (Town t : towns) {
            docTexts.add(t.geography());                            // document 2t
            docTexts.add(t.trade());                                // document 2t + 1
        }
        int nDocs = docTexts.size();
        ctx.out().printf("%,d documents, two for each of %,d made-up towns, e.g.:%n  %s%n  %s%n", nDocs, n,
                docTexts.get(0), docTexts.get(1));
        Tensor docFeatures = features(docTexts);                                        // [N, BUCKETS]

        // Test questions, about towns the encoder was not trained on.
        int nq = ctx.size(500, 200);
        Generator qg = new Generator(ctx.seed() + 1);
        List<String> questions = new ArrayList<>();
        int[] truth = new int[nq];                                  // the right document of each question
        int[] form = new int[nq];                                   // 0: in the documents' words, else other words
        for (int i = 0; i < nq; i++) {
            int town = testIds[(int) qg.nextLong(testIds.length)];
            Object[] qf = question(towns.get(town), qg);
            questions.add((String) qf[0]);
            truth[i] = Town.docOf(town, (int) qf[1]);
            form[i] = (int) qf[2];
        }
        Tensor qFeatures = features(questions);

        // The encoder: untrained (a random projection) and trained.
        Parameter w = new Parameter(Tensor.zeros(BUCKETS, DIM));
        try (var s = Autograd.noGrad()) {
            Init.normal_(w, 0, 1 / Math.sqrt(DIM), new Generator(ctx.seed() + 2));
        }
        Map<String, Double> results = new LinkedHashMap<>();
        double[] rawAcc = top1(docFeatures, qFeatures, truth, form);
        double[] randomAcc;
        try (var s = Autograd.noGrad()) {
            randomAcc = top1(embed(docFeatures, w), embed(qFeatures, w), truth, form);
        }
        int steps = ctx.size(300, 100);
        ctx.out().printf("training the encoder W [%d, %d] on questions about %,d towns (negatives: the other documents "
                + "in the batch)%n",
                BUCKETS, DIM, trainIds.length);
        double[] losses = train(ctx, w, towns, docFeatures, trainIds, steps);
        Tensor docEmb;
        Tensor qEmb;
        try (var s = Autograd.noGrad()) {
            docEmb = embed(docFeatures, w);                                            // [N, DIM]
            qEmb = embed(qFeatures, w);                                                // [Q, DIM]
        }
        double[] trainedAcc = top1(docEmb, qEmb, truth, form);
        float[][] docs = rows(docEmb);
        float[][] qs = rows(qEmb);
        ctx.out().printf("exact search, %d questions about the %,d unseen towns: right document first%n", nq,
                testIds.length);
        ctx.out().println("                                     all  documents' words  other words");
        String row = "  %-33s %5.1f%%  %15.1f%%  %10.1f%%%n";
        ctx.out().printf(row, "raw trigram counts (" + BUCKETS + " numbers)", 100 * rawAcc[0], 100 * rawAcc[1],
                100 * rawAcc[2]);
        ctx.out().printf(row, "random projection to " + DIM, 100 * randomAcc[0], 100 * randomAcc[1],
                100 * randomAcc[2]);
        ctx.out().printf(row, "trained projection to " + DIM, 100 * trainedAcc[0], 100 * trainedAcc[1],
                100 * trainedAcc[2]);
        results.put("top1_raw", rawAcc[0]);
        results.put("top1_random_projection", randomAcc[0]);
        results.put("top1_trained", trainedAcc[0]);

        // The HNSW index over the trained embeddings.
        long t0 = System.nanoTime();
        Hnsw index = new Hnsw(docs, m, efc, ctx.seed() + 3);
        double buildS = (System.nanoTime() - t0) / 1e9;
        ctx.out().printf("HNSW (M = %d, efConstruction = %d) built in %.2f s; nodes per layer %s%n", m, efc, buildS,
                Arrays.toString(index.layerSizes()));
        int k = 10;
        int[][] exactTop = new int[nq][];
        long e0 = System.nanoTime();
        for (int i = 0; i < nq; i++) {
            exactTop[i] = exact(docs, qs[i], k);
        }
        double exactUs = (System.nanoTime() - e0) / 1e3 / nq;
        ctx.out().printf("exact search: %.0f us/query, %,d distances/query%n", exactUs, nDocs);
        // How separated are the exact ranks? Recall@10 counts ranks 2..10 as much as rank 1.
        double[] rankCos = new double[k + 1];
        for (int i = 0; i < nq; i++) {
            int[] top = exact(docs, qs[i], k + 1);
            for (int r = 0; r <= k; r++) {
                for (int j = 0; j < DIM; j++) {
                    rankCos[r] += qs[i][j] * docs[top[r]][j] / nq;
                }
            }
        }
        ctx.out().printf("mean cosine of the exact 1st, 2nd, 10th and 11th document: %.3f, %.3f, %.3f, %.3f — the "
                + "right document stands out, while the 10th and 11th are nearly tied: an approximate search that swaps them "
                + "loses recall@10 but not the answer%n",
                rankCos[0], rankCos[1], rankCos[k - 1], rankCos[k]);
        ctx.out().println("efSearch  recall@10  distances/query  us/query");
        java.util.TreeSet<Integer> efSet = new java.util.TreeSet<>(List.of(10, 20, 40, 80, 160));
        efSet.add(efSearch);
        int[] efs = efSet.stream().mapToInt(Integer::intValue).toArray();
        double[] recalls = new double[efs.length];
        double chosenRecall = 0;
        int[][] chosenTop = new int[nq][];
        for (int e = 0; e < efs.length; e++) {
            index.distanceCount = 0;
            long h0 = System.nanoTime();
            int[][] got = new int[nq][];
            for (int i = 0; i < nq; i++) {
                got[i] = index.search(qs[i], k, efs[e]);
            }
            double us = (System.nanoTime() - h0) / 1e3 / nq;
            double r = 0;
            for (int i = 0; i < nq; i++) {
                r += recall(exactTop[i], got[i]) / nq;
            }
            recalls[e] = r;
            ctx.out().printf("%8d  %9.3f  %15.0f  %8.0f%n", efs[e], r, (double) index.distanceCount / nq, us);
            if (efs[e] == efSearch) {
                chosenRecall = r;
                chosenTop = got;
            }
        }
        results.put("recall_at_10", chosenRecall);

        // Answers: the best HNSW document, and the fact cut out of it.
        int retrieved = 0;
        int answered = 0;
        for (int i = 0; i < nq; i++) {
            int best = chosenTop[i][0];
            int fact = askedFact(questions.get(i));
            String answer = extract(docTexts.get(best), fact);
            retrieved += best == truth[i] ? 1 : 0;
            answered += answer.equals(towns.get(truth[i] / 2).facts()[fact]) ? 1 : 0;
            if (i < 3) {
                ctx.out().printf("Q: %s%n   retrieved: %s%n   A: %s (%s)%n", questions.get(i), docTexts.get(best),
                        answer, best == truth[i] ? "right document" : "wrong document");
            }
        }
        ctx.out().printf("with HNSW (efSearch %d): right document first for %.1f%% of questions, right answer for "
                + "%.1f%%%n", efSearch, 100.0 * retrieved / nq, 100.0 * answered / nq);
        results.put("retrieval_acc", (double) retrieved / nq);
        results.put("answer_acc", (double) answered / nq);

        Path p = ctx.file("retrieval-encoder-loss.svg");
        Plot.lineChart(p, "contrastive loss of the encoder (batch of 64: chance is ln 64 = 4.16)", "step",
                "cross-entropy", List.of(Plot.Series.of("InfoNCE", losses)), false);
        ctx.wrote(p, "encoder training loss");
        double[] efx = Arrays.stream(efs).asDoubleStream().toArray();
        Path q = ctx.file("retrieval-hnsw-recall.svg");
        Plot.lineChart(q, "HNSW recall@10 against efSearch", "efSearch", "recall@10",
                List.of(Plot.Series.line("recall@10", efx, recalls)), false);
        ctx.wrote(q, "recall against the search beam width");
        return results;
    }

    /**
     * The share of questions (rows of q) whose most similar document (rows of docs) is the right
     * one: {all, questions in the documents' words (form 0), questions in other words}.
     */
    static double[] top1(Tensor docs, Tensor q, int[] truth, int[] form) {
        try (var s = Autograd.noGrad()) {
            long[] best = q.matmul(docs.t()).argmax(1, false).toLongArray();                // [Q, N] -> [Q]
            double[] right = new double[3];
            double[] count = new double[3];
            for (int i = 0; i < truth.length; i++) {
                int kind = form[i] == 0 ? 1 : 2;
                double hit = best[i] == truth[i] ? 1 : 0;
                right[0] += hit;
                right[kind] += hit;
                count[0]++;
                count[kind]++;
            }
            return new double[] {right[0] / count[0], right[1] / count[1], right[2] / count[2]};
        }
    }
}
