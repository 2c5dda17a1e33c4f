package dev.qkv.samples.roadmap;

import dev.qkv.tensor.Generator;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * The data-prep sample's synthetic corpus: short documents of generated sentences, one per line,
 * with planted problems whose number is known, so the pipeline's counts can be checked:
 *
 * <ul>
 *   <li>exact duplicates: a copy of an earlier document, some with changed case or spacing
 *       (equal after normalization);
 *   <li>near-duplicates: a copy with a few words replaced, dropped or appended;
 *   <li>too short (a few characters) and too long (a spam line of thousands) documents.
 * </ul>
 *
 * Every copy is placed after its original, so "keep the first, drop the later ones" drops
 * exactly the planted copies. Deterministic for a seed. Not a real corpus: its word list is
 * small, which a BPE vocabulary soon covers whole.
 */
final class DataPrepCorpus {
    private DataPrepCorpus() {
    }

    /** What a generated line is, so the pipeline's decisions can be scored. */
    enum Label { ORIGINAL, EXACT_DUP, NEAR_DUP, TOO_SHORT, TOO_LONG }

    /** A line, what it is, and for a planted copy the index of its original in the corpus (else −1). */
    record Doc(String text, Label label, int source) {
    }

    private static final String[] ADJ = {"quick", "lazy", "bright", "quiet", "ancient", "modern", "tiny", "enormous",
        "curious", "patient", "noisy", "gentle", "careful", "hungry", "silver", "golden", "hidden", "famous", "strange",
        "friendly", "naïve", "rusty", "frozen", "wooden", "clever"};
    private static final String[] NOUN = {"fox", "river", "engineer", "library", "garden", "train", "teacher", "robot",
        "village", "market", "student", "bridge", "castle", "kitchen", "painter", "forest", "harbor", "museum",
        "mountain", "bicycle", "café", "window", "orchestra", "lantern", "compiler", "tensor", "gradient", "matrix"};
    private static final String[] VERB = {"visits", "builds", "watches", "repairs", "describes", "follows", "paints",
        "admires", "measures", "ignores", "remembers", "explores", "protects", "questions", "celebrates", "borrows"};
    private static final String[] PLACE = {"near the harbor", "in Zürich", "in 東京", "before dawn", "after the storm",
        "on Tuesday", "during the festival", "at the old station", "in the spring of %d", "since %d",
        "by the lake", "under the bridge", "with great care 🙂", "without a map"};
    private static final String[] SHORT = {"ok", "thanks!", "see above", "lol", "+1", "bump", "n/a", "???", "yes.",
        "no", "hi all", "test", "done", "same here", "fixed", "wow"};

    static String pick(Generator g, String[] words) {
        return words[(int) g.nextLong(words.length)];
    }

    /** One sentence: "The curious engineer repairs a wooden bridge near the harbor." and variants. */
    static String sentence(Generator g) {
        String place = String.format(Locale.ROOT, pick(g, PLACE), 1900 + g.nextLong(125));
        return switch ((int) g.nextLong(3)) {
            case 0 -> "The " + pick(g, ADJ) + " " + pick(g, NOUN) + " " + pick(g, VERB) + " a " + pick(g, ADJ) + " "
                    + pick(g, NOUN) + " " + place + ".";
            case 1 -> "Every " + pick(g, NOUN) + " " + pick(g, VERB) + " the " + pick(g, NOUN) + ", and the "
                    + pick(g, ADJ) + " " + pick(g, NOUN) + " " + pick(g, VERB) + " it " + place + ".";
            default -> "Nobody " + pick(g, VERB) + " " + (2 + g.nextLong(97)) + " " + pick(g, ADJ) + " "
                    + pick(g, NOUN) + "s " + place + ".";
        };
    }

    static String document(Generator g) {
        int n = 2 + (int) g.nextLong(3);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            sb.append(i == 0 ? "" : " ").append(sentence(g));
        }
        return sb.toString();
    }

    /** The same text with different case and spacing: equal after normalization. */
    static String respaced(Generator g, String text) {
        String t = g.nextDouble() < 0.5 ? text.toUpperCase(Locale.ROOT) : text.replace(" ", "  ");
        return (g.nextDouble() < 0.5 ? "  " : "") + t + (g.nextDouble() < 0.5 ? " \t" : "");
    }

    /** A few word-level edits: replace two words, then drop one or append a short phrase. */
    static String edited(Generator g, String text) {
        List<String> w = new ArrayList<>(List.of(text.split(" ")));
        for (int e = 0; e < 2; e++) {
            w.set((int) g.nextLong(w.size()), pick(g, g.nextDouble() < 0.5 ? ADJ : NOUN));
        }
        if (g.nextDouble() < 0.5) {
            w.remove((int) g.nextLong(w.size()));
        } else {
            w.add(g.nextDouble() < 0.5 ? "(updated)" : "Read more.");
        }
        return String.join(" ", w);
    }

    /**
     * {@code originals} documents plus the planted ones, in reading order. Originals keep their
     * order; each copy is placed at a random point after its source.
     */
    static List<Doc> generate(long seed, int originals, int exact, int near, int tooShort, int tooLong) {
        Generator g = new Generator(seed);
        record Keyed(double key, Doc doc, int src) {
        }
        List<Keyed> all = new ArrayList<>();
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < originals; i++) {
            texts.add(document(g));
            all.add(new Keyed(i, new Doc(texts.get(i), Label.ORIGINAL, -1), i));
        }
        java.util.function.IntFunction<Double> after = i -> i + 0.5 + g.nextDouble() * (originals - i);
        for (int c = 0; c < exact; c++) {
            int src = (int) g.nextLong(originals);
            String t = c % 2 == 0 ? texts.get(src) : respaced(g, texts.get(src));
            all.add(new Keyed(after.apply(src), new Doc(t, Label.EXACT_DUP, -1), src));
        }
        for (int c = 0; c < near; c++) {
            int src = (int) g.nextLong(originals);
            all.add(new Keyed(after.apply(src), new Doc(edited(g, texts.get(src)), Label.NEAR_DUP, -1), src));
        }
        for (int c = 0; c < tooShort; c++) {
            all.add(new Keyed(g.nextDouble() * originals, new Doc(SHORT[c % SHORT.length], Label.TOO_SHORT, -1), -1));
        }
        for (int c = 0; c < tooLong; c++) {
            String spam = "BUY CHEAP " + pick(g, NOUN).toUpperCase(Locale.ROOT) + "S NOW!!! ";
            all.add(new Keyed(g.nextDouble() * originals, new Doc(spam.repeat(150 + (int) g.nextLong(100)).trim(),
                    Label.TOO_LONG, -1), -1));
        }
        all.sort(Comparator.comparingDouble(Keyed::key));
        int[] position = new int[originals];                    // where each original landed
        for (int i = 0; i < all.size(); i++) {
            if (all.get(i).doc().label() == Label.ORIGINAL) {
                position[all.get(i).src()] = i;
            }
        }
        List<Doc> out = new ArrayList<>();
        for (Keyed k : all) {
            boolean copy = k.doc().label() == Label.EXACT_DUP || k.doc().label() == Label.NEAR_DUP;
            out.add(copy ? new Doc(k.doc().text(), k.doc().label(), position[k.src()]) : k.doc());
        }
        return out;
    }
}
