package dev.qkv.optim;

import dev.qkv.nn.Parameter;
import dev.qkv.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

class GradClipTest {

    @Test
    void scalesAllGradientsByTheGlobalNorm() {
        Parameter a = new Parameter(Tensor.zeros(2));
        Parameter b = new Parameter(Tensor.zeros(1));
        Parameter none = new Parameter(Tensor.zeros(3));
        a.setGrad(Tensor.of(3, 4));
        b.setGrad(Tensor.of(12));
        // total = √(9 + 16 + 144) = 13; scale = 1/(13 + 1e-6)
        double total = GradClip.clipGradNorm(List.of(a, b, none), 1.0);
        assertEquals(13, total, 1e-5);
        float s = (float) (1 / (13 + 1e-6));
        assertArrayEquals(new float[] {3 * s, 4 * s}, a.grad().toFloatArray(), 1e-7f);
        assertArrayEquals(new float[] {12 * s}, b.grad().toFloatArray(), 1e-7f);
        assertNull(none.grad());
    }

    @Test
    void leavesSmallGradientsAlone() {
        Parameter a = new Parameter(Tensor.zeros(2));
        a.setGrad(Tensor.of(3, 4));
        assertEquals(5, GradClip.clipGradNorm(List.of(a), 5.1), 1e-6);
        assertArrayEquals(new float[] {3, 4}, a.grad().toFloatArray());
        assertEquals(0, GradClip.clipGradNorm(List.of(new Parameter(Tensor.zeros(1))), 1));
        assertThrows(IllegalArgumentException.class, () -> GradClip.clipGradNorm(List.of(a), -1));
    }
}
