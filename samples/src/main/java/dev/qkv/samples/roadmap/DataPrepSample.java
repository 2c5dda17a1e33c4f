package dev.qkv.samples.roadmap;

import dev.qkv.samples.Sample;
import dev.qkv.samples.SampleContext;
import dev.qkv.samples.cli.CliException;
import dev.qkv.samples.plot.Plot;
import dev.qkv.samples.roadmap.DataPrepCorpus.Doc;
import dev.qkv.samples.roadmap.DataPrepCorpus.Label;
import dev.qkv.tokenizer.ByteLevelBpeTokenizer;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Cleaning a text corpus (one document per line) before training a tokenizer on it:
 *
 * <ol>
 *   <li>length filter: drop documents shorter than --min-chars or longer than --max-chars;
 *   <li>exact deduplication: normalize (Unicode NFKC, lower case, runs of whitespace to one
 *       space), hash, keep the first document of each hash;
 *   <li>near-duplicate removal: the Jaccard similarity |A ∩ B| / |A ∪ B| of two documents'
 *       sets of 5-character shingles, found without comparing all pairs by MinHash signatures
 *       and locality-sensitive hashing (LSH), and confirmed exactly;
 *   <li>a byte-level BPE tokenizer trained on what is left, with its compression and an exact
 *       encode/decode round trip.
 * </ol>
 *
 * By default the corpus is generated (see {@link DataPrepCorpus}) with a known number of planted
 * duplicates, near-duplicates and bad lengths, so each stage's catch can be scored; {@code --data
 * FILE} runs the same pipeline on your own file.
 */
public final class DataPrepSample implements Sample {
    static final int SHINGLE = 5;              // characters per shingle
    static final int BANDS = 32;               // LSH: the signature is cut into 32 bands ...
    static final int ROWS = 4;                 // ... of 4 MinHash values: 128 hash functions in all

    @Override
    public String name() {
        return "data-prep";
    }

    @Override
    public String summary() {
        return "length filter, exact and MinHash near-duplicate removal, then a BPE tokenizer on the result";
    }

    @Override
    public List<String> options() {
        return List.of("data", "min-chars", "max-chars", "threshold", "vocab");
    }

    // ===================================================================== exact duplicates

    /** Two documents that differ only in case, spacing or Unicode form normalize to the same text. */
    static String normalize(String s) {
        return Normalizer.normalize(s, Normalizer.Form.NFKC).toLowerCase(Locale.ROOT).replaceAll("\\s+", " ").strip();
    }

    /**
     * 64 bits of SHA-256. Storing a hash instead of the text keeps memory small; two different
     * texts share a 64-bit hash with probability 2^-64 per pair (about 3·10^-8 for a million documents).
     */
    static long hash64(String s) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
            long h = 0;
            for (int i = 0; i < 8; i++) {
                h = h << 8 | (d[i] & 0xff);
            }
            return h;
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    // ===================================================================== near duplicates

    /** SplitMix64's finalizer: scrambles 64 bits so that nearby inputs give unrelated outputs. */
    static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** The distinct hashes of the k-character substrings of a normalized text, sorted. */
    static long[] shingles(String norm) {
        Set<Long> set = new HashSet<>();
        for (int i = 0; i + SHINGLE <= Math.max(norm.length(), SHINGLE); i++) {
            String sh = norm.substring(i, Math.min(norm.length(), i + SHINGLE));
            long h = 0xcbf29ce484222325L;                        // FNV-1a over the chars, then scrambled
            for (int c = 0; c < sh.length(); c++) {
                h = (h ^ sh.charAt(c)) * 0x100000001b3L;
            }
            set.add(mix64(h));
        }
        return set.stream().mapToLong(Long::longValue).sorted().toArray();
    }

    /** |A ∩ B| / |A ∪ B| of two sorted sets, by one merge pass. */
    static double jaccard(long[] a, long[] b) {
        int i = 0;
        int j = 0;
        int common = 0;
        while (i < a.length && j < b.length) {
            if (a[i] == b[j]) {
                common++;
                i++;
                j++;
            } else if (a[i] < b[j]) {
                i++;
            } else {
                j++;
            }
        }
        return (double) common / (a.length + b.length - common);
    }

