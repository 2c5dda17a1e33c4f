package dev.qkv.samples.roadmap;

import dev.qkv.io.AtomicFiles;
import dev.qkv.optim.Adam;
import dev.qkv.optim.Optimizer;
import dev.qkv.optim.RMSprop;
import dev.qkv.optim.SGD;
import dev.qkv.samples.Sample;
import dev.qkv.samples.SampleContext;
import dev.qkv.samples.plot.Plot;
import dev.qkv.tensor.Tensor;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.UnaryOperator;

/**
 * SGD, SGD with momentum, RMSprop and Adam (qkv's {@code dev.qkv.optim} classes) minimizing two
 * functions of a 2-element parameter p = (x, y), from the same start:
 *
 * <ul>
 *   <li>an ill-conditioned quadratic f = ½(x² + 50·y²): the curvature is 50 times larger along y
 *       than along x, so a learning rate small enough not to blow up along y (lr &lt; 2/50) crawls
 *       along x;
 *   <li>Rosenbrock's function f = (1 − x)² + 100·(y − x²)², minimum 0 at (1, 1) at the end of a
 *       long, curved, flat-bottomed valley.
 * </ul>
 *
 * Each optimizer gets its own learning rate per problem, picked by hand (a rate that works for
 * one optimizer can diverge or stall for another: they scale the gradient differently). The
 * paths are drawn over the function's level sets, and the loss curves side by side.
 */
public final class OptimizersSample implements Sample {
    @Override
    public String name() {
        return "optimizers";
    }

    @Override
    public String summary() {
        return "SGD, momentum, RMSprop, Adam on an ill-conditioned quadratic and Rosenbrock: paths and losses";
    }

    // Both functions take p of shape (2) and return a scalar; given p of shape (2, N) (N points)
    // they return the N values, which is how the background of the picture is computed.

    /** ½(x² + 50·y²), written with tensor ops so backward() gives ∇f = (x, 50·y). */
    static Tensor quadratic(Tensor p) {
        Tensor x = p.select(0, 0);
        Tensor y = p.select(0, 1);
        return x.square().mul(0.5).add(y.square().mul(25));
    }

    /** (1 − x)² + 100·(y − x²)². */
    static Tensor rosenbrock(Tensor p) {
        Tensor x = p.select(0, 0);
        Tensor y = p.select(0, 1);
        return x.neg().add(1).square().add(y.sub(x.square()).square().mul(100));
    }

    /**
     * A test function, where to start, where its minimum is, the plotted box {xmin, xmax, ymin,
     * ymax}, the number of steps, and a learning rate for each optimizer (in {@link #METHODS} order).
     */
    record Problem(String name, UnaryOperator<Tensor> f, float[] start, double[] min, double[] box, int steps,
                   double[] lrs) {
    }

    /** An optimizer by name, made from a parameter list and a learning rate. */
    record Method(String name, BiFunction<List<Tensor>, Double, Optimizer> make) {
    }

    static final List<Method> METHODS = List.of(
            new Method("SGD", (ps, lr) -> new SGD(ps, lr)),
            new Method("momentum 0.9", (ps, lr) -> new SGD(ps, lr, 0.9, 0, 0, false)),
            new Method("RMSprop", (ps, lr) -> new RMSprop(ps, lr)),          // alpha 0.99
            new Method("Adam", (ps, lr) -> new Adam(ps, lr)));               // betas 0.9, 0.999

    /** One run: the point after every step (steps + 1 rows of x, y) and the loss before every step. */
    record Run(double[][] path, double[] loss) {
    }

    static Run minimize(Problem prob, Method method, double lr, int steps) {
        Tensor p = Tensor.of(prob.start().clone()).requiresGrad(true);           // (2): the parameter (x, y)
        Optimizer opt = method.make().apply(List.of(p), lr);
        double[][] path = new double[steps + 1][];
        double[] loss = new double[steps + 1];
        for (int t = 0; ; t++) {
            Tensor f = prob.f().apply(p);
            path[t] = p.toDoubleArray();
            loss[t] = f.item();
            if (t == steps) {
                return new Run(path, loss);
            }
            opt.zeroGrad();
            f.backward();                                                        // p.grad() = ∇f(p)
            opt.step();                                                          // p ← p − (the optimizer's step)
        }
    }

