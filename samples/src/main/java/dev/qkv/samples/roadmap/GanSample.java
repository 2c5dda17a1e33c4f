package dev.qkv.samples.roadmap;

import dev.qkv.autograd.Autograd;
import dev.qkv.nn.Linear;
import dev.qkv.nn.ReLU;
import dev.qkv.nn.Sequential;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A generative adversarial network (Goodfellow et al., 2014) on 2-D points: the data is a ring
 * of 8 Gaussians, and a generator learns to turn Gaussian noise into points of that ring.
 *
 * <p>Two networks play a game. The discriminator D sees real and generated points and is
 * trained to tell them apart (a logistic regression on its output logit). The generator G is
 * trained to make D call its points real. Neither sees a formula for the data: G learns the
 * ring only through D's gradients, which flow back through D into G's weights. The classic
 * failure is mode collapse, where G covers a few of the 8 modes well and ignores the rest; the
 * sample measures both how close generated points are to a mode and how many modes they cover.
 */
public final class GanSample implements Sample {
    /** Modes of the data: 8 points on a circle of this radius, each blurred by {@link #MODE_STD}. */
    static final int MODES = 8;
    static final double RADIUS = 2;
    static final double MODE_STD = 0.05;
    /** Size of the noise vector z that the generator starts from. */
    static final int NOISE = 8;
    /** Width of both networks' two hidden layers. */
    static final int HIDDEN = 64;

    @Override
    public String name() {
        return "gan";
    }

    @Override
    public String summary() {
        return "a GAN learns a ring of 8 Gaussians from noise; scatter plot, losses, mode coverage";
    }

    @Override
    public List<String> options() {
        return List.of("steps");
    }

    /** n points from the ring: pick a mode, add Gaussian noise. [n, 2]. */
    static Tensor realPoints(int n, Generator g) {
        float[] v = new float[2 * n];
        for (int i = 0; i < n; i++) {
            double angle = 2 * Math.PI * g.nextLong(MODES) / MODES;
            v[2 * i] = (float) (RADIUS * Math.cos(angle) + MODE_STD * g.nextGaussian());
            v[2 * i + 1] = (float) (RADIUS * Math.sin(angle) + MODE_STD * g.nextGaussian());
        }
        return Tensor.fromArray(v, n, 2);
    }

    /** G: z [n, NOISE] → point [n, 2]. */
    static Sequential generator(Generator g) {
        return new Sequential(new Linear(NOISE, HIDDEN, g), new ReLU(), new Linear(HIDDEN, HIDDEN, g), new ReLU(),
                new Linear(HIDDEN, 2, g));
    }

    /** D: point [n, 2] → logit [n, 1]; σ(logit) is D's belief that the point is real. */
    static Sequential discriminator(Generator g) {
        return new Sequential(new Linear(2, HIDDEN, g), new ReLU(), new Linear(HIDDEN, HIDDEN, g), new ReLU(),
                new Linear(HIDDEN, 1, g));
    }

