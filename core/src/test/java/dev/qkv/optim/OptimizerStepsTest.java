package dev.qkv.optim;

import dev.qkv.nn.Parameter;
import dev.qkv.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The first steps of each optimizer on a one-element parameter with given gradients, against
 * values worked out by hand from the update rule (the derivation is in each comment).
 */
class OptimizerStepsTest {

    /** Runs opt on p (starting at 1) with these gradients and returns p after each step. */
    private static double[] run(Function<List<Parameter>, Optimizer> make, double... grads) {
        Parameter p = new Parameter(Tensor.of(1f));
        Optimizer opt = make.apply(List.of(p));
        double[] out = new double[grads.length];
        for (int i = 0; i < grads.length; i++) {
            p.setGrad(Tensor.of((float) grads[i]));
            opt.step();
            out[i] = p.item();
        }
        return out;
    }

    private static void close(double[] expected, double[] actual) {
        assertArrayEquals(expected, actual, 1e-6);
    }

    @Test
    void sgd() {
        // p ← p − lr·g: 1 − 0.1·1 = 0.9, then 0.9 − 0.1·2 = 0.7
        close(new double[] {0.9, 0.7}, run(p -> new SGD(p, 0.1), 1, 2));
        // weight decay 0.1 adds 0.1·p to g: g = 1 + 0.1 = 1.1, p = 1 − 0.11 = 0.89
        close(new double[] {0.89}, run(p -> new SGD(p, 0.1, 0, 0, 0.1, false), 1));
    }

    @Test
    void sgdMomentumSkipsDampeningOnTheFirstStep() {
        // momentum 0.9, dampening 0.1: b = g = 1 → p = 0.9; b = 0.9·1 + 0.9·2 = 2.7 → p = 0.9 − 0.27 = 0.63
        close(new double[] {0.9, 0.63}, run(p -> new SGD(p, 0.1, 0.9, 0.1, 0, false), 1, 2));
    }

    @Test
    void sgdNesterov() {
        // b = 1, d = g + 0.9·b = 1.9 → p = 0.81; b = 0.9 + 2 = 2.9, d = 2 + 2.61 = 4.61 → p = 0.81 − 0.461 = 0.349
        close(new double[] {0.81, 0.349}, run(p -> new SGD(p, 0.1, 0.9, 0, 0, true), 1, 2));
        assertThrows(IllegalArgumentException.class, () -> new SGD(List.of(new Parameter(Tensor.of(1f))), 0.1, 0.9, 0.1,
                0, true));
    }

    @Test
    void adam() {
        // Step 1 (g = 1): m = 0.1, v = 0.001; bias-corrected m̂ = 1, v̂ = 1 → p = 1 − 0.1·1/(1 + 1e-8) = 0.9
        // Step 2 (g = −1): m = 0.09 − 0.1 = −0.01, v = 0.000999 + 0.001 = 0.001999
        //   m̂ = −0.01/(1 − 0.81) = −0.0526316, v̂ = 0.001999/(1 − 0.998001) = 1 → p = 0.9 + 0.00526316
        close(new double[] {0.9, 0.9 + 0.1 * 0.01 / 0.19}, run(p -> new Adam(p, 0.1), 1, -1));
    }

    @Test
    void adamL2VersusAdamWDecoupledDecay() {
        // Adam, weight decay 0.1: g = 1 + 0.1·1 = 1.1; the first step is lr·sign(g) = 0.1 → 0.9
        close(new double[] {0.9}, run(p -> new Adam(p, 0.1, 0.9, 0.999, 1e-8, 0.1, false), 1));
        // AdamW: p = 1·(1 − 0.1·0.1) = 0.99 first, then the Adam step of 0.1 → 0.89
        close(new double[] {0.89}, run(p -> new AdamW(p, 0.1, 0.9, 0.999, 1e-8, 0.1, false), 1));
    }

    @Test
    void amsgradKeepsTheLargestSecondMoment() {
        // g = 1 then 0: v = 0.001 then 0.000999, m = 0.1 then 0.09; amsgrad keeps v̂ = 0.001.
        double mHat = 0.09 / 0.19;
        double bc2 = 1 - 0.999 * 0.999;
        double withMax = 0.9 - 0.1 * mHat / (Math.sqrt(0.001 / bc2) + 1e-8);
        double without = 0.9 - 0.1 * mHat / (Math.sqrt(0.000999 / bc2) + 1e-8);
        close(new double[] {0.9, withMax}, run(p -> new Adam(p, 0.1, 0.9, 0.999, 1e-8, 0, true), 1, 0));
        close(new double[] {0.9, without}, run(p -> new Adam(p, 0.1, 0.9, 0.999, 1e-8, 0, false), 1, 0));
    }

