package dev.qkv.models;

import dev.qkv.tensor.Generator;

import java.util.Arrays;

/**
 * Picks the next token from a row of logits. The steps, in Hugging Face's order: repetition
 * penalty on tokens already seen, temperature, top-k, top-p (nucleus), then a draw from the
 * softmax with a seeded generator. Temperature 0 means greedy (argmax).
 *
 * @param temperature       divides the logits; 0 for greedy decoding
 * @param topK              keep only the k most likely tokens; 0 keeps all
 * @param topP              keep the smallest set of most likely tokens whose probability sum
 *                          reaches p; 1 keeps all
 * @param repetitionPenalty above 1 makes tokens already in the sequence less likely (the CTRL
 *                          rule: positive logits are divided by it, negative ones multiplied)
 */
public record Sampler(double temperature, int topK, double topP, double repetitionPenalty) {

    public Sampler {
        if (!(temperature >= 0) || topK < 0 || !(topP > 0 && topP <= 1) || !(repetitionPenalty > 0)) {
            throw new IllegalArgumentException("Sampler: need temperature >= 0, topK >= 0, 0 < topP <= 1 and "
                    + "repetitionPenalty > 0; got " + temperature + ", " + topK + ", " + topP + ", " + repetitionPenalty);
        }
    }

    /** Greedy decoding: always the most likely token. */
    public static Sampler greedy() {
        return new Sampler(0, 0, 1, 1);
    }

    /** The next token id given the logits of the last position and the tokens so far. */
    public int sample(float[] logits, int[] previous, Generator g) {
        double[] x = new double[logits.length];
        for (int i = 0; i < x.length; i++) {
            x[i] = logits[i];
        }
        if (repetitionPenalty != 1 && previous != null) {
            boolean[] seen = new boolean[x.length];
            for (int t : previous) {
                if (t >= 0 && t < x.length && !seen[t]) {
                    seen[t] = true;
                    x[t] = x[t] > 0 ? x[t] / repetitionPenalty : x[t] * repetitionPenalty;
                }
            }
        }
        if (temperature == 0) {
            return argmax(x);
        }
        for (int i = 0; i < x.length; i++) {
            x[i] /= temperature;
        }
        if (topK > 0 && topK < x.length) {
            double kth = kthLargest(x, topK);
            for (int i = 0; i < x.length; i++) {
                if (x[i] < kth) {
                    x[i] = Double.NEGATIVE_INFINITY;
                }
            }
        }
        double[] p = softmax(x);
        if (topP < 1) {
            Integer[] order = new Integer[p.length];
            for (int i = 0; i < order.length; i++) {
                order[i] = i;
            }
            Arrays.sort(order, (a, b) -> Double.compare(p[b], p[a]));
            double cum = 0;
            int keep = 0;
            while (keep < order.length && cum < topP) {           // the token that crosses p is kept
                cum += p[order[keep++]];
            }
            for (int r = keep; r < order.length; r++) {
                p[order[r]] = 0;
            }
            double sum = 0;
            for (double v : p) {
                sum += v;
            }
            for (int i = 0; i < p.length; i++) {
                p[i] /= sum;
            }
        }
        double u = g.nextDouble();
        double cum = 0;
        int last = 0;
        for (int i = 0; i < p.length; i++) {
            if (p[i] > 0) {
                cum += p[i];
                last = i;
                if (u < cum) {
                    return i;
                }
            }
        }
        return last;                                             // rounding left u above the total
    }

    private static int argmax(double[] x) {
        int best = 0;
        for (int i = 1; i < x.length; i++) {
            if (x[i] > x[best]) {
                best = i;
            }
        }
        return best;
    }

    private static double kthLargest(double[] x, int k) {
        double[] s = x.clone();
        Arrays.sort(s);
        return s[s.length - k];
    }

    static double[] softmax(double[] x) {
        double max = Double.NEGATIVE_INFINITY;
        for (double v : x) {
            max = Math.max(max, v);
        }
        double[] p = new double[x.length];
        double sum = 0;
        for (int i = 0; i < x.length; i++) {
            p[i] = Math.exp(x[i] - max);
            sum += p[i];
        }
        for (int i = 0; i < x.length; i++) {
            p[i] /= sum;
        }
        return p;
    }
}
