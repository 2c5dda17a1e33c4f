package dev.qkv.optim;

import dev.qkv.nn.Linear;
import dev.qkv.nn.Parameter;
import dev.qkv.nn.Sequential;
import dev.qkv.nn.Tanh;
import dev.qkv.nn.functional.F;
import dev.qkv.tensor.DType;
import dev.qkv.tensor.Generator;
import dev.qkv.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.ObjIntConsumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Replays PyTorch training runs: same MLP, same initial weights and batch (read from the golden
 * file), same optimizer settings as core/src/test/python/optim/make_optim_golden.py.
 *
 * <p>In float32, after every step the loss, the gradient norm, the lr and every parameter must
 * match torch's up to float32 rounding (qkv and torch order their roundings differently, and
 * Adam-type updates amplify that where v̂ is small). In float64 the same runs must agree almost
 * exactly, which shows that the update formulas themselves are torch's.
 */
class OptimGoldenTest {
    private static final Map<String, Object> GOLDEN = GoldenJson.resource("/golden/optim/optim_golden.json");

    /** float32: |qkv − torch| ≤ RTOL·|torch| + ATOL. */
    static final double RTOL = 1e-5;
    static final double ATOL = 1e-6;
    /** float64. */
    static final double RTOL64 = 1e-11;
    static final double ATOL64 = 1e-13;

    private static Sequential goldenModel(DType dtype) {
        // The generator only fills weights that the golden state then overwrites.
        Generator g = new Generator(0);
        Sequential model = new Sequential(new Linear(4, 8, true, g), new Tanh(), new Linear(8, 3, true, g));
        Map<String, Tensor> init = new LinkedHashMap<>();
        GoldenJson.object(GOLDEN.get("init")).forEach((name, v) -> {
            Map<String, Object> t = GoldenJson.object(v);
            init.put(name, Tensor.fromArray(GoldenJson.floats(t.get("values")), GoldenJson.ints(t.get("shape"))));
        });
        model.loadStateDict(init, true);
        model.to(dtype);
        return model;
    }

    private static Map<String, Object> run(String name) {
        return GoldenJson.object(GoldenJson.object(GOLDEN.get("runs")).get(name));
    }

    /** What one training step produced: the loss before the update, the grad norm, the lr used. */
    private record Step(double loss, double gradNorm, double lr, Map<String, Tensor> params) {
    }

    /** Trains like the Python script and calls {@code check} after each step. */
    private static void train(String name, DType dtype, Function<List<Parameter>, Optimizer> makeOptimizer,
                              Function<Optimizer, LRScheduler> makeScheduler,
                              ObjIntConsumer<Step> check) {
        Map<String, Object> xs = GoldenJson.object(GOLDEN.get("x"));
        Tensor x = Tensor.fromArray(GoldenJson.floats(xs.get("values")), GoldenJson.ints(xs.get("shape"))).to(dtype);
        double[] ys = GoldenJson.doubles(GOLDEN.get("y"));
        long[] yl = new long[ys.length];
        for (int i = 0; i < ys.length; i++) {
            yl[i] = (long) ys[i];
        }
        Tensor y = Tensor.fromArray(yl, yl.length);
        Map<String, Object> run = run(name);
        Double maxNorm = (Double) run.get("max_norm");
        int steps = ((Double) run.get("steps")).intValue();

        Sequential model = goldenModel(dtype);
        Optimizer opt = makeOptimizer.apply(model.parameters());
        LRScheduler sched = makeScheduler == null ? null : makeScheduler.apply(opt);
        for (int step = 0; step < steps; step++) {
            opt.zeroGrad();
            Tensor loss = F.crossEntropy(model.forward(x), y);
            loss.backward();
            double norm = maxNorm == null ? Double.NaN : GradClip.clipGradNorm(model.parameters(), maxNorm);
            double lr = opt.lr();
            opt.step();
            if (sched != null) {
                sched.step();
            }
            check.accept(new Step(loss.item(), norm, lr, model.stateDict()), step);
        }
    }