    /**
     * MinHash: for each of BANDS·ROWS hash functions h_i, the smallest h_i over the set. For two
     * sets, P(min h_i(A) = min h_i(B)) = J(A, B): the element of A ∪ B with the smallest hash is
     * equally likely to be any of them, and the minima agree exactly when it lies in A ∩ B.
     */
    static long[] minhash(long[] set) {
        long[] sig = new long[BANDS * ROWS];
        Arrays.fill(sig, Long.MAX_VALUE);
        for (long x : set) {
            for (int i = 0; i < sig.length; i++) {
                long h = mix64(x ^ (0x9E3779B97F4A7C15L * (i + 1)));  // the i-th hash function
                if (h < sig[i]) {
                    sig[i] = h;
                }
            }
        }
        return sig;
    }

    /** The fraction of equal MinHash values: an unbiased estimate of the Jaccard similarity. */
    static double estimate(long[] a, long[] b) {
        int eq = 0;
        for (int i = 0; i < a.length; i++) {
            eq += a[i] == b[i] ? 1 : 0;
        }
        return (double) eq / a.length;
    }

    /** One decision of the near-duplicate stage, for the report. */
    record Pair(int doc, int match, double jaccard, double estimate) {
    }

    /**
     * Keeps documents in order and drops each one whose Jaccard similarity with an already kept
     * document reaches the threshold. LSH finds the candidates: two documents are compared only
     * if all ROWS values of some band of their signatures agree, which happens with probability
     * 1 − (1 − J^ROWS)^BANDS: 0.99 at J = 0.6, 0.23 at J = 0.3. {@code removed} and
     * {@code rejected} collect the candidate pairs above and below the threshold.
     */
    static List<Integer> nearDedup(List<String> texts, List<Integer> docs, double threshold, List<Pair> removed,
                                   List<Pair> rejected) {
        Map<Long, List<Integer>> buckets = new HashMap<>();     // (band, its ROWS values) -> kept docs
        Map<Integer, long[]> sets = new HashMap<>();
        Map<Integer, long[]> sigs = new HashMap<>();
        List<Integer> kept = new ArrayList<>();
        for (int d : docs) {
            long[] set = shingles(normalize(texts.get(d)));
            long[] sig = minhash(set);
            long[] keys = new long[BANDS];
            Set<Integer> candidates = new java.util.TreeSet<>();
            for (int b = 0; b < BANDS; b++) {
                long k = b;
                for (int r = 0; r < ROWS; r++) {
                    k = mix64(k ^ sig[b * ROWS + r]);
                }
                keys[b] = k;
                candidates.addAll(buckets.getOrDefault(k, List.of()));
            }
            Pair best = null;
            for (int c : candidates) {
                Pair p = new Pair(d, c, jaccard(set, sets.get(c)), estimate(sig, sigs.get(c)));
                if (p.jaccard() >= threshold && (best == null || p.jaccard() > best.jaccard())) {
                    best = p;
                } else if (p.jaccard() < threshold) {
                    rejected.add(p);
                }
            }
            if (best != null) {
                removed.add(best);
                continue;
            }
            kept.add(d);
            sets.put(d, set);
            sigs.put(d, sig);
            for (long k : keys) {
                buckets.computeIfAbsent(k, x -> new ArrayList<>()).add(d);
            }
        }
        return kept;
    }

    // ===================================================================== the pipeline

