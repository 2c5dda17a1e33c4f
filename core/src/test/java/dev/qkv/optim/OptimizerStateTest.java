package dev.qkv.optim;

import dev.qkv.nn.Linear;
import dev.qkv.nn.Parameter;
import dev.qkv.nn.ReLU;
import dev.qkv.nn.Sequential;
import dev.qkv.nn.functional.F;
import dev.qkv.tensor.Generator;
import dev.qkv.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Saving and loading optimizer state: a resumed run must equal the uninterrupted one exactly. */
class OptimizerStateTest {
    private static final Tensor X = Tensor.randn(new Generator(1), 8, 3);
    private static final Tensor Y = Tensor.ofLongs(0, 1, 1, 0, 1, 0, 0, 1);

    /** A model, its optimizer and its scheduler, built the same way in every "process". */
    private record Run(Sequential model, Optimizer opt, LRScheduler sched) {
        Run(Function<List<Parameter>, Optimizer> make) {
            this(newModel(), make);
        }

        private Run(Sequential model, Function<List<Parameter>, Optimizer> make) {
            this(model, make.apply(model.parameters()), null);
        }

        Run withScheduler() {
            return new Run(model, opt, new WarmupCosine(opt, 2, 8, 0.001));
        }

        void train(int steps) {
            for (int i = 0; i < steps; i++) {
                opt.zeroGrad();
                F.crossEntropy(model.forward(X), Y).backward();
                GradClip.clipGradNorm(model.parameters(), 0.5);
                opt.step();
                if (sched != null) {
                    sched.step();
                }
            }
        }
    }

    private static Sequential newModel() {
        Generator g = new Generator(7);
        return new Sequential(new Linear(3, 6, true, g), new ReLU(), new Linear(6, 2, true, g));
    }

    /** What crossing a file would do: fresh tensors and maps, nothing shared with the saving run. */
    private static Map<String, Tensor> copyTensors(Map<String, Tensor> tensors) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        tensors.forEach((k, t) -> out.put(k, Tensor.fromArray(t.toFloatArray(), t.shape())));
        return out;
    }

    private static final Map<String, Function<List<Parameter>, Optimizer>> OPTIMIZERS = Map.of(
            "SGD", p -> new SGD(p, 0.1, 0.9, 0, 0.01, true),
            "Adam", p -> new Adam(p, 0.01, 0.9, 0.999, 1e-8, 0.01, true),
            "AdamW", p -> new AdamW(p, 0.01, 0.9, 0.95, 1e-8, 0.1, false),
            "RMSprop", p -> new RMSprop(p, 0.01, 0.9, 1e-8, 0.01, 0.5, true),
            "Adagrad", p -> new Adagrad(p, 0.1, 0.01, 0.01, 0.1, 1e-10));

    @Test
    void resumedTrainingEqualsUninterruptedTrainingForEveryOptimizer() {
        for (var e : OPTIMIZERS.entrySet()) {
            Run straight = new Run(e.getValue()).withScheduler();
            straight.train(8);

            Run first = new Run(e.getValue()).withScheduler();
            first.train(3);
            Map<String, Tensor> modelState = copyTensors(first.model.stateDict());
            Optimizer.StateDict optState = first.opt.stateDict();
            Map<String, Tensor> optTensors = copyTensors(optState.tensors());
            Map<String, String> metadata = new HashMap<>(optState.metadata());
            metadata.putAll(first.sched.stateDict());

            Run second = new Run(e.getValue()).withScheduler();
            second.model.loadStateDict(modelState, true);
            second.opt.loadStateDict(optTensors, metadata);
            second.sched.loadStateDict(metadata);
            second.train(5);

            var want = straight.model.stateDict();
            var got = second.model.stateDict();
            for (String k : want.keySet()) {
                assertArrayEquals(want.get(k).toFloatArray(), got.get(k).toFloatArray(), e.getKey() + " " + k);
            }
            assertEquals(straight.opt.lr(), second.opt.lr(), e.getKey() + " lr");
        }
    }

    @Test
    void stateDictNamesParametersByIndex() {
        Run run = new Run(OPTIMIZERS.get("AdamW"));
        run.train(2);
        Optimizer.StateDict sd = run.opt.stateDict();
        assertEquals(List.of("optimizer.state.0.exp_avg", "optimizer.state.0.exp_avg_sq", "optimizer.state.1.exp_avg",
                "optimizer.state.1.exp_avg_sq", "optimizer.state.2.exp_avg", "optimizer.state.2.exp_avg_sq",
                "optimizer.state.3.exp_avg", "optimizer.state.3.exp_avg_sq"), List.copyOf(sd.tensors().keySet()));
        Map<String, String> m = sd.metadata();
        assertEquals("AdamW", m.get("optimizer.type"));
        assertEquals("2", m.get("optimizer.state.3.step"));
        assertEquals("0,1,2,3", m.get("optimizer.param_groups.0.params"));
        assertEquals("0.1", m.get("optimizer.param_groups.0.weight_decay"));
        assertEquals("0.95", m.get("optimizer.beta2"));
        assertArrayEquals(new int[] {6, 3}, sd.tensors().get("optimizer.state.0.exp_avg").shape());
    }

    @Test
    void loadRestoresGroupHyperparameters() {
        Run a = new Run(OPTIMIZERS.get("SGD"));
        a.opt.setLr(0.25);
        a.opt.paramGroups().get(0).setWeightDecay(0.5);
        Run b = new Run(OPTIMIZERS.get("SGD"));
        b.opt.loadStateDict(a.opt.stateDict());
        assertEquals(0.25, b.opt.lr());
        assertEquals(0.5, b.opt.paramGroups().get(0).weightDecay());
    }

    @Test
    void loadRejectsStateOfAnotherOptimizerOrModel() {
        Run adam = new Run(OPTIMIZERS.get("Adam"));
        adam.train(1);
        Optimizer.StateDict sd = adam.opt.stateDict();

        Run sgd = new Run(OPTIMIZERS.get("SGD"));
        IllegalArgumentException type = assertThrows(IllegalArgumentException.class, () -> sgd.opt.loadStateDict(sd));
        assertTrue(type.getMessage().contains("'Adam'") && type.getMessage().contains("SGD"), type.getMessage());

        Parameter other = new Parameter(Tensor.zeros(6, 3));
        Adam small = new Adam(List.of(other), 0.01);
        IllegalArgumentException count = assertThrows(IllegalArgumentException.class, () -> small.loadStateDict(sd));
        assertTrue(count.getMessage().contains("parameter group 0"), count.getMessage());

        Map<String, Tensor> wrongShape = new LinkedHashMap<>(sd.tensors());
        wrongShape.put("optimizer.state.1.exp_avg", Tensor.zeros(5));
        Run fresh = new Run(OPTIMIZERS.get("Adam"));
        IllegalArgumentException shape = assertThrows(IllegalArgumentException.class,
                () -> fresh.opt.loadStateDict(wrongShape, sd.metadata()));
        assertTrue(shape.getMessage().contains("[5]") && shape.getMessage().contains("[6]"), shape.getMessage());
    }
}