    @Override
    public Map<String, Double> run(SampleContext ctx) throws Exception {
        List<Problem> problems = List.of(
                new Problem("quadratic", OptimizersSample::quadratic, new float[] {-4f, 1.5f}, new double[] {0, 0},
                        new double[] {-4.5, 1.5, -2, 2}, 200, new double[] {0.035, 0.01, 0.05, 0.1}),
                new Problem("rosenbrock", OptimizersSample::rosenbrock, new float[] {-1.5f, 2f}, new double[] {1, 1},
                        new double[] {-2, 2, -1, 3}, ctx.size(2000, 600), new double[] {0.001, 0.001, 0.005, 0.05}));
        Map<String, Double> results = new LinkedHashMap<>();
        for (Problem prob : problems) {
            ctx.out().printf(Locale.ROOT, "%n%s from (%.1f, %.1f), minimum at (%.0f, %.0f), %d steps:%n", prob.name(),
                    prob.start()[0], prob.start()[1], prob.min()[0], prob.min()[1], prob.steps());
            List<Run> runs = new ArrayList<>();
            var bar = ctx.progress(METHODS.size(), "runs");
            for (int m = 0; m < METHODS.size(); m++) {
                runs.add(minimize(prob, METHODS.get(m), prob.lrs()[m], prob.steps()));
                bar.update(m + 1, METHODS.get(m).name(), m + 1);
            }
            ctx.out().printf("  %-13s %7s  %-24s %12s  %s%n", "optimizer", "lr", "final (x, y)", "final f",
                    "steps to f < 1e-3");
            List<Plot.Series> curves = new ArrayList<>();
            for (int m = 0; m < METHODS.size(); m++) {
                Run r = runs.get(m);
                double[] end = r.path()[prob.steps()];
                double f = r.loss()[prob.steps()];
                int reached = -1;
                for (int t = 0; t < r.loss().length && reached < 0; t++) {
                    reached = r.loss()[t] < 1e-3 ? t : -1;
                }
                ctx.out().printf(Locale.ROOT, "  %-13s %7.3f  (%9.5f, %9.5f)  %12.3e  %s%n", METHODS.get(m).name(),
                        prob.lrs()[m], end[0], end[1], f, reached < 0 ? "never" : String.valueOf(reached));
                String key = prob.name() + "_" + METHODS.get(m).name().split(" ")[0];
                results.put(key + "_f", f);
                results.put(key + "_dist", Math.hypot(end[0] - prob.min()[0], end[1] - prob.min()[1]));
                curves.add(Plot.Series.of(METHODS.get(m).name() + " lr " + prob.lrs()[m], r.loss()));
            }
            Path paths = ctx.file("optimizers-" + prob.name() + "-paths.svg");
            pathsSvg(paths, prob, runs);
            ctx.wrote(paths, "paths over the level sets of f");
            Path loss = ctx.file("optimizers-" + prob.name() + "-loss.svg");
            Plot.lineChart(loss, prob.name() + ": f at each step", "step", "f", curves, true);
            ctx.wrote(loss, "loss curves");
        }
        return results;
    }

    // ===================================================================== the paths picture

    private static final String[] COLORS = {"#d62728", "#ff7f0e", "#2ca02c", "#1f77b4"};

