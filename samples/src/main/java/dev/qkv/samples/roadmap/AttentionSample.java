package dev.qkv.samples.roadmap;

import dev.qkv.nn.functional.Attention;
import dev.qkv.nn.functional.F;
import dev.qkv.nn.functional.Positions;
import dev.qkv.samples.Sample;
import dev.qkv.samples.SampleContext;
import dev.qkv.samples.plot.Plot;
import dev.qkv.tensor.Generator;
import dev.qkv.tensor.Tensor;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Scaled dot-product attention, one step at a time, on T tokens with d features:
 *
 * <pre>
 *   scores  = Q·Kᵀ                 (T, T): how well query i matches key j
 *   scaled  = scores / √d          keeps the scores' spread near 1 whatever d is
 *   masked  = scaled, with −∞ where j &gt; i   (causal: token i may not look ahead)
 *   weights = softmax(masked) by row           each row: a probability distribution over keys
 *   out     = weights·V            (T, d): each output row is a weighted mean of the rows of V
 * </pre>
 *
 * The result is checked against qkv's {@code Attention.scaledDotProductAttention}, both its
 * MANUAL path (the same steps as tensor ops) and its FUSED kernel (which never stores the T×T
 * matrix). Q, K and V here are random numbers, so the weights carry no meaning: the sample
 * shows the mechanics. Then the sinusoidal positional encoding, whose dot products depend only
 * on the distance between two positions.
 */
public final class AttentionSample implements Sample {
    @Override
    public String name() {
        return "attention";
    }

    @Override
    public String summary() {
        return "scaled dot-product attention step by step, checked against qkv; sinusoidal positions";
    }

    @Override
    public List<String> options() {
        return List.of("tokens", "dim");
    }

    /** The steps above, as tensor ops on 2-D q, k, v (T, d); returns {weights, out}. */
    static Tensor[] stepByStep(Tensor q, Tensor k, Tensor v, boolean causal, PrintStream out) {
        int t = q.size(0);
        int d = q.size(1);
        Tensor scores = q.matmul(k.t());                                        // (T, d)·(d, T) -> (T, T)
        Tensor scaled = scores.div(Math.sqrt(d));
        if (!causal) {                                                          // the same both times: print once
            print(out, "scores = Q·K^T", scores);
            print(out, "scaled = scores / sqrt(" + d + ")", scaled);
        }
        if (causal) {
            boolean[] above = new boolean[t * t];                               // true where key j > query i
            for (int i = 0; i < t; i++) {
                for (int j = i + 1; j < t; j++) {
                    above[i * t + j] = true;
                }
            }
            scaled = scaled.maskedFill(Tensor.fromArray(above, t, t), Double.NEGATIVE_INFINITY);
            print(out, "causal mask: -inf above the diagonal (exp(-inf) = 0)", scaled);
        }
        Tensor weights = F.softmax(scaled, -1);                                 // (T, T), rows sum to 1
        print(out, "weights = softmax(rows)" + (causal ? " (causal)" : ""), weights);
        Tensor o = weights.matmul(v);                                           // (T, T)·(T, d) -> (T, d)
        print(out, "out = weights·V", o);
        return new Tensor[] {weights, o};
    }

    /** qkv's attention on the same inputs. It takes (B, H, T, d) or (H, T, d): one head here. */
    static Tensor library(Tensor q, Tensor k, Tensor v, boolean causal, Attention.Impl impl) {
        return Attention.scaledDotProductAttention(q.unsqueeze(0), k.unsqueeze(0), v.unsqueeze(0), null, causal, 0,
                0.0, null, null, impl).squeeze(0);                             // (1, T, d) -> (T, d)
    }

    static double maxAbsDiff(Tensor a, Tensor b) {
        return a.sub(b).abs().max().item();
    }