    @Override
    public Map<String, Double> run(SampleContext ctx) throws Exception {
        Generator g = new Generator(ctx.seed());
        int steps = ctx.args().integer("steps", ctx.size(3000, 600), 1, 1_000_000);
        int batch = 128;
        Sequential gen = generator(new Generator(ctx.seed() + 1));
        Sequential disc = discriminator(new Generator(ctx.seed() + 2));
        // β1 = 0.5 rather than 0.9 (Radford et al., 2015): less momentum keeps up with a moving
        // opponent. D learns 3x faster than G (the "two time-scale update rule", Heusel et al.,
        // 2017): G can only learn the data through D, so D must stay ahead. With equal rates G
        // spreads its points over the whole disc for thousands of steps.
        Adam optG = new Adam(gen.parameters(), 1e-3, 0.5, 0.999, 1e-8, 0, false);
        Adam optD = new Adam(disc.parameters(), 3e-3, 0.5, 0.999, 1e-8, 0, false);
        Tensor ones = Tensor.ones(batch, 1);                                   // targets: "real"
        Tensor zeros = Tensor.zeros(batch, 1);                                 // targets: "generated"
        Tensor fixedNoise = Tensor.randn(new Generator(ctx.seed() + 3), 1000, NOISE);   // to watch G improve
        Tensor before;
        try (var s = Autograd.noGrad()) {
            before = gen.forward(fixedNoise);
        }

        double[] lossD = new double[steps];
        double[] lossG = new double[steps];
        Progress bar = ctx.progress(steps, "step");
        for (int t = 0; t < steps; t++) {
            // 1. Discriminator: push D(real) towards 1 and D(G(z)) towards 0. The fake points are
            //    detached: this step changes D only.
            Tensor real = realPoints(batch, g);
            Tensor fake = gen.forward(Tensor.randn(g, batch, NOISE)).detach();
            Tensor dLoss = F.binaryCrossEntropyWithLogits(disc.forward(real), ones)
                    .add(F.binaryCrossEntropyWithLogits(disc.forward(fake), zeros));
            optD.zeroGrad();
            dLoss.backward();
            optD.step();

            // 2. Generator: push D(G(z)) towards 1, the "non-saturating" loss −log D(G(z)). Its
            //    gradient flows through D (whose weights are not stepped here) into G.
            Tensor gLoss = F.binaryCrossEntropyWithLogits(disc.forward(gen.forward(Tensor.randn(g, batch, NOISE))), ones);
            optG.zeroGrad();
            gLoss.backward();
            optG.step();

            lossD[t] = dLoss.item();
            lossG[t] = gLoss.item();
            bar.update(t + 1, String.format(Locale.ROOT, "loss D %.3f G %.3f", lossD[t], lossG[t]), t + 1);
        }

        Tensor after;
        try (var s = Autograd.noGrad()) {
            after = gen.forward(fixedNoise);
        }
        double[] quality = quality(after);
        ctx.out().printf(Locale.ROOT, "generated points: mean distance to the nearest mode %.3f (real data: %.3f), "
                + "%d of %d modes covered, %.0f%% of points within 0.25 of a mode%n", quality[0],
                quality(realPoints(1000, new Generator(7)))[0], (int) quality[1], MODES, 100 * quality[2]);

        Tensor real = realPoints(1000, new Generator(ctx.seed() + 4));
        Path scatter = ctx.file("gan-points.svg");
        Plot.lineChart(scatter, "real points and the generator's, before and after training", "x", "y", List.of(
                points("real", real), points("generated, step 0", before), points("generated, step " + steps, after)),
                false);
        ctx.wrote(scatter, "scatter of real and generated points");
        Path losses = ctx.file("gan-losses.svg");
        Plot.lineChart(losses, "GAN losses (moving average of 50 steps)", "step", "binary cross-entropy",
                List.of(Plot.Series.of("discriminator", LenetResnetSample.smooth(lossD, 50)),
                        Plot.Series.of("generator", LenetResnetSample.smooth(lossG, 50))), false);
        ctx.wrote(losses, "discriminator and generator losses");

        Map<String, Double> results = new LinkedHashMap<>();
        results.put("mean_distance_to_mode", quality[0]);
        results.put("modes_covered", quality[1]);
        results.put("fraction_near_a_mode", quality[2]);
        results.put("final_loss_d", mean(lossD, steps / 10));
        results.put("final_loss_g", mean(lossG, steps / 10));
        return results;
    }

    /**
     * How well points [n, 2] match the ring: {mean distance to the nearest mode, the number of
     * modes that at least 2% of the points are near (within 0.25), the fraction near some mode}.
     */
    static double[] quality(Tensor points) {
        float[] p = points.toFloatArray();
        int n = p.length / 2;
        int[] hits = new int[MODES];
        double total = 0;
        int near = 0;
        for (int i = 0; i < n; i++) {
            double best = Double.POSITIVE_INFINITY;
            int mode = 0;
            for (int k = 0; k < MODES; k++) {
                double angle = 2 * Math.PI * k / MODES;
                double d = Math.hypot(p[2 * i] - RADIUS * Math.cos(angle), p[2 * i + 1] - RADIUS * Math.sin(angle));
                if (d < best) {
                    best = d;
                    mode = k;
                }
            }
            total += best;
            if (best < 0.25) {
                near++;
                hits[mode]++;
            }
        }
        int covered = 0;
        for (int h : hits) {
            covered += h >= 0.02 * n ? 1 : 0;
        }
        return new double[] {total / n, covered, (double) near / n};
    }

    private static Plot.Series points(String name, Tensor xy) {
        float[] v = xy.toFloatArray();
        double[] x = new double[v.length / 2];
        double[] y = new double[v.length / 2];
        for (int i = 0; i < x.length; i++) {
            x[i] = v[2 * i];
            y[i] = v[2 * i + 1];
        }
        return Plot.Series.points(name, x, y);
    }

    /** The mean of the last {@code last} values. */
    private static double mean(double[] v, int last) {
        double s = 0;
        for (int i = v.length - last; i < v.length; i++) {
            s += v[i];
        }
        return s / Math.max(last, 1);
    }
}
