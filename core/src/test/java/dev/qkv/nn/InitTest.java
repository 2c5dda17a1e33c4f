package dev.qkv.nn;

import dev.qkv.tensor.DType;
import dev.qkv.tensor.Generator;
import dev.qkv.tensor.Tensor;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Initializers: fans, gains, bounds and spreads as torch.nn.init computes them. */
class InitTest {

    /** {max |v|, standard deviation around 0}. */
    private static double[] stats(Tensor t) {
        double max = 0;
        double sq = 0;
        for (double v : t.toDoubleArray()) {
            max = Math.max(max, Math.abs(v));
            sq += v * v;
        }
        return new double[] {max, Math.sqrt(sq / t.numel())};
    }

    @Test
    void fansCountTheReceptiveField() {
        assertArrayEquals(new int[] {3, 5}, Init.fans("t", Tensor.zeros(5, 3)));
        // A conv weight [out=6, in=4, 3, 3]: fanIn = 4·9, fanOut = 6·9
        assertArrayEquals(new int[] {36, 54}, Init.fans("t", Tensor.zeros(6, 4, 3, 3)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Init.xavierUniform_(Tensor.zeros(7), 1, new Generator(0)));
        assertTrue(e.getMessage().contains("xavierUniform_") && e.getMessage().contains("[7]"), e.getMessage());
    }

    @Test
    void gainsMatchPyTorch() {
        assertEquals(1, Init.calculateGain(Init.Nonlinearity.LINEAR, 0));
        assertEquals(5.0 / 3, Init.calculateGain(Init.Nonlinearity.TANH, 0));
        assertEquals(Math.sqrt(2), Init.calculateGain(Init.Nonlinearity.RELU, 0));
        // leaky_relu with a = √5: √(2/(1 + 5)) = √(1/3)
        assertEquals(Math.sqrt(1.0 / 3), Init.calculateGain(Init.Nonlinearity.LEAKY_RELU, Math.sqrt(5)), 1e-15);
        assertEquals(0.75, Init.calculateGain(Init.Nonlinearity.SELU, 0));
    }

    @Test
    void uniformAndNormalFillInPlace() {
        Tensor t = Tensor.zeros(4000);
        assertSame(t, Init.uniform_(t, 2, 3, new Generator(0)));
        double[] v = t.toDoubleArray();
        double mean = 0;
        for (double x : v) {
            assertTrue(x >= 2 && x < 3, "uniform value " + x);
            mean += x / v.length;
        }
        assertEquals(2.5, mean, 0.02);
        Init.normal_(t, 1, 0.5, new Generator(0));
        double m = t.mean().item();
        double sd = Math.sqrt(t.sub(m).square().mean().item());
        assertEquals(1, m, 0.03);
        assertEquals(0.5, sd, 0.03);
    }

    @Test
    void sameSeedSameValues() {
        Tensor a = Init.kaimingNormal_(Tensor.zeros(8, 8), 0, Init.FanMode.FAN_IN, Init.Nonlinearity.RELU, new Generator(5));
        Tensor b = Init.kaimingNormal_(Tensor.zeros(8, 8), 0, Init.FanMode.FAN_IN, Init.Nonlinearity.RELU, new Generator(5));
        assertArrayEquals(a.toFloatArray(), b.toFloatArray());
    }

    @Test
    void xavierAndKaimingBoundsAndSpreads() {
        Generator g = new Generator(7);
        // [out=200, in=50]
        double[] xu = stats(Init.xavierUniform_(Tensor.zeros(200, 50), 2, g));
        double xuBound = 2 * Math.sqrt(6.0 / 250);
        assertTrue(xu[0] <= xuBound && xu[0] > 0.99 * xuBound, "xavierUniform max " + xu[0]);
        double[] xn = stats(Init.xavierNormal_(Tensor.zeros(200, 50), 1, g));
        assertEquals(Math.sqrt(2.0 / 250), xn[1], 0.03 * Math.sqrt(2.0 / 250));
        double[] ku = stats(Init.kaimingUniform_(Tensor.zeros(200, 50), 0, Init.FanMode.FAN_OUT,
                Init.Nonlinearity.RELU, g));
        double kuBound = Math.sqrt(3) * Math.sqrt(2) / Math.sqrt(200);
        assertTrue(ku[0] <= kuBound && ku[0] > 0.99 * kuBound, "kaimingUniform max " + ku[0]);
        double[] kn = stats(Init.kaimingNormal_(Tensor.zeros(200, 50), 0, Init.FanMode.FAN_IN,
                Init.Nonlinearity.RELU, g));
        assertEquals(Math.sqrt(2.0 / 50), kn[1], 0.03 * Math.sqrt(2.0 / 50));
    }

    @Test
    void constantsAndParametersAndDoubles() {
        Parameter p = new Parameter(Tensor.zeros(2, 2));
        Init.ones_(p);                                     // a parameter requires grad: filled under noGrad
        assertArrayEquals(new float[] {1, 1, 1, 1}, p.toFloatArray());
        Init.zeros_(p);
        assertArrayEquals(new float[] {0, 0, 0, 0}, p.toFloatArray());
        Tensor d = Init.uniform_(Tensor.zeros(DType.FLOAT64, 3), 0, 1, new Generator(0));
        Generator g = new Generator(0);
        assertArrayEquals(new double[] {g.nextDouble(), g.nextDouble(), g.nextDouble()}, d.toDoubleArray());
        assertThrows(IllegalArgumentException.class, () -> Init.uniform_(Tensor.ofLongs(1), 0, 1, new Generator(0)));
    }
}
