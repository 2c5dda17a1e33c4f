package dev.qkv.samples.roadmap;

import dev.qkv.nn.Linear;
import dev.qkv.nn.Sequential;
import dev.qkv.nn.Tanh;
import dev.qkv.nn.functional.F;
import dev.qkv.optim.CosineAnnealingLR;
import dev.qkv.optim.LRScheduler;
import dev.qkv.optim.SGD;
import dev.qkv.optim.WarmupCosine;
import dev.qkv.samples.Sample;
import dev.qkv.samples.SampleContext;
import dev.qkv.samples.plot.Plot;
import dev.qkv.tensor.Generator;
import dev.qkv.tensor.Tensor;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Learning-rate schedules: cosine annealing (T_max = 100, eta_min = 1e-6) and linear warmup
 * followed by cosine, plotted; then the same small regression network trained with a constant
 * rate and with each schedule, to show their effect on the loss.
 */
public final class LrSchedulesSample implements Sample {
    @Override
    public String name() {
        return "lr-schedules";
    }

    @Override
    public String summary() {
        return "cosine annealing and warmup+cosine: plotted, and their effect on a training run";
    }

    @Override
    public Map<String, Double> run(SampleContext ctx) throws Exception {
        double base = 0.2;
        int tMax = 100;
        double[] cosine = new double[tMax + 1];
        double[] warm = new double[tMax + 1];
        for (int t = 0; t <= tMax; t++) {
            cosine[t] = CosineAnnealingLR.lrAt(t, base, tMax, 1e-6);
            warm[t] = WarmupCosine.lrAt(t, base, 10, tMax, 1e-6);
        }
        Path p = ctx.file("lr-schedules.svg");
        Plot.lineChart(p, "learning rate schedules (base " + base + ")", "step", "lr",
                List.of(Plot.Series.of("cosine T_max=100, eta_min=1e-6", cosine),
                        Plot.Series.of("warmup 10 + cosine", warm)), false);
        ctx.wrote(p, "the two schedules");

        // y = sin(3x)·x on [−1, 1], learned by a 1-32-32-1 tanh network
        Generator g = new Generator(ctx.seed());
        int n = 256;
        Tensor x = Tensor.rand(g, n, 1).mul(2).sub(1);
        Tensor y = x.mul(3).sin().mul(x);
        int steps = ctx.size(2000, 120);
        Map<String, Double> results = new LinkedHashMap<>();
        List<Plot.Series> curves = new ArrayList<>();
        for (String kind : new String[] {"constant", "cosine", "warmup+cosine"}) {
            Generator init = new Generator(ctx.seed() + 1);
            Sequential net = new Sequential(new Linear(1, 32, init), new Tanh(), new Linear(32, 32, init), new Tanh(),
                    new Linear(32, 1, init));
            SGD opt = new SGD(net.parameters(), base, 0.9, 0, 0, false);
            LRScheduler sched = switch (kind) {
                case "cosine" -> new CosineAnnealingLR(opt, steps, 1e-6);
                case "warmup+cosine" -> new WarmupCosine(opt, steps / 10, steps, 1e-6);
                default -> null;
            };
            // Minibatches of 16: their gradient is noisy, which is what a decaying rate is for.
            // At a constant rate the weights keep jumping by lr·(noise); the schedules shrink
            // the jumps as training ends. The curve is the loss on all 256 points.
            Generator batches = new Generator(ctx.seed() + 2);          // the same batches for every schedule
            double[] losses = new double[steps];
            for (int t = 0; t < steps; t++) {
                Tensor idx = Tensor.randint(batches, 0, n, 16);
                Tensor loss = F.mseLoss(net.forward(x.indexSelect(0, idx)), y.indexSelect(0, idx));
                opt.zeroGrad();
                loss.backward();
                opt.step();
                if (sched != null) {
                    sched.step();
                }
                try (var ng = dev.qkv.autograd.Autograd.noGrad()) {
                    losses[t] = F.mseLoss(net.forward(x), y).item();
                }
            }
            double last = 0;
            for (int t = steps - 10; t < steps; t++) {
                last += losses[t] / 10;
            }
            ctx.out().printf("%-14s final loss (mean of last 10 steps) %.5f%n", kind, last);
            results.put("final_loss_" + kind, last);
            curves.add(Plot.Series.of(kind, losses));
        }
        Path q = ctx.file("lr-schedules-training.svg");
        Plot.lineChart(q, "training loss with each schedule (SGD, momentum 0.9)", "step", "MSE", curves, true);
        ctx.wrote(q, "loss curves");
        return results;
    }
}