    @Test
    void rmsprop() {
        // s = 0.01·1 = 0.01, d = √0.01 = 0.1 → p = 1 − 0.01·1/0.1 = 0.9
        close(new double[] {0.9}, run(p -> new RMSprop(p, 0.01), 1));
        // centered: a = 0.01, d = √(0.01 − 0.0001) → p = 1 − 0.01/√0.0099
        close(new double[] {1 - 0.01 / Math.sqrt(0.0099)}, run(p -> new RMSprop(p, 0.01, 0.99, 0, 0, 0, true), 1));
        // momentum 0.5: b = g/d = 10 → p = 1 − 0.01·10 = 0.9; then s = 0.0099 + 0.01 = 0.0199,
        //   b = 0.5·10 + 1/√0.0199 → p = 0.9 − 0.01·b
        double b2 = 5 + 1 / Math.sqrt(0.0199);
        close(new double[] {0.9, 0.9 - 0.01 * b2}, run(p -> new RMSprop(p, 0.01, 0.99, 0, 0, 0.5, false), 1, 1));
    }

    @Test
    void adagrad() {
        // initial accumulator 0.1, lrDecay 0.5: s = 1.1, lr₁ = 0.1 → p = 1 − 0.1/√1.1;
        // s = 2.1, lr₂ = 0.1/(1 + 0.5) → p −= (0.1/1.5)/√2.1
        double p1 = 1 - 0.1 / Math.sqrt(1.1);
        double p2 = p1 - 0.1 / 1.5 / Math.sqrt(2.1);
        close(new double[] {p1, p2}, run(p -> new Adagrad(p, 0.1, 0.5, 0, 0.1, 1e-10), 1, 1));
    }

    @Test
    void parametersWithoutGradientAreSkippedAndTheirStepDoesNotAdvance() {
        Parameter a = new Parameter(Tensor.of(1f));
        Parameter b = new Parameter(Tensor.of(1f));
        Adam opt = new Adam(List.of(a, b), 0.1);
        a.setGrad(Tensor.of(1f));
        opt.step();
        opt.step();
        assertEquals(1f, b.item());
        var meta = opt.stateDict().metadata();
        assertEquals("2", meta.get("optimizer.state.0.step"));
        assertFalse(meta.containsKey("optimizer.state.1.step"));
        // Its first real step is bias-corrected as a first step: exactly lr·sign(g).
        b.setGrad(Tensor.of(-3f));
        opt.step();
        assertEquals(1.1, b.item(), 1e-6);
    }

    @Test
    void zeroGradAndLearningRates() {
        Parameter a = new Parameter(Tensor.of(1f));
        Parameter b = new Parameter(Tensor.of(1f));
        SGD opt = new SGD(List.of(a), 0.1);
        opt.addParamGroup(List.of(b), 0.5, 0);
        a.setGrad(Tensor.of(1f));
        b.setGrad(Tensor.of(1f));
        opt.step();
        assertEquals(0.9f, a.item(), 1e-7);
        assertEquals(0.5f, b.item(), 1e-7);
        assertEquals(0.1, opt.lr());
        opt.setLr(0.2);
        assertEquals(0.2, opt.paramGroups().get(1).lr());
        opt.zeroGrad();
        assertNull(a.grad());
        assertNull(b.grad());
        assertTrue(opt.toString().contains("group 1: 1 parameters, lr: 0.2"), opt.toString());
    }

    @Test
    void constructorsRejectBadArguments() {
        Parameter a = new Parameter(Tensor.of(1f));
        assertThrows(IllegalArgumentException.class, () -> new SGD(List.of(), 0.1));
        assertThrows(IllegalArgumentException.class, () -> new SGD(List.of(a), -1));
        assertThrows(IllegalArgumentException.class, () -> new Adam(List.of(a), 0.1, 1.0, 0.999, 1e-8, 0, false));
        IllegalArgumentException twice = assertThrows(IllegalArgumentException.class, () -> new SGD(List.of(a, a), 0.1));
        assertTrue(twice.getMessage().contains("more than once"), twice.getMessage());
        Tensor computed = a.mul(2);
        IllegalArgumentException nonLeaf = assertThrows(IllegalArgumentException.class,
                () -> new SGD(List.of(computed), 0.1));
        assertTrue(nonLeaf.getMessage().contains("'mul'"), nonLeaf.getMessage());
    }
}
