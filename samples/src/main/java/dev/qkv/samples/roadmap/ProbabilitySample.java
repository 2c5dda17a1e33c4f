package dev.qkv.samples.roadmap;

import dev.qkv.autograd.Autograd;
import dev.qkv.nn.functional.F;
import dev.qkv.samples.Sample;
import dev.qkv.samples.SampleContext;
import dev.qkv.samples.plot.Plot;
import dev.qkv.tensor.DType;
import dev.qkv.tensor.Generator;
import dev.qkv.tensor.Tensor;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Three distributions with a seeded {@link Generator}: Bernoulli(p), categorical(π) and
 * normal(μ, σ²). For each: draw samples with tensor ops, compare the empirical histogram with
 * the exact pmf/pdf, and compute the maximum-likelihood estimates, which have closed forms here:
 *
 * <pre>
 *   Bernoulli:    p̂  = mean of the 0/1 samples
 *   categorical:  π̂_k = fraction of samples equal to k   (the mean of the one-hot vectors)
 *   normal:       μ̂  = mean,   σ̂² = mean of (x − μ̂)²    (divides by n, not n − 1)
 * </pre>
 *
 * The estimates approach the true values as n grows, their error shrinking like 1/√n. Last, the
 * normal's μ and log σ are fitted by gradient ascent on the log-likelihood with the autograd,
 * which lands on the closed form: the closed form is where that gradient is zero.
 */
public final class ProbabilitySample implements Sample {
    static final double P = 0.3;                                 // Bernoulli: P(x = 1)
    static final double[] PI = {0.1, 0.2, 0.4, 0.3};             // categorical over 4 classes
    static final double MU = 2.0;
    static final double SIGMA = 1.5;

    @Override
    public String name() {
        return "probability";
    }

    @Override
    public String summary() {
        return "Bernoulli, categorical, normal: sampling, pmf/pdf, MLEs converging, MLE by gradient ascent";
    }

    // ===================================================================== sampling

    /** x_i = 1 when u_i &lt; p for u_i uniform in [0, 1): that happens with probability p. */
    static Tensor bernoulli(Generator g, int n, double p) {
        return Tensor.rand(g, n).lt(p).to(DType.FLOAT32);                          // (n) of 0/1
    }

    /**
     * Inverse-CDF sampling: with cdf_k = π_0 + ... + π_k, the class of u is the number of cdf_k
     * that u has passed, which is k with probability cdf_k − cdf_(k−1) = π_k.
     */
    static Tensor categorical(Generator g, int n, double[] pi) {
        float[] cdf = new float[pi.length - 1];                 // the last cdf is 1: never passed
        double c = 0;
        for (int k = 0; k < cdf.length; k++) {
            c += pi[k];
            cdf[k] = (float) c;
        }
        Tensor u = Tensor.rand(g, n, 1);                                            // (n, 1)
        return u.ge(Tensor.fromArray(cdf, cdf.length)).sum(1);                     // (n, K−1) -> (n) class ids
    }

    /** x = μ + σ·z with z standard normal. */
    static Tensor normal(Generator g, int n, double mu, double sigma) {
        return Tensor.randn(g, n).mul(sigma).add(mu);
    }

    static double normalPdf(double x, double mu, double sigma) {
        double z = (x - mu) / sigma;
        return Math.exp(-0.5 * z * z) / (sigma * Math.sqrt(2 * Math.PI));
    }

    // ===================================================================== maximum likelihood

    /** The MLE of a categorical: class frequencies, i.e. the mean of the one-hot rows. */
    static double[] frequencies(Tensor ids, int classes) {
        return F.oneHot(ids, classes).to(DType.FLOAT32).mean(0).toDoubleArray();  // (n, K) -> (K)
    }

    /** Mean log-likelihood of x under N(μ, σ²) with σ = exp(logSigma); built from tensor ops. */
    static Tensor normalLogLikelihood(Tensor x, Tensor mu, Tensor logSigma) {
        Tensor z = x.sub(mu).div(logSigma.exp());                                  // (x − μ)/σ
        // log N(x; μ, σ²) = −log σ − ½ log 2π − ½ z²
        return z.square().mul(-0.5).sub(logSigma).sub(0.5 * Math.log(2 * Math.PI)).mean();
    }