    @Override
    public Map<String, Double> run(SampleContext ctx) throws Exception {
        int t = ctx.args().integer("tokens", 6, 2, 64);
        int d = ctx.args().integer("dim", 4, 1, 64);
        PrintStream out = ctx.out();
        Generator g = new Generator(ctx.seed());
        Tensor q = Tensor.randn(g, t, d);                                       // (T, d)
        Tensor k = Tensor.randn(g, t, d);
        Tensor v = Tensor.randn(g, t, d);
        print(out, "Q (" + t + " queries, d = " + d + ")", q);
        print(out, "K", k);
        print(out, "V", v);
        Map<String, Double> results = new LinkedHashMap<>();

        for (boolean causal : new boolean[] {false, true}) {
            String tag = causal ? "causal" : "full";
            out.println("\n---- " + (causal ? "causal attention (a decoder: each token sees itself and the past)"
                    : "full attention (an encoder: every token sees every token)"));
            if (causal) {
                out.println("(scores and scaled scores as above)");
            }
            Tensor[] wo = stepByStep(q, k, v, causal, out);
            Tensor weights = wo[0];
            double manual = maxAbsDiff(wo[1], library(q, k, v, causal, Attention.Impl.MANUAL));
            double fused = maxAbsDiff(wo[1], library(q, k, v, causal, Attention.Impl.FUSED));
            double rowSumErr = weights.sum(1).sub(1).abs().max().item();
            out.printf(Locale.ROOT, "max |out - qkv MANUAL| = %.1e   max |out - qkv FUSED| = %.1e   "
                    + "max |row sum - 1| = %.1e%n", manual, fused, rowSumErr);
            results.put(tag + "_vs_manual", manual);
            results.put(tag + "_vs_fused", fused);
            results.put(tag + "_rowsum_err", rowSumErr);
            if (causal) {
                double upper = 0;
                double[] w = weights.toDoubleArray();
                for (int i = 0; i < t; i++) {
                    for (int j = i + 1; j < t; j++) {
                        upper = Math.max(upper, Math.abs(w[i * t + j]));
                    }
                }
                out.printf(Locale.ROOT, "largest weight above the diagonal: %s%n", upper);
                results.put("causal_upper_max", upper);
            }
            Path p = ctx.file("attention-weights-" + tag + ".png");
            Plot.heatmap(p, rows(weights), 48);
            ctx.wrote(p, tag + " attention weights, row = query, column = key, bright = large");
        }

        // Why divide by √d: for random q, k with unit-variance entries, q·k is a sum of d terms
        // of variance 1, so its standard deviation is √d. Unscaled, softmax of such scores is
        // nearly one-hot for large d (and its gradient nearly 0).
        Tensor qd = Tensor.randn(g, 256, 64);
        Tensor kd = Tensor.randn(g, 256, 64);
        Tensor s = qd.matmul(kd.t());                                           // (256, 256)
        double stdRaw = Math.sqrt(s.var().item());
        double stdScaled = Math.sqrt(s.div(8).var().item());
        double maxRaw = F.softmax(s, -1).max(-1).mean().item();
        double maxScaled = F.softmax(s.div(8), -1).max(-1).mean().item();
        out.printf(Locale.ROOT, "%nwhy 1/sqrt(d): with d = 64 random q, k the scores have std %.2f (about sqrt(64) = 8); "
                + "scaled, %.2f.%n  The largest softmax weight in a row of 256 averages %.3f unscaled and %.3f scaled.%n",
                stdRaw, stdScaled, maxRaw, maxScaled);
        results.put("score_std_unscaled_d64", stdRaw);
        results.put("score_std_scaled_d64", stdScaled);

        // Sinusoidal positions: PE[pos, 2i] = sin(pos·ω_i), PE[pos, 2i+1] = cos(pos·ω_i) with
        // ω_i = 10000^(−2i/C): each pair of features is a clock with its own speed.
        int tp = 128;
        int c = 64;
        Tensor pe = Positions.sinusoidal(tp, c, 10000);                         // (T, C)
        double formulaErr = 0;
        for (int pos : new int[] {0, 1, 17, 63}) {
            for (int i = 0; i < c / 2; i++) {
                double w = Math.pow(10000, -2.0 * i / c);
                formulaErr = Math.max(formulaErr, Math.abs(pe.get(pos, 2 * i) - Math.sin(pos * w)));
                formulaErr = Math.max(formulaErr, Math.abs(pe.get(pos, 2 * i + 1) - Math.cos(pos * w)));
            }
        }
        // PE[a]·PE[b] = Σ_i sin(aω)sin(bω) + cos(aω)cos(bω) = Σ_i cos((a − b)·ω_i): a function of a − b
        // only, so the similarity matrix is constant along every diagonal.
        Tensor sim = pe.matmul(pe.t());                                         // (T, T)
        double[] sm = sim.toDoubleArray();
        double shiftErr = 0;
        for (int a = 1; a < tp; a++) {
            for (int b = 1; b < tp; b++) {
                shiftErr = Math.max(shiftErr, Math.abs(sm[a * tp + b] - sm[(a - 1) * tp + b - 1]));
            }
        }
        out.printf(Locale.ROOT, "%nsinusoidal positional encoding (T = %d, C = %d): max |Positions.sinusoidal - formula| "
                + "= %.1e%n  PE[a]·PE[b] depends only on a - b: largest change along a diagonal %.1e (of values up to %.0f)%n",
                tp, c, formulaErr, shiftErr, sim.max().item());
        results.put("pe_formula_err", formulaErr);
        results.put("pe_shift_err", shiftErr);
        // For the picture, the sin features first and then the cos features (the table interleaves
        // them), so each half runs from the fastest clock on the left to the slowest on the right.
        double[][] peRows = rows(pe);
        double[][] split = new double[tp][c];
        for (int pos = 0; pos < tp; pos++) {
            for (int i = 0; i < c / 2; i++) {
                split[pos][i] = peRows[pos][2 * i];
                split[pos][c / 2 + i] = peRows[pos][2 * i + 1];
            }
        }
        Path pp = ctx.file("attention-positional-encoding.png");
        Plot.heatmap(pp, split, 4);
        ctx.wrote(pp, "PE, row = position, columns = 32 sin features then 32 cos features, fast clocks to slow");
        Path ps = ctx.file("attention-position-similarity.png");
        Plot.heatmap(ps, rows(sim), 4);
        ctx.wrote(ps, "PE·PE^T: bright on the diagonal, the same along every diagonal");
        return results;
    }

    /** A 2-D tensor as rows of doubles, for the heatmap. */
    static double[][] rows(Tensor m) {
        double[] flat = m.toDoubleArray();
        int r = m.size(0);
        int c = m.size(1);
        double[][] out = new double[r][c];
        for (int i = 0; i < r; i++) {
            System.arraycopy(flat, i * c, out[i], 0, c);
        }
        return out;
    }

    /** Prints a small 2-D tensor with three decimals; −∞ as -inf. */
    static void print(PrintStream out, String title, Tensor m) {
        out.println(title + ":");
        for (double[] row : rows(m)) {
            StringBuilder sb = new StringBuilder("  ");
            for (double x : row) {
                sb.append(x == Double.NEGATIVE_INFINITY ? "    -inf" : String.format(Locale.ROOT, "%8.3f", x));
            }
            out.println(sb);
        }
    }
}