    private static void replay(String name, Function<List<Parameter>, Optimizer> makeOptimizer,
                               Function<Optimizer, LRScheduler> makeScheduler) {
        List<Object> trajectory = GoldenJson.list(run(name).get("trajectory"));
        double[] worst = new double[1];
        train(name, DType.FLOAT32, makeOptimizer, makeScheduler, (s, step) -> {
            Map<String, Object> want = GoldenJson.object(trajectory.get(step));
            String at = name + " float32 step " + step;
            assertEquals((Double) want.get("lr"), s.lr(), 1e-12 * (Double) want.get("lr") + 1e-15, at + " lr");
            check(at + " loss", (Double) want.get("loss"), s.loss(), RTOL, ATOL);
            if (!Double.isNaN(s.gradNorm())) {
                check(at + " grad norm", (Double) want.get("grad_norm"), s.gradNorm(), RTOL, ATOL);
            }
            worst[0] = Math.max(worst[0], checkParams(at, GoldenJson.object(want.get("params")), s.params(), RTOL, ATOL));
        });

        Map<String, Object> f64 = GoldenJson.object(run(name).get("float64"));
        double[] losses = GoldenJson.doubles(f64.get("losses"));
        double[] worst64 = new double[1];
        train(name, DType.FLOAT64, makeOptimizer, makeScheduler, (s, step) -> {
            String at = name + " float64 step " + step;
            check(at + " loss", losses[step], s.loss(), RTOL64, ATOL64);
            if (step == losses.length - 1) {
                worst64[0] = checkParams(at, GoldenJson.object(f64.get("final_params")), s.params(), RTOL64, ATOL64);
            }
        });
        System.out.printf("OptimGoldenTest %-16s largest parameter error relative to max(|torch|, 1e-3): "
                + "float32 %.1e, float64 %.1e%n", name, worst[0], worst64[0]);
    }

    /** Checks every parameter; returns the largest error relative to max(|torch|, 1e-3), for the log. */
    private static double checkParams(String at, Map<String, Object> want, Map<String, Tensor> ours, double rtol,
                                      double atol) {
        assertEquals(want.keySet(), ours.keySet());
        double worst = 0;
        for (var e : want.entrySet()) {
            double[] expected = GoldenJson.doubles(e.getValue());
            double[] actual = ours.get(e.getKey()).toDoubleArray();
            for (int i = 0; i < expected.length; i++) {
                check(at + " " + e.getKey() + "[" + i + "]", expected[i], actual[i], rtol, atol);
                worst = Math.max(worst, Math.abs(actual[i] - expected[i]) / Math.max(Math.abs(expected[i]), 1e-3));
            }
        }
        return worst;
    }

    private static void check(String what, Double expected, double actual, double rtol, double atol) {
        assertNotNull(expected, what + " is missing from the golden file");
        if (!(Math.abs(actual - expected) <= rtol * Math.abs(expected) + atol)) {
            fail(what + ": qkv " + actual + " vs torch " + expected + " (tolerance " + rtol + "·|torch| + " + atol + ")");
        }
    }

    @Test
    void adamwWithWarmupCosineAndClipping() {
        Map<String, Object> schedule = GoldenJson.object(run("adamw").get("schedule"));
        int warmup = ((Double) schedule.get("warmup_steps")).intValue();
        int total = ((Double) schedule.get("total_steps")).intValue();
        double minLr = (Double) schedule.get("min_lr");
        replay("adamw", p -> new AdamW(p, 0.05, 0.9, 0.95, 1e-8, 0.1, false),
                opt -> new WarmupCosine(opt, warmup, total, minLr));
    }

    @Test
    void sgdWithNesterovMomentum() {
        replay("sgd_nesterov", p -> new SGD(p, 0.1, 0.9, 0, 0.01, true), null);
    }

    @Test
    void adamWithAmsgradAndL2() {
        replay("adam_amsgrad", p -> new Adam(p, 0.01, 0.9, 0.999, 1e-8, 0.01, true), null);
    }

    @Test
    void rmspropCenteredWithMomentum() {
        replay("rmsprop_centered", p -> new RMSprop(p, 0.01, 0.9, 1e-8, 0.01, 0.5, true), null);
    }

    @Test
    void adagradWithLrDecay() {
        replay("adagrad", p -> new Adagrad(p, 0.1, 0.01, 0.01, 0.1, 1e-10), null);
    }

    @Test
    void goldenFileCoversTheClippedRegime() {
        // The clipping branch must actually run in the main trajectory (torch norms above max_norm).
        double maxNorm = (Double) run("adamw").get("max_norm");
        long clipped = GoldenJson.list(run("adamw").get("trajectory")).stream()
                .filter(s -> (Double) GoldenJson.object(s).get("grad_norm") > maxNorm).count();
        assertTrue(clipped >= 3 && clipped < 20, clipped + " clipped steps");
    }
}