    /**
     * Gradient ascent θ ← θ + lr·∇ mean log-likelihood, for θ = (μ, log σ) from (0, 0). We fit
     * log σ rather than σ so any real value is a valid parameter (σ = e^(log σ) &gt; 0).
     */
    static double[][] fitNormal(Tensor x, double lr, int steps) {
        Tensor mu = Tensor.scalar(0).requiresGrad(true);
        Tensor logSigma = Tensor.scalar(0).requiresGrad(true);
        double[][] trace = new double[3][steps + 1];                               // μ, log σ, ll per step
        for (int t = 0; ; t++) {
            mu.zeroGrad();
            logSigma.zeroGrad();
            Tensor ll = normalLogLikelihood(x, mu, logSigma);
            trace[0][t] = mu.item();
            trace[1][t] = logSigma.item();
            trace[2][t] = ll.item();
            if (t == steps) {
                return trace;
            }
            ll.backward();                                     // dll/dμ = mean(x − μ)/σ², dll/dlog σ = −1 + mean z²
            try (var s = Autograd.noGrad()) {
                mu.add_(mu.grad().mul(lr));                    // + : ascent, we maximize
                logSigma.add_(logSigma.grad().mul(lr));
            }
        }
    }

    @Override
    public Map<String, Double> run(SampleContext ctx) throws Exception {
        Generator g = new Generator(ctx.seed());
        Map<String, Double> results = new LinkedHashMap<>();
        int maxPow = ctx.size(6, 4);
        int k = PI.length;

        // 1. MLEs as n grows: fresh samples of size n = 10, 100, ..., each estimate against the truth
        ctx.out().printf(Locale.ROOT, "true values: p = %.2f   pi = %s   mu = %.2f   sigma^2 = %.4f%n", P,
                java.util.Arrays.toString(PI), MU, SIGMA * SIGMA);
        ctx.out().printf("%9s | %8s | %-29s | %9s | %9s%n", "n", "p_hat", "pi_hat", "mu_hat", "s2_hat");
        double[] logN = new double[maxPow];
        double[][] err = new double[5][maxPow];                 // |p̂−p|, max|π̂−π|, |μ̂−μ|, |σ̂²−σ²|, 1/√n
        for (int e = 1; e <= maxPow; e++) {
            int n = (int) Math.pow(10, e);
            double pHat = bernoulli(g, n, P).mean().item();
            double[] piHat = frequencies(categorical(g, n, PI), k);
            Tensor x = normal(g, n, MU, SIGMA);
            double muHat = x.mean().item();
            double s2Hat = x.var(new int[] {0}, false, 0).item();  // correction 0: divide by n (the MLE)
            double piErr = 0;
            for (int c = 0; c < k; c++) {
                piErr = Math.max(piErr, Math.abs(piHat[c] - PI[c]));
            }
            ctx.out().printf(Locale.ROOT, "%9d | %8.4f | [%6.4f %6.4f %6.4f %6.4f] | %9.4f | %9.4f%n", n, pHat,
                    piHat[0], piHat[1], piHat[2], piHat[3], muHat, s2Hat);
            logN[e - 1] = e;
            err[0][e - 1] = Math.abs(pHat - P);
            err[1][e - 1] = piErr;
            err[2][e - 1] = Math.abs(muHat - MU);
            err[3][e - 1] = Math.abs(s2Hat - SIGMA * SIGMA);
            err[4][e - 1] = 1 / Math.sqrt(n);
            if (e == maxPow) {
                results.put("n", (double) n);
                results.put("p_hat", pHat);
                results.put("pi_maxerr", piErr);
                results.put("mu_hat", muHat);
                results.put("var_hat", s2Hat);
            }
        }
        ctx.out().println("sigma^2_hat divides by n: it is biased low by the factor (n-1)/n, visible only at small n.");
        Path conv = ctx.file("probability-mle-error.svg");
        Plot.lineChart(conv, "error of the maximum-likelihood estimates", "log10 n", "|estimate − true|",
                List.of(Plot.Series.line("|p̂ − p|", logN, err[0]), Plot.Series.line("max |π̂ − π|", logN, err[1]),
                        Plot.Series.line("|μ̂ − μ|", logN, err[2]), Plot.Series.line("|σ̂² − σ²|", logN, err[3]),
                        Plot.Series.line("1/√n", logN, err[4])), true);
        ctx.wrote(conv, "estimate errors against n, beside 1/sqrt(n)");

        // 2. Histograms: empirical frequencies at two sample sizes against the exact pmf / pdf
        int small = 100;
        int large = 10_000;
        double[] bx = {0, 1};
        Path bern = ctx.file("probability-bernoulli.svg");
        Plot.lineChart(bern, "Bernoulli(" + P + "): empirical vs exact pmf", "x", "P(x)", List.of(
                Plot.Series.line("exact", bx, new double[] {1 - P, P}),
                Plot.Series.points("n = " + small, bx, frequencies(bernoulli(g, small, P).to(DType.INT64), 2)),
                Plot.Series.points("n = " + large, bx, frequencies(bernoulli(g, large, P).to(DType.INT64), 2))), false);
        ctx.wrote(bern, "Bernoulli pmf");
        double[] cx = {0, 1, 2, 3};
        Path cat = ctx.file("probability-categorical.svg");
        Plot.lineChart(cat, "categorical(0.1, 0.2, 0.4, 0.3): empirical vs exact pmf", "class", "P(class)", List.of(
                Plot.Series.line("exact", cx, PI),
                Plot.Series.points("n = " + small, cx, frequencies(categorical(g, small, PI), k)),
                Plot.Series.points("n = " + large, cx, frequencies(categorical(g, large, PI), k))), false);
        ctx.wrote(cat, "categorical pmf");
        List<Plot.Series> normalPlot = new ArrayList<>();
        normalPlot.add(density("exact pdf", MU, SIGMA));
        normalPlot.add(histogram("n = " + small, normal(g, small, MU, SIGMA).toDoubleArray()));
        normalPlot.add(histogram("n = " + large, normal(g, large, MU, SIGMA).toDoubleArray()));
        Path nrm = ctx.file("probability-normal.svg");
        Plot.lineChart(nrm, "normal(2, 1.5²): histogram density vs exact pdf", "x", "density", normalPlot, false);
        ctx.wrote(nrm, "normal histogram and pdf");

        // 3. The normal's MLE by gradient ascent on the mean log-likelihood, against the closed form
        int n = ctx.size(10_000, 2_000);
        Tensor x = normal(g, n, MU, SIGMA);
        double[] xs = x.toDoubleArray();
        double muClosed = 0;
        for (double v : xs) {
            muClosed += v / n;
        }
        double s2Closed = 0;
        for (double v : xs) {
            s2Closed += (v - muClosed) * (v - muClosed) / n;
        }
        double logSigmaClosed = 0.5 * Math.log(s2Closed);
        int steps = 300;
        double[][] trace = fitNormal(x, 0.1, steps);
        double muFit = trace[0][steps];
        double logSigmaFit = trace[1][steps];
        ctx.out().printf(Locale.ROOT, "%ngradient ascent on the log-likelihood of %d normal samples (lr 0.1, %d steps "
                + "from mu = 0, log sigma = 0):%n", n, steps);
        ctx.out().printf(Locale.ROOT, "  mu        : ascent %.6f   closed form %.6f   |diff| %.1e%n", muFit, muClosed,
                Math.abs(muFit - muClosed));
        ctx.out().printf(Locale.ROOT, "  log sigma : ascent %.6f   closed form %.6f   |diff| %.1e   (sigma %.4f, true %.2f)%n",
                logSigmaFit, logSigmaClosed, Math.abs(logSigmaFit - logSigmaClosed), Math.exp(logSigmaFit), SIGMA);
        ctx.out().printf(Locale.ROOT, "  mean log-likelihood %.6f (at the closed form: %.6f)%n", trace[2][steps],
                -logSigmaClosed - 0.5 * Math.log(2 * Math.PI) - 0.5);
        results.put("ga_mu_diff", Math.abs(muFit - muClosed));
        results.put("ga_logsigma_diff", Math.abs(logSigmaFit - logSigmaClosed));
        Path fit = ctx.file("probability-gradient-ascent.svg");
        Plot.lineChart(fit, "fitting N(μ, σ²) by gradient ascent", "step", "value", List.of(
                Plot.Series.of("μ", trace[0]), Plot.Series.of("log σ", trace[1]),
                Plot.Series.of("mean log-likelihood", trace[2]),
                Plot.Series.line("closed-form μ̂", new double[] {0, steps}, new double[] {muClosed, muClosed}),
                Plot.Series.line("closed-form log σ̂", new double[] {0, steps},
                        new double[] {logSigmaClosed, logSigmaClosed})), false);
        ctx.wrote(fit, "mu, log sigma and the log-likelihood during the ascent");
        return results;
    }

