package dev.qkv.optim;

import dev.qkv.nn.Parameter;
import dev.qkv.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Every scheduler's lr sequence, by hand and against torch.optim.lr_scheduler. */
class SchedulerTest {

    private static SGD sgd(double lr) {
        return new SGD(List.of(new Parameter(Tensor.zeros(1))), lr);
    }

    /** The lr each of the first n steps runs at, read from the optimizer as a training loop would. */
    private static double[] lrs(Function<Optimizer, LRScheduler> make, double base, int n) {
        SGD opt = sgd(base);
        LRScheduler s = make.apply(opt);
        double[] out = new double[n];
        for (int t = 0; t < n; t++) {
            out[t] = opt.lr();
            assertEquals(out[t], s.lr());
            assertEquals(out[t], s.lrAt(t), 1e-15, "lrAt must give the same values as stepping");
            s.step();
        }
        return out;
    }

    @Test
    void stepLR() {
        assertArrayEquals(new double[] {0.1, 0.1, 0.05, 0.05, 0.025, 0.025}, lrs(o -> new StepLR(o, 2, 0.5), 0.1, 6), 1e-15);
    }

    @Test
    void exponentialLR() {
        assertArrayEquals(new double[] {0.1, 0.05, 0.025, 0.0125}, lrs(o -> new ExponentialLR(o, 0.5), 0.1, 4), 1e-15);
    }

    @Test
    void cosineAnnealingLR() {
        // 0.1·(1 + cos(πt/4))/2 for t = 0..5; past tMax it rises again.
        double c = Math.cos(Math.PI / 4);
        assertArrayEquals(new double[] {0.1, 0.05 * (1 + c), 0.05, 0.05 * (1 - c), 0, 0.05 * (1 - c)},
                lrs(o -> new CosineAnnealingLR(o, 4, 0), 0.1, 6), 1e-15);
    }

    @Test
    void warmupCosine() {
        // W = 2, T = 6, minLr 0.01, base 0.1: 0, 0.05, 0.1, then 0.01 + 0.09·(1 + cos(π(t − 2)/4))/2, then 0.01.
        double c = Math.cos(Math.PI / 4);
        double[] expected = {0, 0.05, 0.1, 0.01 + 0.045 * (1 + c), 0.055, 0.01 + 0.045 * (1 - c), 0.01, 0.01};
        assertArrayEquals(expected, lrs(o -> new WarmupCosine(o, 2, 6, 0.01), 0.1, 8), 1e-15);
        assertEquals(0.055, WarmupCosine.lrAt(4, 0.1, 2, 6, 0.01), 1e-15);
        assertEquals(0.1, WarmupCosine.lrAt(0, 0.1, 0, 6, 0.01), 1e-15, "no warmup starts at base");
        assertThrows(IllegalArgumentException.class, () -> new WarmupCosine(sgd(0.1), 7, 6, 0));
    }

    @Test
    void lambdaLR() {
        assertArrayEquals(new double[] {0.2, 0.1, 0.2 / 3}, lrs(o -> new LambdaLR(o, t -> 1.0 / (t + 1)), 0.2, 3), 1e-15);
    }

    @Test
    void eachGroupScalesFromItsOwnBaseLr() {
        SGD opt = sgd(0.1);
        opt.addParamGroup(List.of(new Parameter(Tensor.zeros(1))), 1.0, 0);
        StepLR s = new StepLR(opt, 1, 0.5);
        s.step();
        assertEquals(0.05, opt.paramGroups().get(0).lr(), 1e-15);
        assertEquals(0.5, opt.paramGroups().get(1).lr(), 1e-15);
    }

    @Test
    void matchesTorchSchedulers() {
        Map<String, Object> golden = GoldenJson.resource("/golden/optim/optim_golden.json");
        double base = (Double) golden.get("scheduler_base_lr");
        Map<String, Object> torch = GoldenJson.object(golden.get("schedulers"));
        Map<String, Function<Optimizer, LRScheduler>> ours = Map.of(
                "StepLR(stepSize=7, gamma=0.5)", o -> new StepLR(o, 7, 0.5),
                "ExponentialLR(gamma=0.9)", o -> new ExponentialLR(o, 0.9),
                "CosineAnnealingLR(tMax=10, etaMin=0.001)", o -> new CosineAnnealingLR(o, 10, 0.001));
        assertEquals(ours.keySet(), torch.keySet());
        for (var e : ours.entrySet()) {
            double[] expected = GoldenJson.doubles(torch.get(e.getKey()));
            double[] actual = lrs(e.getValue(), base, expected.length);
            for (int t = 0; t < expected.length; t++) {
                // torch's CosineAnnealingLR is recursive, ours closed-form: equal up to rounding.
                assertEquals(expected[t], actual[t], 1e-12 + 1e-9 * Math.abs(expected[t]), e.getKey() + " at step " + t);
            }
        }
    }

    @Test
    void stateRoundTrip() {
        SGD opt = sgd(0.1);
        WarmupCosine s = new WarmupCosine(opt, 3, 10, 0.0);
        for (int i = 0; i < 5; i++) {
            s.step();
        }
        Map<String, String> saved = s.stateDict();
        SGD fresh = sgd(0.1);
        WarmupCosine resumed = new WarmupCosine(fresh, 3, 10, 0.0);
        resumed.loadStateDict(saved);
        assertEquals(5, resumed.lastStep());
        assertEquals(opt.lr(), fresh.lr());
        assertThrows(IllegalArgumentException.class, () -> new StepLR(sgd(0.1), 2, 0.5).loadStateDict(saved));
    }
}
