package dev.qkv.nn;

import dev.qkv.autograd.Autograd;
import dev.qkv.tensor.DType;
import dev.qkv.tensor.Generator;
import dev.qkv.tensor.Tensor;
import dev.qkv.testing.Rand;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class SwiGLUTest {

    @Test
    void computesDownOfSiluGateTimesUp() {
        SwiGLU m = new SwiGLU(2, 2, new Generator(0));
        try (var s = Autograd.noGrad()) {
            m.gateProj.weight.copy_(Tensor.fromArray(new float[] {1, 0, 0, 1}, 2, 2));   // gate = x
            m.upProj.weight.copy_(Tensor.fromArray(new float[] {2, 0, 0, -1}, 2, 2));   // up = [2·x0, −x1] = [2, 2]
            m.downProj.weight.copy_(Tensor.fromArray(new float[] {1, 1, 0, 1}, 2, 2));  // y = [h0 + h1, h1]
        }
        // x = [1, −2]: silu(1) = 1·σ(1) = 0.7310586, silu(−2) = −2·σ(−2) = −0.2384058
        // h = silu(gate)·up = [0.7310586·2, −0.2384058·2] = [1.4621172, −0.4768116]
        // y = [1.4621172 − 0.4768116, −0.4768116] = [0.9853056, −0.4768116]
        double silu1 = 1 / (1 + Math.exp(-1));                                      // silu(1)
        double siluM2 = -2 / (1 + Math.exp(2));                                     // silu(−2)
        double[] y = m.forward(Tensor.of(1, -2)).toDoubleArray();
        assertEquals(2 * silu1 + 2 * siluM2, y[0], 1e-6);                           // 0.9853056
        assertEquals(2 * siluM2, y[1], 1e-6);                                       // −0.4768116
    }

    @Test
    void namesAndShapesAreLlamas() {
        SwiGLU m = new SwiGLU(8, 12, new Generator(1));
        assertEquals(List.of("gate_proj.weight", "up_proj.weight", "down_proj.weight"),
                new ArrayList<>(m.namedParameters().keySet()));
        assertArrayEquals(new int[] {12, 8}, m.gateProj.weight.shape());
        assertArrayEquals(new int[] {8, 12}, m.downProj.weight.shape());
        assertArrayEquals(new int[] {2, 3, 8}, m.forward(Tensor.zeros(2, 3, 8)).shape());
    }

    @Test
    void gradients() {
        Generator g = new Generator(2);
        SwiGLU m = new SwiGLU(3, 5, g);
        m.to(DType.FLOAT64);
        ModuleGradCheck.check("SwiGLU", m, Rand.uniform(g, -2, 2, 2, 4, 3));
    }
}
