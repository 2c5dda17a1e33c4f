package dev.qkv.samples.roadmap;

import dev.qkv.autograd.Autograd;
import dev.qkv.samples.Sample;
import dev.qkv.samples.SampleContext;
import dev.qkv.samples.plot.Plot;
import dev.qkv.tensor.Tensor;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Gradient descent on f(x) = x² + 5·sin(x), with the gradient from the autograd.
 *
 * <p>f has exactly one minimum, x ≈ −1.111 (f'(x) = 2x + 5·cos x = 0 has one root): every start
 * reaches it when the learning rate is below 2/f''(x*) ≈ 0.31, slowly when the rate is small,
 * and a larger rate overshoots and keeps oscillating. To see the start point pick the minimum,
 * the sample also descends the bumpier g(x) = x² + 10·sin(x), which has a global minimum at
 * x ≈ −1.306 and a local one at x ≈ 3.837.
 */
public final class GradientDescentSample implements Sample {
    @Override
    public String name() {
        return "gradient-descent";
    }

    @Override
    public String summary() {
        return "minimize x^2 + 5 sin x with autograd: start point and learning rate pick the minimum";
    }

    /** x² + a·sin(x), built from tensor ops so backward() gives the derivative 2x + a·cos(x). */
    static Tensor f(Tensor x, double a) {
        return x.square().add(x.sin().mul(a));
    }

    /** Runs plain gradient descent x ← x − lr·f'(x) on x² + a·sin x; returns the x of every step. */
    static double[] descend(double a, double start, double lr, int steps) {
        double[] path = new double[steps + 1];
        Tensor x = Tensor.of((float) start).requiresGrad(true);
        path[0] = start;
        for (int t = 1; t <= steps; t++) {
            x.zeroGrad();
            f(x, a).sum().backward();                   // x.grad() = f'(x)
            try (var s = Autograd.noGrad()) {
                x.sub_(x.grad().mul(lr));
            }
            path[t] = x.item();
        }
        return path;
    }

    @Override
    public Map<String, Double> run(SampleContext ctx) throws Exception {
        int steps = ctx.size(100, 100);
        double[] starts = {-5, -2, 0, 3, 6};
        double[] rates = {0.01, 0.1, 0.45};
        Map<String, Double> results = new LinkedHashMap<>();
        List<Plot.Series> trajectories = new ArrayList<>();
        ctx.out().println("f(x) = x^2 + 5 sin x: one minimum, x* = -1.111; the learning rate decides if we get there");
        ctx.out().println("start   lr     ->  x after " + steps + " steps   f(x)");
        for (double lr : rates) {
            for (double s : starts) {
                double[] path = descend(5, s, lr, steps);
                double x = path[steps];
                double fx = x * x + 5 * Math.sin(x);
                ctx.out().printf("%5.1f  %5.2f  ->  %9.4f        %8.4f%n", s, lr, x, fx);
                if (lr == 0.1) {
                    trajectories.add(Plot.Series.of("start " + s, path));
                }
                results.put(String.format(java.util.Locale.ROOT, "x[start=%.0f,lr=%.2f]", s, lr), x);
            }
        }
        ctx.out().println("g(x) = x^2 + 10 sin x: two minima (-1.306 global, 3.837 local); the start decides");
        for (double s : starts) {
            double x = descend(10, s, 0.05, steps)[steps];
            ctx.out().printf("%5.1f  %5.2f  ->  %9.4f        %8.4f%n", s, 0.05, x, x * x + 10 * Math.sin(x));
            results.put(String.format(java.util.Locale.ROOT, "g:x[start=%.0f]", s), x);
        }
        Path p = ctx.file("gradient-descent-trajectories.svg");
        Plot.lineChart(p, "x during gradient descent on x² + 5 sin x (lr 0.1)", "step", "x", trajectories, false);
        ctx.wrote(p, "x against step for five start points");
        double[] xs = new double[241];
        double[] ys = new double[241];
        for (int i = 0; i < xs.length; i++) {
            xs[i] = -8 + i * 16.0 / 240;
            ys[i] = xs[i] * xs[i] + 5 * Math.sin(xs[i]);
        }
        List<Plot.Series> curve = new ArrayList<>(List.of(Plot.Series.line("f(x)", xs, ys)));
        for (double s : new double[] {-5, 6}) {
            double[] path = descend(5, s, 0.1, steps);
            double[] fy = new double[path.length];
            for (int i = 0; i < path.length; i++) {
                fy[i] = path[i] * path[i] + 5 * Math.sin(path[i]);
            }
            curve.add(Plot.Series.points("steps from " + s, path, fy));
        }
        Path q = ctx.file("gradient-descent-function.svg");
        Plot.lineChart(q, "f(x) = x² + 5 sin x and two descents", "x", "f(x)", curve, false);
        ctx.wrote(q, "the function with the points visited");
        return results;
    }
}
