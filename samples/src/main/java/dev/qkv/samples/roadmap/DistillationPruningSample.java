package dev.qkv.samples.roadmap;

import dev.qkv.autograd.Autograd;
import dev.qkv.nn.Linear;
import dev.qkv.nn.Module;
import dev.qkv.nn.Parameter;
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
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Two ways to make a trained network cheaper, on a task small enough to see everything: points in
 * the plane on five interleaved spiral arms, the class being the arm.
 *
 * <p><b>Distillation</b> (Hinton et al., 2015). A big teacher is trained on plenty of data. A
 * small student then gets only a few hundred labelled points. Trained on the hard labels alone it
 * learns what those points say; trained to match the teacher's softened probabilities
 * softmax(z/T) as well, it also learns how likely every other class is at each point — where the
 * arms come close the teacher says "60% arm 2, 35% arm 3", which is far more information than
 * "arm 2". The loss is
 *
 * <pre>
 *   α · T² · KL(softmax(t/T) ‖ softmax(s/T))  +  (1 − α) · CE(s, label)
 * </pre>
 *
 * where T² keeps the soft term's gradients the same size as T changes (they shrink as 1/T²).
 *
 * <p><b>Magnitude pruning.</b> Set the weights of smallest |w| to zero, at sparsity 0 … 95%,
 * either by one threshold over all layers (global) or the same fraction in every layer, and
 * measure the teacher's accuracy — as it is, and after a short retraining of the weights that
 * are left (the pruned ones held at zero). Over-parameterized networks lose little until most
 * weights are gone, and retraining recovers much of the rest. Zeros only save time with sparse
 * kernels (qkv has none) or when whole rows are removed; here the point is how much of the
 * network is not needed.
 */
public final class DistillationPruningSample implements Sample {
    private static final int CLASSES = 5;

    @Override
    public String name() {
        return "distillation-pruning";
    }

    @Override
    public String summary() {
        return "a small student learns from a teacher's soft targets; magnitude pruning: sparsity vs accuracy";
    }

    @Override
    public List<String> options() {
        return List.of("temperature", "alpha");
    }

    /** Points x [N, 2] and arm labels y [N]. */
    record Data(Tensor x, Tensor y) {
        int n() {
            return x.size(0);
        }
    }

    /**
     * N points on CLASSES spiral arms: radius r uniform in [0.05, 1], angle = arm·2π/CLASSES + 2π·r
     * (one full turn), plus Gaussian jitter of 0.04 in each coordinate. Neighbouring arms are 0.2
     * apart along a radius, so the jitter makes them overlap a little near the centre: even the
     * best classifier is not 100% right there, and its probabilities carry information.
     */
    static Data spirals(int n, Generator g) {
        float[] x = new float[2 * n];
        long[] y = new long[n];
        for (int i = 0; i < n; i++) {
            int arm = (int) g.nextLong(CLASSES);
            double r = 0.05 + 0.95 * g.nextDouble();
            double angle = arm * 2 * Math.PI / CLASSES + 2 * Math.PI * r;
            x[2 * i] = (float) (r * Math.cos(angle) + 0.04 * g.nextGaussian());
            x[2 * i + 1] = (float) (r * Math.sin(angle) + 0.04 * g.nextGaussian());
            y[i] = arm;
        }
        return new Data(Tensor.fromArray(x, n, 2), Tensor.fromArray(y, n));
    }

    /** An MLP 2 → hidden → hidden → CLASSES with ReLUs. */
    static Sequential mlp(int hidden, Generator g) {
        return new Sequential(new Linear(2, hidden, g), new ReLU(), new Linear(hidden, hidden, g), new ReLU(),
                new Linear(hidden, CLASSES, g));
    }

    static double accuracy(Sequential net, Data d) {
        try (var s = Autograd.noGrad()) {
            Tensor pred = net.forward(d.x()).argmax(1, false);
            return pred.eq(d.y()).sum().item() / d.n();
        }
    }

    /** Rows idx of d, for a minibatch. */
    static Data rows(Data d, long[] idx) {
        Tensor i = Tensor.fromArray(idx, idx.length);
        return new Data(d.x().indexSelect(0, i), d.y().indexSelect(0, i));
    }

    /** Adam, minibatches of up to 256 random rows; {@code loss} maps (net, batch) to a scalar. */
    static void fit(SampleContext ctx, Sequential net, Data d, int steps, double lr, long seed,
                    java.util.function.BiFunction<Data, long[], Tensor> loss) {
        Adam opt = new Adam(net.parameters(), lr);
        Generator g = new Generator(seed);
        int b = Math.min(256, d.n());
        Progress bar = ctx.progress(steps, "pts");
        for (int step = 0; step < steps; step++) {
            long[] idx = new long[b];
            for (int i = 0; i < b; i++) {
                idx[i] = g.nextLong(d.n());
            }
            Tensor l = loss.apply(rows(d, idx), idx);
            opt.zeroGrad();
            l.backward();
            opt.step();
            bar.update(step + 1, String.format("loss %.3f", l.item()), (double) (step + 1) * b);
        }
    }