    @Override
    public Map<String, Double> run(SampleContext ctx) throws Exception {
        int minChars = ctx.args().integer("min-chars", 20, 0, Integer.MAX_VALUE);
        int maxChars = ctx.args().integer("max-chars", 1000, 1, Integer.MAX_VALUE);
        double threshold = ctx.args().number("threshold", 0.5, 0.05, 1.0);
        int vocab = ctx.args().integer("vocab", ctx.size(1000, 500), 257, 1 << 20);
        List<String> texts = new ArrayList<>();
        List<Label> labels = null;                               // known for the generated corpus only
        List<Doc> docs = null;
        if (ctx.args().has("data")) {
            Path data = Path.of(ctx.args().required("data"));
            if (!Files.isRegularFile(data)) {
                throw new CliException("--data: file " + data + " does not exist");
            }
            texts.addAll(Files.readAllLines(data, StandardCharsets.UTF_8));
            ctx.out().printf("corpus: %s, %,d lines%n", data, texts.size());
        } else {
            int n = ctx.size(3000, 300);
            docs = DataPrepCorpus.generate(ctx.seed(), n, n / 20, n / 30, n / 75, Math.max(1, n / 300));
            labels = new ArrayList<>();
            for (Doc d : docs) {
                texts.add(d.text());
                labels.add(d.label());
            }
            Path corpus = ctx.file("data-prep-corpus.txt");
            Files.write(corpus, texts, StandardCharsets.UTF_8);
            ctx.wrote(corpus, "the generated corpus, one document per line");
            ctx.out().printf("generated corpus: %,d documents: %s%n", texts.size(), count(labels));
        }
        Map<String, Double> results = new LinkedHashMap<>();
        results.put("documents", (double) texts.size());
        List<Integer> all = new ArrayList<>();
        for (int i = 0; i < texts.size(); i++) {
            all.add(i);
        }

        // 1. length
        List<Integer> afterLength = new ArrayList<>();
        List<Integer> removedLength = new ArrayList<>();
        for (int d : all) {
            int len = texts.get(d).strip().length();
            (len >= minChars && len <= maxChars ? afterLength : removedLength).add(d);
        }
        report(ctx, "length filter [" + minChars + ", " + maxChars + "] chars", removedLength, afterLength, labels,
                EnumSet.of(Label.TOO_SHORT, Label.TOO_LONG), results, "length");

        // 2. exact duplicates by normalized hash
        List<Integer> afterExact = new ArrayList<>();
        List<Integer> removedExact = new ArrayList<>();
        Set<Long> seen = new HashSet<>();
        for (int d : afterLength) {
            (seen.add(hash64(normalize(texts.get(d)))) ? afterExact : removedExact).add(d);
        }
        report(ctx, "exact duplicates (normalized SHA-256)", removedExact, afterExact, labels,
                EnumSet.of(Label.EXACT_DUP), results, "exact");

        // 3. near duplicates by MinHash + LSH, confirmed by exact Jaccard
        List<Pair> nearPairs = new ArrayList<>();
        List<Pair> rejected = new ArrayList<>();
        List<Integer> clean = nearDedup(texts, afterExact, threshold, nearPairs, rejected);
        List<Integer> removedNear = nearPairs.stream().map(Pair::doc).toList();
        report(ctx, "near duplicates (Jaccard >= " + threshold + ")", removedNear, clean, labels,
                EnumSet.of(Label.NEAR_DUP), results, "near");
        double minNear = nearPairs.stream().mapToDouble(Pair::jaccard).min().orElse(Double.NaN);
        double maxRejected = rejected.stream().mapToDouble(Pair::jaccard).max().orElse(0);
        double estErr = nearPairs.stream().mapToDouble(p -> Math.abs(p.estimate() - p.jaccard())).average().orElse(0);
        ctx.out().printf(Locale.ROOT, "  Jaccard of the removed pairs: lowest %.3f; most similar pair kept apart: %.3f "
                + "(of %,d LSH candidates below the threshold)%n  MinHash estimate vs exact Jaccard on removed pairs: mean "
                + "|error| %.3f (128 hashes: standard error <= 0.044)%n", minNear, maxRejected, rejected.size(), estErr);
        if (docs != null) {
            // Is the threshold in the right place? The planted copies against their originals,
            // computed directly (no LSH), beside the most similar unrelated pair LSH proposed.
            double lo = 1;
            double hi = 0;
            double unrelated = 0;
            for (Pair p : rejected) {
                if (docs.get(p.doc()).source() != p.match()) {
                    unrelated = Math.max(unrelated, p.jaccard());
                }
            }
            for (Doc d : docs) {
                if (d.label() == Label.NEAR_DUP) {
                    double j = jaccard(shingles(normalize(d.text())), shingles(normalize(texts.get(d.source()))));
                    lo = Math.min(lo, j);
                    hi = Math.max(hi, j);
                }
            }
            ctx.out().printf(Locale.ROOT, "  planted near-duplicates have J = %.3f to %.3f with their originals; the most "
                    + "similar unrelated pair LSH proposed has J = %.3f%n", lo, hi, unrelated);
            results.put("planted_near_min_jaccard", lo);
        }
        for (Pair p : nearPairs.subList(0, Math.min(2, nearPairs.size()))) {
            String[] w = around(texts.get(p.match()), texts.get(p.doc()));
            ctx.out().printf(Locale.ROOT, "  e.g. J = %.2f, from the first difference on:%n    kept:    %s%n"
                    + "    removed: %s%n", p.jaccard(), w[0], w[1]);
        }
        results.put("near_min_jaccard", minNear);
        results.put("near_max_rejected", maxRejected);
        Path jac = ctx.file("data-prep-jaccard.svg");
        Plot.lineChart(jac, "Jaccard similarity of the pairs LSH proposed", "Jaccard similarity", "pairs", List.of(
                histogram("removed as near-duplicates", nearPairs), histogram("compared, below the threshold", rejected)),
                false);
        ctx.wrote(jac, "similarity of every pair the LSH proposed");
        List<String> cleanTexts = clean.stream().map(texts::get).toList();
        Path cleanFile = ctx.file("data-prep-clean.txt");
        Files.write(cleanFile, cleanTexts, StandardCharsets.UTF_8);
        ctx.wrote(cleanFile, "the cleaned corpus");
        ctx.out().printf("kept %,d of %,d documents%n", clean.size(), texts.size());
        results.put("kept", (double) clean.size());

        // 4. a BPE tokenizer on the cleaned corpus: every 10th document is held out to measure
        //    compression on text the tokenizer has not seen
        List<String> train = new ArrayList<>();
        List<String> heldOut = new ArrayList<>();
        for (int i = 0; i < cleanTexts.size(); i++) {
            (i % 10 == 9 ? heldOut : train).add(cleanTexts.get(i));
        }
        String trainText = String.join("\n", train);
        List<Integer> sizes = new ArrayList<>();
        for (int v : new int[] {256, 300, 400, 500, 600, 800, 1000, 1500, 2000}) {
            if (v < vocab) {
                sizes.add(v);
            }
        }
        sizes.add(vocab);
        double[] xs = new double[sizes.size()];
        double[] cpt = new double[sizes.size()];
        double[] cptHeld = new double[sizes.size()];
        ByteLevelBpeTokenizer last = null;
        var bar = ctx.progress(sizes.size(), "tokenizers");
        for (int s = 0; s < sizes.size(); s++) {
            last = ByteLevelBpeTokenizer.train(trainText, sizes.get(s), List.of());
            xs[s] = last.vocabSize();
            cpt[s] = charsPerToken(last, train);
            cptHeld[s] = charsPerToken(last, heldOut);
            bar.update(s + 1, "vocab " + last.vocabSize(), s + 1);
        }
        ByteLevelBpeTokenizer tok = last;                        // the one of the requested size
        ctx.out().printf(Locale.ROOT, "BPE asked for %d tokens, learned %d (%d merges)%s%n", vocab, tok.vocabSize(),
                tok.mergeCount(), tok.vocabSize() < vocab ? ": training stops when no pair of tokens occurs twice" : "");
        ctx.out().printf(Locale.ROOT, "chars per token: bytes only (vocab 256) %.3f -> trained %.3f on the training "
                + "documents, %.3f on held-out ones%n", cpt[0], cpt[sizes.size() - 1], cptHeld[sizes.size() - 1]);
        StringBuilder first = new StringBuilder();
        for (int id = 256; id < Math.min(tok.vocabSize(), 256 + 16); id++) {
            first.append(show(tok, id)).append(' ');
        }
        ctx.out().println("first merges: " + first.toString().strip());
        List<Integer> byLength = new ArrayList<>();
        for (int id = 256; id < tok.vocabSize(); id++) {
            byLength.add(id);
        }
        byLength.sort((a, b) -> tok.decode(new int[] {b}).length() - tok.decode(new int[] {a}).length());
        ctx.out().println("longest tokens: " + String.join(" ", byLength.subList(0, Math.min(10, byLength.size()))
                .stream().map(id -> show(tok, id)).toList()) + "   (␣ is a space)");
        int failures = 0;
        for (String t : texts) {                                 // every input line, kept or not
            if (!tok.decode(tok.encode(t)).equals(t)) {
                failures++;
            }
        }
        ctx.out().printf("round trip decode(encode(doc)) == doc: %d of %d documents exact%n", texts.size() - failures,
                texts.size());
        results.put("vocab", (double) tok.vocabSize());
        results.put("chars_per_token_bytes", cpt[0]);
        results.put("chars_per_token", cpt[sizes.size() - 1]);
        results.put("chars_per_token_heldout", cptHeld[sizes.size() - 1]);
        results.put("roundtrip_failures", (double) failures);
        Path comp = ctx.file("data-prep-compression.svg");
        Plot.lineChart(comp, "BPE compression against vocabulary size", "vocabulary size", "characters per token",
                List.of(Plot.Series.line("training documents", xs, cpt), Plot.Series.line("held-out documents", xs,
                        cptHeld)), false);
        ctx.wrote(comp, "chars per token against vocabulary size");
        Path tokDir = ctx.file("tokenizer");
        Files.createDirectories(tokDir);
        tok.save(tokDir);
        ctx.wrote(tokDir.resolve("tokenizer.json"), "the tokenizer, Hugging Face format");
        return results;
    }

