package dev.qkv.autograd;

import dev.qkv.tensor.Generator;
import dev.qkv.tensor.Tensor;
import dev.qkv.testing.GradCheck;
import dev.qkv.testing.Rand;
import org.junit.jupiter.api.Test;
import org.opentest4j.AssertionFailedError;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The gradient checker itself must catch wrong backward rules, including on views. */
class GradCheckSelfTest {

    /** x² with a backward rule that returns {@code factor}·x (right only for factor 2). */
    private static Tensor squareWithRule(Tensor x, double factor) {
        Tensor y;
        try (var s = Autograd.noGrad()) {
            y = x.mul(x);
        }
        return Autograd.record("badSquare", y, g -> new Tensor[] {g.mul(x).mul(factor)}, x);
    }

    @Test
    void acceptsARightRuleAndRejectsAWrongOne() {
        Generator g = new Generator(1);
        assertDoesNotThrow(() -> GradCheck.check("right", in -> squareWithRule(in[0], 2), Rand.uniform(g, -1, 1, 3, 2)));
        AssertionFailedError e = assertThrows(AssertionFailedError.class,
                () -> GradCheck.check("wrong", in -> squareWithRule(in[0], 2.01), Rand.uniform(g, -1, 1, 3, 2)));
        assertTrue(e.getMessage().contains("wrong") && e.getMessage().contains("analytic"), e.getMessage());
        // on a transposed view, a rule that forgets to transpose its gradient back is caught
        assertThrows(AssertionFailedError.class, () -> GradCheck.check("untransposed", in -> {
            Tensor y;
            try (var s = Autograd.noGrad()) {
                y = in[0].t().contiguous().mul(2);
            }
            Tensor x = in[0];
            return Autograd.record("badT", y, gr -> new Tensor[] {gr.mul(2).reshape(x.shape())}, x);
        }, Rand.uniform(g, -1, 1, 2, 3)));
    }

    @Test
    void rejectsAMissingGradient() {
        Generator g = new Generator(2);
        assertThrows(AssertionFailedError.class, () -> GradCheck.check("all detached", in -> in[0].detach().mul(2),
                Rand.uniform(g, -1, 1, 3)));
        AssertionFailedError e = assertThrows(AssertionFailedError.class, () -> GradCheck.check("one detached",
                in -> in[0].mul(in[1].detach()), Rand.uniform(g, -1, 1, 3), Rand.uniform(g, -1, 1, 3)));
        assertTrue(e.getMessage().contains("input 1 received no gradient"), e.getMessage());
    }
}