    /**
     * The distillation loss for a batch: α·T²·KL(p_teacher ‖ p_student) on logits divided by T,
     * plus (1 − α)·cross-entropy with the labels. α = 0 is ordinary training.
     */
    static Tensor distillLoss(Tensor studentLogits, Tensor teacherLogits, Tensor labels, double t, double alpha) {
        Tensor hard = F.crossEntropy(studentLogits, labels);
        if (alpha == 0) {
            return hard;
        }
        Tensor logPt = F.logSoftmax(teacherLogits.div(t), 1);                       // constants: no grad
        Tensor logPs = F.logSoftmax(studentLogits.div(t), 1);
        Tensor kl = logPt.exp().mul(logPt.sub(logPs)).sum(1).mean();               // Σ p_t (log p_t − log p_s)
        return kl.mul(alpha * t * t).add(hard.mul(1 - alpha));
    }

    /** The Linear weight matrices (biases are few and are kept). */
    static List<Parameter> weights(Module net) {
        List<Parameter> w = new ArrayList<>();
        net.namedParameters().forEach((name, p) -> {
            if (name.endsWith("weight")) {
                w.add(p);
            }
        });
        return w;
    }

    /**
     * Zeroes the fraction {@code sparsity} of smallest-|w| weights: with {@code global}, one
     * threshold over all matrices together (big layers, which have more small weights, lose more);
     * otherwise the same fraction of each matrix.
     */
    static void prune(List<Parameter> weights, double sparsity, boolean global) {
        try (var s = Autograd.noGrad()) {
            if (global) {
                double threshold = kthSmallestAbs(weights, sparsity);
                for (Parameter w : weights) {
                    w.mul_(w.abs().gt(threshold).to(w.dtype()));
                }
            } else {
                for (Parameter w : weights) {
                    double threshold = kthSmallestAbs(List.of(w), sparsity);
                    w.mul_(w.abs().gt(threshold).to(w.dtype()));
                }
            }
        }
    }

    /**
     * Retrains a pruned network for a few steps, multiplying every weight matrix by its 0/1 mask
     * after each step so the pruned weights stay zero (the gradient would otherwise revive them).
     */
    static void fineTunePruned(SampleContext ctx, Sequential net, Data d, int steps, long seed) {
        List<Parameter> ws = weights(net);
        List<Tensor> masks = new ArrayList<>();
        for (Parameter w : ws) {
            masks.add(w.ne(0).to(w.dtype()));
        }
        Adam opt = new Adam(net.parameters(), 1e-3);
        Generator g = new Generator(seed);
        int b = Math.min(256, d.n());
        for (int step = 0; step < steps; step++) {
            long[] idx = new long[b];
            for (int i = 0; i < b; i++) {
                idx[i] = g.nextLong(d.n());
            }
            Data batch = rows(d, idx);
            Tensor l = F.crossEntropy(net.forward(batch.x()), batch.y());
            opt.zeroGrad();
            l.backward();
            opt.step();
            try (var s = Autograd.noGrad()) {
                for (int i = 0; i < ws.size(); i++) {
                    ws.get(i).mul_(masks.get(i));
                }
            }
        }
    }

    /** The |w| below and at which a fraction {@code q} of the values lie (−1 for q = 0: prune nothing). */
    static double kthSmallestAbs(List<Parameter> weights, double q) {
        if (q <= 0) {
            return -1;
        }
        int n = 0;
        for (Parameter w : weights) {
            n += w.numel();
        }
        double[] all = new double[n];
        int k = 0;
        for (Parameter w : weights) {
            for (float v : w.toFloatArray()) {
                all[k++] = Math.abs(v);
            }
        }
        Arrays.sort(all);
        return all[Math.min(n - 1, (int) Math.ceil(q * n) - 1)];
    }

