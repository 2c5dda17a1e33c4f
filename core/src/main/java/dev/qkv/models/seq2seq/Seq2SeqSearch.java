package dev.qkv.models.seq2seq;

import dev.qkv.autograd.Autograd;
import dev.qkv.nn.functional.F;
import dev.qkv.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;

/**
 * Decoding a target sequence from an {@link EncoderDecoder}: greedy (the most likely next token
 * at every step) and beam search (keep the beamSize most likely prefixes). Both encode the
 * source once and then extend the target from BOS until EOS or maxLen new tokens; both switch
 * the model to eval mode and run without gradients.
 *
 * <p>Returned tokens exclude BOS and include EOS when it was produced.
 */
public final class Seq2SeqSearch {
    private Seq2SeqSearch() {
    }

    /**
     * A finished (or cut-off) beam: the tokens after BOS, their total log-probability, and the
     * score beam search ranks by: logProb / length^lengthPenalty (length counts EOS).
     */
    public record Hypothesis(int[] tokens, double logProb, double score) {
        @Override
        public String toString() {
            return "Hypothesis" + Arrays.toString(tokens) + " logProb=" + logProb + " score=" + score;
        }
    }

    /**
     * Greedy decoding of a batch: each row stops at its first EOS (later steps feed it EOS
     * again, and those tokens are dropped).
     *
     * @param src               [B, S] source ids
     * @param srcKeyPaddingMask BOOL [B, S], true at source padding; or null
     * @param maxLen            most new tokens per row
     */
    public static int[][] greedy(EncoderDecoder model, Tensor src, Tensor srcKeyPaddingMask, int bos, int eos,
                                 int maxLen) {
        checkLength(model, maxLen);
        model.eval();
        int b = src.size(0);
        int[][] out = new int[b][];
        try (var s = Autograd.noGrad()) {
            Tensor memory = model.encode(src, srcKeyPaddingMask);                  // (B, S, C)
            long[] prefix = new long[b * (maxLen + 1)];
            int[] lengths = new int[b];                                            // tokens after BOS, -1 while running
            Arrays.fill(lengths, -1);
            for (int r = 0; r < b; r++) {
                prefix[r * (maxLen + 1)] = bos;
            }
            int t = 1;
            for (; t <= maxLen && Arrays.stream(lengths).anyMatch(l -> l < 0); t++) {
                Tensor ids = Tensor.fromArray(prefix, b, maxLen + 1).narrow(1, 0, t).contiguous();  // (B, t)
                long[] next = model.decodeStep(ids, memory, srcKeyPaddingMask).argmax(1, false).toLongArray();  // (B)
                for (int r = 0; r < b; r++) {
                    boolean done = lengths[r] >= 0;
                    prefix[r * (maxLen + 1) + t] = done ? eos : next[r];
                    if (!done && next[r] == eos) {
                        lengths[r] = t;
                    }
                }
            }
            for (int r = 0; r < b; r++) {
                int len = lengths[r] >= 0 ? lengths[r] : t - 1;
                out[r] = new int[len];
                for (int j = 0; j < len; j++) {
                    out[r][j] = (int) prefix[r * (maxLen + 1) + 1 + j];
                }
            }
        }
        return out;
    }

    /** A live prefix of the beam: tokens after BOS and their log-probability. */
    private record Beam(int[] tokens, double logProb) {
    }

    /** One way to extend a beam: beam index, token, total log-probability. */
    private record Candidate(int beam, int token, double logProb) {
    }

    /**
     * Beam search for one source sequence, as Hugging Face's (without early stopping): at
     * every step, each of the (up to) beamSize live prefixes is extended by every token; of the
     * 2·beamSize best extensions, those ending in EOS that rank within the first beamSize
     * become finished hypotheses, and the best beamSize others live on. Search stops when
     * beamSize hypotheses are finished and the best live prefix cannot score higher than the
     * worst of them (by its current score), or after maxLen tokens; then live prefixes count as
     * hypotheses too. Ties go to the lower token id, so beamSize 1 is exactly greedy decoding.
     *
     * @param src           [1, S] or [S] source ids
     * @param lengthPenalty exponent of the length normalization: 0 ranks by log-probability, larger
     *                      values favour longer outputs
     * @return the best hypothesis by score
     */
    public static Hypothesis beam(EncoderDecoder model, Tensor src, int bos, int eos, int beamSize, int maxLen,
                                  double lengthPenalty) {
        checkLength(model, maxLen);
        if (beamSize <= 0) {
            throw new IllegalArgumentException("beamSearch: beamSize must be positive, got " + beamSize);
        }
        Tensor src2 = src.dim() == 1 ? src.unsqueeze(0) : src;
        if (src2.dim() != 2 || src2.size(0) != 1) {
            throw new IllegalArgumentException("beamSearch: expects one source sequence [1, S] or [S], got "
                    + Arrays.toString(src.shape()));
        }
        model.eval();
        List<Hypothesis> finished = new ArrayList<>();                             // best first, at most beamSize
        try (var s = Autograd.noGrad()) {
            Tensor memory = model.encode(src2, null);                              // (1, S, C)
            List<Beam> alive = List.of(new Beam(new int[0], 0.0));
            for (int t = 1; t <= maxLen && !alive.isEmpty(); t++) {
                int k = alive.size();
                Tensor logp = model.decodeStep(prefixes(alive, bos, t), memory.expand(k, -1, -1), null);   // (k, V)
                List<Candidate> best = topCandidates(alive, logp.toDoubleArray(), logp.size(1), 2 * beamSize);
                List<Beam> next = new ArrayList<>();
                for (int rank = 0; rank < best.size() && next.size() < beamSize; rank++) {
                    Candidate c = best.get(rank);
                    int[] tokens = Arrays.copyOf(alive.get(c.beam()).tokens(), t);
                    tokens[t - 1] = c.token();
                    if (c.token() != eos) {
                        next.add(new Beam(tokens, c.logProb()));
                    } else if (rank < beamSize) {
                        add(finished, new Hypothesis(tokens, c.logProb(), score(c.logProb(), t, lengthPenalty)), beamSize);
                    }
                }
                alive = next;
                if (finished.size() >= beamSize && (alive.isEmpty()
                        || score(alive.get(0).logProb(), t, lengthPenalty) <= finished.get(finished.size() - 1).score())) {
                    alive = List.of();
                }
            }
            for (Beam b : alive) {                                                 // cut off at maxLen
                add(finished, new Hypothesis(b.tokens(), b.logProb(), score(b.logProb(), b.tokens().length, lengthPenalty)),
                        beamSize);
            }
        }
        return finished.get(0);
    }

