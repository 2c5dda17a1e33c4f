package dev.qkv.autograd;

import dev.qkv.nn.functional.F;
import dev.qkv.tensor.Tensor;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Autograd.detectAnomaly: the op that first makes NaN/Inf is named, in forward and in backward. */
class AnomalyModeTest {

    private static String message(Runnable r) {
        try (var s = Autograd.detectAnomaly()) {
            return assertThrows(ArithmeticException.class, r::run).getMessage();
        }
    }

    @Test
    void forwardNamesTheOpThatMadeNaNOrInf() {
        Tensor x = Tensor.of(1, -1, 4).requiresGrad(true);
        String m = message(() -> x.mul(2).sqrt().add(1));
        assertTrue(m.contains("'sqrt'") && m.contains("NaN") && m.contains("forward") && m.contains("[3]")
                && m.contains("element 1"), m);
        Tensor y = Tensor.of(1, 2, 4).requiresGrad(true);
        String l = message(() -> y.sub(1).log());                 // log(0) = −inf
        assertTrue(l.contains("'log'") && l.contains("-Infinity") && l.contains("element 0"), l);
        // also under noGrad (an evaluation loop) and on tensors that need no gradient
        try (var s = Autograd.noGrad()) {
            String e = message(() -> Tensor.of(0).log());
            assertTrue(e.contains("'log'"), e);
        }
    }

    @Test
    void backwardNamesTheOpWhoseGradientIsNotFinite() {
        // sqrt at 0 is finite (0) forward, but d√x/dx = 1/(2√x) = inf: the backward of sqrt,
        // not the division inside its rule, is what the message must name
        Tensor x = Tensor.of(0, 1).requiresGrad(true);
        try (var s = Autograd.detectAnomaly()) {
            Tensor loss = x.sqrt().mul(3).sum();
            ArithmeticException e = assertThrows(ArithmeticException.class, loss::backward);
            assertTrue(e.getMessage().contains("'sqrt'") && e.getMessage().contains("backward")
                    && e.getMessage().contains("Infinity"), e.getMessage());
            assertFalse(e.getMessage().contains("'div'"), e.getMessage());
        }
        // without anomaly mode the same graph just produces inf
        Tensor y = Tensor.of(0, 1).requiresGrad(true);
        y.sqrt().mul(3).sum().backward();
        assertEquals(Double.POSITIVE_INFINITY, y.grad().toDoubleArray()[0]);
    }

    @Test
    void intendedInfinitiesAreNotAnomalies() {
        // a causal mask fills −inf on purpose; softmax turns it into 0. Neither op produced a
        // non-finite value from finite inputs, so anomaly mode lets it through, both ways.
        Tensor scores = Tensor.of(0.5f, 1, 2, -1).view(2, 2).requiresGrad(true);
        Tensor mask = Tensor.fromArray(new boolean[] {false, true, false, false}, 2, 2);
        try (var s = Autograd.detectAnomaly()) {
            Tensor p = F.softmax(scores.maskedFill(mask, Float.NEGATIVE_INFINITY), -1);
            assertDoesNotThrow(() -> p.mul(Tensor.of(1, 2, 3, 4).view(2, 2)).sum().backward());
        }
        assertEquals(0.0, scores.grad().get(0, 1), "the masked entry gets no gradient");
    }

    @Test
    void nanMadeFromInfinitiesIsStillAnAnomaly() {
        // a row masked entirely: softmax of [−inf, −inf] is 0/0 = NaN, made by softmax
        Tensor scores = Tensor.of(0.5f, 1).requiresGrad(true);
        Tensor mask = Tensor.fromArray(new boolean[] {true, true}, 2);
        String m = message(() -> F.softmax(scores.maskedFill(mask, Float.NEGATIVE_INFINITY), 0));
        assertTrue(m.contains("'softmax'") && m.contains("NaN"), m);
        // but NaN passed along by later ops is blamed on its maker only
        try (var s = Autograd.noGrad()) {
            Tensor nan = Tensor.of(Float.NaN);
            try (var a = Autograd.detectAnomaly()) {
                assertDoesNotThrow(() -> nan.add(1).exp());
            }
        }
    }

    @Test
    void scopesNest() {
        assertFalse(Autograd.isAnomalyEnabled());
        try (var a = Autograd.detectAnomaly()) {
            assertTrue(Autograd.isAnomalyEnabled());
            try (var n = Autograd.noGrad()) {
                assertFalse(Autograd.isGradEnabled());
                try (var e = Autograd.enableGrad()) {
                    assertTrue(Autograd.isGradEnabled());
                }
                assertFalse(Autograd.isGradEnabled());
            }
            assertTrue(Autograd.isGradEnabled());
        }
        assertFalse(Autograd.isAnomalyEnabled());
    }
}