    @Override
    public Map<String, Double> run(SampleContext ctx) throws Exception {
        double temperature = ctx.args().number("temperature", 2.0, 0.1, 100);
        double alpha = ctx.args().number("alpha", 0.5, 0, 1);
        Generator g = new Generator(ctx.seed());
        Data teacherData = spirals(ctx.size(4000, 2000), g);
        Data studentData = spirals(200, g);
        Data test = spirals(2000, g);
        Map<String, Double> results = new LinkedHashMap<>();

        int teacherHidden = 128;
        Sequential teacher = mlp(teacherHidden, new Generator(ctx.seed() + 1));
        ctx.out().printf("teacher: MLP 2-%d-%d-%d (%,d parameters) on %,d points of %d interleaved spiral arms%n",
                teacherHidden, teacherHidden, CLASSES, teacher.numParameters(), teacherData.n(), CLASSES);
        fit(ctx, teacher, teacherData, ctx.size(1500, 500), 3e-3, ctx.seed() + 2,
                (batch, idx) -> F.crossEntropy(teacher.forward(batch.x()), batch.y()));
        double teacherAcc = accuracy(teacher, test);
        ctx.out().printf("teacher test accuracy %.1f%%%n", 100 * teacherAcc);
        results.put("teacher_acc", teacherAcc);

        // The students: same small architecture, same initialization, same 200 labelled points.
        Tensor teacherLogits;
        try (var s = Autograd.noGrad()) {
            teacherLogits = teacher.forward(studentData.x());                       // [200, CLASSES], fixed targets
        }
        int studentHidden = 32;
        int studentSteps = 1500;                                    // tiny networks: cheap even in --smoke
        double[] accs = new double[2];
        for (int run = 0; run < 2; run++) {
            double a = run == 0 ? 0 : alpha;
            Sequential student = mlp(studentHidden, new Generator(ctx.seed() + 3));
            if (run == 0) {
                ctx.out().printf("student: MLP 2-%d-%d-%d (%,d parameters, %.0fx smaller) on %d labelled points%n",
                        studentHidden, studentHidden, CLASSES, student.numParameters(),
                        (double) teacher.numParameters() / student.numParameters(), studentData.n());
            }
            ctx.out().println(run == 0 ? "student from the hard labels only:"
                    : String.format(Locale.ROOT, "student distilled (T = %.1f, alpha = %.2f):", temperature, a));
            fit(ctx, student, studentData, studentSteps, 3e-3, ctx.seed() + 4, (batch, idx) -> distillLoss(
                    student.forward(batch.x()), teacherLogits.indexSelect(0, Tensor.fromArray(idx, idx.length)),
                    batch.y(), temperature, a));
            accs[run] = accuracy(student, test);
        }
        ctx.out().printf("student test accuracy: hard labels %.1f%%, distilled %.1f%% (teacher %.1f%%)%n",
                100 * accs[0], 100 * accs[1], 100 * teacherAcc);
        results.put("student_hard_acc", accs[0]);
        results.put("student_distilled_acc", accs[1]);

        // Magnitude pruning of the teacher, without fine-tuning afterwards.
        Map<String, Tensor> dense = new LinkedHashMap<>();
        teacher.stateDict().forEach((k, v) -> dense.put(k, v.clone()));
        double[] sparsities = {0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95};
        double[] global = new double[sparsities.length];
        double[] perLayer = new double[sparsities.length];
        double[] retrained = new double[sparsities.length];
        int retrainSteps = ctx.size(100, 30);
        ctx.out().println("teacher accuracy after zeroing the smallest weights:");
        ctx.out().printf("sparsity   global   per-layer   global + %d retraining steps%n", retrainSteps);
        Progress bar = ctx.progress(sparsities.length, "levels");
        for (int i = 0; i < sparsities.length; i++) {
            for (int mode = 0; mode < 2; mode++) {
                teacher.loadStateDict(dense, true);
                prune(weights(teacher), sparsities[i], mode == 0);
                (mode == 0 ? global : perLayer)[i] = accuracy(teacher, test);
            }
            teacher.loadStateDict(dense, true);
            prune(weights(teacher), sparsities[i], true);
            fineTunePruned(ctx, teacher, teacherData, retrainSteps, ctx.seed() + 5);
            retrained[i] = accuracy(teacher, test);
            bar.update(i + 1, String.format("sparsity %.0f%%", 100 * sparsities[i]), i + 1);
            results.put(String.format(Locale.ROOT, "acc_sparsity_%02.0f", 100 * sparsities[i]), global[i]);
            results.put(String.format(Locale.ROOT, "acc_sparsity_%02.0f_retrained", 100 * sparsities[i]), retrained[i]);
        }
        for (int i = 0; i < sparsities.length; i++) {
            ctx.out().printf("  %3.0f%%     %5.1f%%    %5.1f%%      %5.1f%%%n", 100 * sparsities[i], 100 * global[i],
                    100 * perLayer[i], 100 * retrained[i]);
        }
        // Where a global threshold cuts: the big middle layer has the smallest weights (its
        // initialization scale is 1/√128 against the first layer's 1/√2), so it loses the most.
        teacher.loadStateDict(dense, true);
        prune(weights(teacher), 0.9, true);
        StringBuilder kept = new StringBuilder();
        for (var e : teacher.namedParameters().entrySet()) {
            if (e.getKey().endsWith("weight")) {
                Tensor w = e.getValue();
                kept.append(String.format(Locale.ROOT, " %s %s %.1f%%,", e.getKey(), Arrays.toString(w.shape()),
                        100 * w.ne(0).sum().item() / w.numel()));
            }
        }
        ctx.out().println("weights left at 90% global sparsity:" + kept.substring(0, kept.length() - 1)
                + " — the big middle layer, whose weights are smallest, loses the most");
        teacher.loadStateDict(dense, true);
        double[] pct = Arrays.stream(sparsities).map(v -> 100 * v).toArray();
        Path p = ctx.file("pruning-sparsity-accuracy.svg");
        Plot.lineChart(p, "teacher accuracy vs fraction of weights zeroed", "sparsity (%)",
                "test accuracy", List.of(Plot.Series.line("global threshold", pct, global),
                        Plot.Series.line("same fraction per layer", pct, perLayer),
                        Plot.Series.line("global + " + retrainSteps + " retraining steps", pct, retrained)), false);
        ctx.wrote(p, "accuracy against sparsity: global, per-layer, and global with retraining");
        return results;
    }
}