    /**
     * The total log-probability of {@code tokens} (after BOS, EOS included if wanted) as the
     * model's output for one source sequence: Σ log p(tokens[i] | BOS, tokens[0..i−1], src).
     */
    public static double sequenceLogProb(EncoderDecoder model, Tensor src, int bos, int[] tokens) {
        if (tokens.length == 0) {
            return 0.0;
        }
        Tensor src2 = src.dim() == 1 ? src.unsqueeze(0) : src;
        model.eval();
        try (var s = Autograd.noGrad()) {
            long[] in = new long[tokens.length];
            in[0] = bos;
            for (int i = 1; i < tokens.length; i++) {
                in[i] = tokens[i - 1];
            }
            Tensor logits = model.forward(src2, Tensor.fromArray(in, 1, tokens.length), null, null);   // (1, T, V)
            double[] logp = F.logSoftmax(logits, -1).toDoubleArray();
            int v = logits.size(2);
            double sum = 0;
            for (int i = 0; i < tokens.length; i++) {
                sum += logp[i * v + tokens[i]];
            }
            return sum;
        }
    }

    /** [k, t] ids: BOS then each beam's tokens. */
    private static Tensor prefixes(List<Beam> alive, int bos, int t) {
        long[] ids = new long[alive.size() * t];
        for (int i = 0; i < alive.size(); i++) {
            ids[i * t] = bos;
            int[] tokens = alive.get(i).tokens();
            for (int j = 0; j < tokens.length; j++) {
                ids[i * t + 1 + j] = tokens[j];
            }
        }
        return Tensor.fromArray(ids, alive.size(), t);
    }

    /** The n extensions with the highest total log-probability, best first (ties: lower beam, then lower token). */
    private static List<Candidate> topCandidates(List<Beam> alive, double[] logp, int vocab, int n) {
        Comparator<Candidate> better = Comparator.comparingDouble(Candidate::logProb).reversed()
                .thenComparingInt(Candidate::beam).thenComparingInt(Candidate::token);
        PriorityQueue<Candidate> heap = new PriorityQueue<>(better.reversed());    // worst of the kept on top
        for (int i = 0; i < alive.size(); i++) {
            for (int v = 0; v < vocab; v++) {
                Candidate c = new Candidate(i, v, alive.get(i).logProb() + logp[i * vocab + v]);
                if (heap.size() < n) {
                    heap.add(c);
                } else if (better.compare(c, heap.peek()) < 0) {
                    heap.poll();
                    heap.add(c);
                }
            }
        }
        List<Candidate> out = new ArrayList<>(heap);
        out.sort(better);
        return out;
    }

    /** Inserts h into the best-first list, keeping at most max hypotheses. */
    private static void add(List<Hypothesis> finished, Hypothesis h, int max) {
        int at = 0;
        while (at < finished.size() && finished.get(at).score() >= h.score()) {
            at++;
        }
        finished.add(at, h);
        if (finished.size() > max) {
            finished.remove(finished.size() - 1);
        }
    }

    private static double score(double logProb, int length, double lengthPenalty) {
        return logProb / Math.pow(length, lengthPenalty);
    }

    private static void checkLength(EncoderDecoder model, int maxLen) {
        if (maxLen <= 0 || maxLen > model.config.maxLen()) {
            throw new IllegalArgumentException("decoding: maxLen must be in [1, " + model.config.maxLen()
                    + "] (the decoder sees BOS plus maxLen − 1 tokens, within the model's " + model.config.maxLen()
                    + " positions), got " + maxLen);
        }
    }
}