    /**
     * An SVG of the box: the background is f on a pixel grid, shaded by log f in bands (so the band
     * edges trace level sets), embedded as a PNG; each optimizer's path is a polyline on top.
     */
    static void pathsSvg(Path file, Problem prob, List<Run> runs) throws java.io.IOException {
        int w = 540;
        int h = (int) Math.round(w * (prob.box()[3] - prob.box()[2]) / (prob.box()[1] - prob.box()[0]));
        double[] b = prob.box();
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        float[] grid = new float[2 * h * w];                                   // (2, h·w): pixel centers
        for (int i = 0; i < h; i++) {
            for (int j = 0; j < w; j++) {
                grid[i * w + j] = (float) (b[0] + (j + 0.5) / w * (b[1] - b[0]));
                grid[h * w + i * w + j] = (float) (b[3] - (i + 0.5) / h * (b[3] - b[2]));
            }
        }
        double[] logf = prob.f().apply(Tensor.fromArray(grid, 2, h * w)).add(1e-3).log().div(Math.log(10))
                .toDoubleArray();                                             // (h·w): log10(f + 0.001)
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        for (double v : logf) {
            lo = Math.min(lo, v);
            hi = Math.max(hi, v);
        }
        for (int i = 0; i < h; i++) {
            for (int j = 0; j < w; j++) {
                double t = (logf[i * w + j] - lo) / (hi - lo);                 // 0 at the lowest f, 1 at the highest
                int band = (int) (t * 16);
                double shade = 0.55 + 0.4 * t + (band % 2 == 0 ? 0.04 : -0.04);
                int g = (int) Math.round(255 * Math.max(0, Math.min(1, shade)));
                img.setRGB(j, i, (g * 9 / 10 << 16) | (g * 19 / 20 << 8) | g);  // a bluish gray
            }
        }
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        ImageIO.write(img, "png", png);
        StringBuilder sb = new StringBuilder();
        int legend = 190;
        sb.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                + "font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
                w + legend, h + 40));
        sb.append(String.format(Locale.ROOT, "<text x=\"4\" y=\"18\" font-size=\"15\">%s: paths from (%.1f, %.1f); box "
                + "x in [%.1f, %.1f], y in [%.1f, %.1f]</text>\n", prob.name(), prob.start()[0], prob.start()[1],
                b[0], b[1], b[2], b[3]));
        sb.append(String.format(Locale.ROOT, "<image x=\"0\" y=\"30\" width=\"%d\" height=\"%d\" href=\"data:image/png;"
                + "base64,%s\"/>\n", w, h, Base64.getEncoder().encodeToString(png.toByteArray())));
        java.util.function.DoubleUnaryOperator px = x -> (x - b[0]) / (b[1] - b[0]) * w;
        java.util.function.DoubleUnaryOperator py = y -> 30 + (b[3] - y) / (b[3] - b[2]) * h;
        for (int m = 0; m < runs.size(); m++) {
            StringBuilder pts = new StringBuilder();
            for (double[] p : runs.get(m).path()) {
                double x = Math.max(b[0] - 1, Math.min(b[1] + 1, p[0]));       // keep a diverging path drawable
                double y = Math.max(b[2] - 1, Math.min(b[3] + 1, p[1]));
                pts.append(String.format(Locale.ROOT, "%.1f,%.1f ", px.applyAsDouble(x), py.applyAsDouble(y)));
            }
            sb.append(String.format(Locale.ROOT, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.6\" "
                    + "points=\"%s\"/>\n", COLORS[m], pts.toString().trim()));
            sb.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"14\" height=\"4\" fill=\"%s\"/>"
                    + "<text x=\"%d\" y=\"%d\">%s (lr %s)</text>\n", w + 10, 50 + 18 * m, COLORS[m], w + 30, 55 + 18 * m,
                    METHODS.get(m).name(), prob.lrs()[m]));
        }
        sb.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"5\" fill=\"none\" stroke=\"black\"/>\n",
                px.applyAsDouble(prob.start()[0]), py.applyAsDouble(prob.start()[1])));
        sb.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"18\" text-anchor=\"middle\">"
                + "&#x2605;</text>\n", px.applyAsDouble(prob.min()[0]), py.applyAsDouble(prob.min()[1]) + 6));
        sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\">○ start   ★ minimum</text>\n", w + 10,
                60 + 18 * runs.size()));
        sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\">shading: log10 f</text>\n", w + 10,
                78 + 18 * runs.size()));
        sb.append("</svg>\n");
        byte[] bytes = sb.toString().getBytes(StandardCharsets.UTF_8);
        AtomicFiles.write(file, o -> o.write(bytes));
    }
}
