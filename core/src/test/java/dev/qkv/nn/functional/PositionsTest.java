package dev.qkv.nn.functional;

import dev.qkv.nn.functional.Positions.Rope;
import dev.qkv.nn.functional.Positions.RopeStyle;
import dev.qkv.tensor.Generator;
import dev.qkv.tensor.Tensor;
import dev.qkv.testing.GradCheck;
import dev.qkv.testing.Rand;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class PositionsTest {

    @Test
    void sinusoidalTableFollowsTheFormula() {
        Tensor pe = Positions.sinusoidal(5, 6, 10000);
        // PE[t, 2i] = sin(t / 10000^(2i/6)), PE[t, 2i+1] = cos(...)
        assertEquals(0.0, pe.get(0, 0), 1e-7);
        assertEquals(1.0, pe.get(0, 1), 1e-7);
        assertEquals(Math.sin(3), pe.get(3, 0), 1e-6);
        assertEquals(Math.cos(4 / Math.pow(10000, 4.0 / 6)), pe.get(4, 5), 1e-6);
        assertThrows(IllegalArgumentException.class, () -> Positions.sinusoidal(2, 5, 10000));
    }

    @Test
    void ropeScoresDependOnlyOnRelativePosition() {
        Generator g = new Generator(1);
        for (RopeStyle style : RopeStyle.values()) {
            Rope rope = new Rope(8, 10000, 1, style);
            Tensor q = Tensor.randn(g, 1, 8);
            Tensor k = Tensor.randn(g, 1, 8);
            // <rope(q, m), rope(k, n)> is a function of m − n only
            double a = rope.apply(q, 7).mul(rope.apply(k, 3)).sum().item();
            double b = rope.apply(q, 14).mul(rope.apply(k, 10)).sum().item();
            assertEquals(a, b, 1e-4, style.name());
            // rotations keep the norm
            assertEquals(q.square().sum().item(), rope.apply(q, 5).square().sum().item(), 1e-4);
        }
    }

    @Test
    void ropeRotatesEachPairByItsAngle() {
        // D = 4: pair 0 has θ0 = 1, pair 1 has θ1 = base^(-1/2) = 0.01 for base 10000; position 2
        Tensor x = Tensor.of(1, 2, 3, 4).reshape(1, 4);
        double a0 = 2 * 1.0;
        double a1 = 2 * 0.01;
        Tensor half = new Rope(4, 10000, 1, RopeStyle.ROTATE_HALF).apply(x, 2);
        // rotate-half pairs (x0, x2) and (x1, x3)
        float[] expectHalf = {
            (float) (1 * Math.cos(a0) - 3 * Math.sin(a0)), (float) (2 * Math.cos(a1) - 4 * Math.sin(a1)),
            (float) (3 * Math.cos(a0) + 1 * Math.sin(a0)), (float) (4 * Math.cos(a1) + 2 * Math.sin(a1))};
        assertArrayEquals(expectHalf, half.toFloatArray(), 1e-5f);
        Tensor inter = new Rope(4, 10000, 1, RopeStyle.INTERLEAVED).apply(x, 2);
        // interleaved pairs (x0, x1) and (x2, x3)
        float[] expectInter = {
            (float) (1 * Math.cos(a0) - 2 * Math.sin(a0)), (float) (2 * Math.cos(a0) + 1 * Math.sin(a0)),
            (float) (3 * Math.cos(a1) - 4 * Math.sin(a1)), (float) (4 * Math.cos(a1) + 3 * Math.sin(a1))};
        assertArrayEquals(expectInter, inter.toFloatArray(), 1e-5f);
        // linear scaling 2 at position 4 equals no scaling at position 2
        assertArrayEquals(half.toFloatArray(), new Rope(4, 10000, 2, RopeStyle.ROTATE_HALF).apply(x, 4).toFloatArray(), 1e-6f);
    }

    @Test
    void ropeGradients() {
        Generator g = new Generator(2);
        for (RopeStyle style : RopeStyle.values()) {
            Rope rope = new Rope(6, 500, 1.5, style);
            GradCheck.check("rope " + style, in -> rope.apply(in[0], 3), Rand.uniform(g, -1, 1, 2, 3, 4, 6));
        }
    }

    @Test
    void alibiSlopesMatchThePaper() {
        assertArrayEquals(new double[] {1 / 2.0, 1 / 4.0, 1 / 8.0, 1 / 16.0, 1 / 32.0, 1 / 64.0, 1 / 128.0, 1 / 256.0},
                Positions.alibiSlopes(8), 1e-12);
        // 6 heads: the 4-head slopes, then every other 8-head slope
        assertArrayEquals(new double[] {1 / 4.0, 1 / 16.0, 1 / 64.0, 1 / 256.0, 1 / 2.0, 1 / 8.0},
                Positions.alibiSlopes(6), 1e-12);
        Tensor bias = Positions.alibiBias(2, 3, 3, 0);
        assertEquals(-2.0 / 16, bias.get(0, 2, 0), 1e-7);   // 2 heads: slopes 2^-4, 2^-8; distance 2
        assertEquals(0.0, bias.get(1, 1, 1), 1e-7);
    }
}