    /** The exact normal pdf on a fine grid over μ ± 4σ. */
    private static Plot.Series density(String name, double mu, double sigma) {
        double[] x = new double[201];
        double[] y = new double[201];
        for (int i = 0; i < x.length; i++) {
            x[i] = mu - 4 * sigma + i * 8 * sigma / 200;
            y[i] = normalPdf(x[i], mu, sigma);
        }
        return Plot.Series.line(name, x, y);
    }

    /** A histogram over μ ± 4σ in bins of σ/4, scaled to a density (count / (n·width)), drawn as steps. */
    private static Plot.Series histogram(String name, double[] samples) {
        int bins = 32;
        double lo = MU - 4 * SIGMA;
        double width = 8 * SIGMA / bins;
        double[] count = new double[bins];
        for (double v : samples) {
            int b = (int) Math.floor((v - lo) / width);
            if (b >= 0 && b < bins) {
                count[b]++;
            }
        }
        double[] x = new double[2 * bins];
        double[] y = new double[2 * bins];
        for (int b = 0; b < bins; b++) {
            double d = count[b] / (samples.length * width);
            x[2 * b] = lo + b * width;
            x[2 * b + 1] = lo + (b + 1) * width;
            y[2 * b] = d;
            y[2 * b + 1] = d;
        }
        return Plot.Series.line(name, x, y);
    }
}