    /** Prints one stage's count and, for the generated corpus, how many of its removals were planted. */
    static void report(SampleContext ctx, String stage, List<Integer> removed, List<Integer> kept, List<Label> labels,
                       Set<Label> target, Map<String, Double> results, String key) {
        ctx.out().printf("%-40s removed %,6d, %,6d left%n", stage, removed.size(), kept.size());
        results.put("removed_" + key, (double) removed.size());
        if (labels == null) {
            return;
        }
        long hits = removed.stream().filter(d -> target.contains(labels.get(d))).count();
        long planted = labels.stream().filter(target::contains).count();
        long missed = kept.stream().filter(d -> target.contains(labels.get(d))).count();
        ctx.out().printf("  %d of the %d planted %s found, %d removed that were not planted, %d planted still in%n",
                hits, planted, target, removed.size() - hits, missed);
        results.put("planted_" + key, (double) planted);
        results.put("found_" + key, (double) hits);
    }

    static Map<Label, Integer> count(List<Label> labels) {
        Map<Label, Integer> m = new LinkedHashMap<>();
        for (Label l : Label.values()) {
            m.put(l, (int) labels.stream().filter(x -> x == l).count());
        }
        return m;
    }

    static double charsPerToken(ByteLevelBpeTokenizer tok, List<String> docs) {
        long chars = 0;
        long tokens = 0;
        for (String d : docs) {
            chars += d.length();
            tokens += tok.encode(d).length;
        }
        return (double) chars / Math.max(1, tokens);
    }

    /** How many pairs fall in each Jaccard bin of width 0.05. */
    static Plot.Series histogram(String name, List<Pair> pairs) {
        double[] x = new double[20];
        double[] y = new double[20];
        for (int b = 0; b < 20; b++) {
            x[b] = 0.025 + 0.05 * b;
        }
        for (Pair p : pairs) {
            y[Math.min(19, (int) (p.jaccard() * 20))]++;
        }
        return Plot.Series.line(name, x, y);
    }

    static String show(ByteLevelBpeTokenizer tok, int id) {
        return "'" + tok.decode(new int[] {id}).replace(' ', '␣') + "'";
    }

    /** Both texts from a little before their first difference, about 90 characters each. */
    static String[] around(String a, String b) {
        int i = 0;
        while (i < Math.min(a.length(), b.length()) && a.charAt(i) == b.charAt(i)) {
            i++;
        }
        int from = Math.max(0, i - 30);
        return new String[] {(from > 0 ? "..." : "") + a.substring(from, Math.min(a.length(), from + 90)) + "...",
            (from > 0 ? "..." : "") + b.substring(from, Math.min(b.length(), from + 90)) + "..."};
    }
}
