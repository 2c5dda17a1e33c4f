package dev.qkv.nn.functional;

import dev.qkv.tensor.DType;
import dev.qkv.tensor.Generator;
import dev.qkv.tensor.Tensor;
import dev.qkv.testing.GradCheck;
import dev.qkv.testing.Rand;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Max and average pooling against nested loops, gradient checks, and the tie rule of max pooling. */
class PoolTest {

    /**
     * The definition: out[n, c, i, j] = max (or mean) over taps (a, b) of x[n, c, i·SH − PH + a·DH,
     * j·SW − PW + b·DW]; for max, taps outside x are skipped; for mean they count as zeros
     * (countIncludePad) or are left out of the divisor.
     */
    static double[] reference(Tensor xt, boolean max, int kh, int kw, int sh, int sw, int ph, int pw, int dh, int dw,
                              boolean countIncludePad) {
        double[] x = xt.toDoubleArray();
        int n = xt.size(0), c = xt.size(1), h = xt.size(2), w = xt.size(3);
        int oh = (h + 2 * ph - dh * (kh - 1) - 1) / sh + 1;
        int ow = (w + 2 * pw - dw * (kw - 1) - 1) / sw + 1;
        double[] y = new double[n * c * oh * ow];
        for (int nc = 0; nc < n * c; nc++) {
            for (int i = 0; i < oh; i++) {
                for (int j = 0; j < ow; j++) {
                    double best = Double.NEGATIVE_INFINITY;
                    double sum = 0;
                    int inside = 0;
                    for (int a = 0; a < kh; a++) {
                        for (int b = 0; b < kw; b++) {
                            int r = i * sh - ph + a * dh;
                            int s = j * sw - pw + b * dw;
                            if (r < 0 || r >= h || s < 0 || s >= w) {
                                continue;
                            }
                            double v = x[(nc * h + r) * w + s];
                            best = Math.max(best, v);
                            sum += v;
                            inside++;
                        }
                    }
                    y[(nc * oh + i) * ow + j] = max ? best : sum / (countIncludePad ? kh * kw : inside);
                }
            }
        }
        return y;
    }

    private static int[] p(int... v) {
        return v;
    }

    @Test
    void maxPoolMatchesTheLoopsAndItsGradientChecks() {
        Generator g = new Generator(1);
        // odd sizes: the last row/column that does not fill a window is dropped
        Tensor x = Rand.uniform(g, -1, 1, 2, 3, 7, 5);
        assertArrayEquals(reference(x, true, 2, 2, 2, 2, 0, 0, 1, 1, true), Pool.maxPool2d(x, 2).toDoubleArray(), 0);
        GradCheck.check("maxPool2d 2x2", in -> Pool.maxPool2d(in[0], 2), x);

        Tensor y = Rand.uniform(g, -1, 1, 2, 2, 8, 7);
        var conf = new int[][] {p(3, 2), p(2, 1), p(1, 1), p(1, 2)};       // kernel, stride, padding, dilation
        assertArrayEquals(reference(y, true, 3, 2, 2, 1, 1, 1, 1, 2, true),
                Pool.maxPool2d(y, conf[0], conf[1], conf[2], conf[3]).toDoubleArray(), 0);
        GradCheck.check("maxPool2d 3x2 stride (2,1) pad 1 dilation (1,2)",
                in -> Pool.maxPool2d(in[0], conf[0], conf[1], conf[2], conf[3]), y);
    }

    @Test
    void maxPoolGivesATiedWindowsGradientToItsFirstMaximum() {
        // a window of equal values (zeros after a ReLU): PyTorch routes the gradient to the first
        Tensor x = Tensor.zeros(DType.FLOAT64, 1, 1, 2, 4).requiresGrad(true);
        Pool.maxPool2d(x, 2).sum().backward();
        assertArrayEquals(new double[] {1, 0, 1, 0, 0, 0, 0, 0}, x.grad().toDoubleArray(), 0);
    }

    @Test
    void avgPoolMatchesTheLoopsWithAndWithoutPaddingInTheCount() {
        Generator g = new Generator(2);
        Tensor x = Rand.uniform(g, -1, 1, 2, 2, 7, 6);
        assertArrayEquals(reference(x, false, 2, 2, 2, 2, 0, 0, 1, 1, true), Pool.avgPool2d(x, 2).toDoubleArray(), 1e-15);
        for (boolean include : new boolean[] {true, false}) {
            double[] want = reference(x, false, 3, 3, 2, 1, 1, 1, 1, 1, include);
            assertArrayEquals(want, Pool.avgPool2d(x, p(3), p(2, 1), p(1), include).toDoubleArray(), 1e-15);
            GradCheck.check("avgPool2d 3x3 stride (2,1) pad 1 countIncludePad=" + include,
                    in -> Pool.avgPool2d(in[0], p(3), p(2, 1), p(1), include), x);
        }
    }

    @Test
    void threeDimInputIsOneImage() {
        Tensor x = Rand.uniform(new Generator(3), -1, 1, 2, 4, 4);
        assertArrayEquals(new int[] {2, 2, 2}, Pool.maxPool2d(x, 2).shape());
        assertArrayEquals(Pool.avgPool2d(x.unsqueeze(0), 2).toDoubleArray(), Pool.avgPool2d(x, 2).toDoubleArray(), 0);
    }

    @Test
    void errorsNameTheOp() {
        Tensor x = Tensor.zeros(DType.FLOAT64, 1, 1, 4, 4);
        var e = assertThrows(IllegalArgumentException.class, () -> Pool.maxPool2d(x, p(2), p(2), p(2), p(1)));
        assertTrue(e.getMessage().startsWith("maxPool2d: padding [2, 2] must be at most half"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Pool.avgPool2d(x, 5));
        assertTrue(e.getMessage().startsWith("avgPool2d:") && e.getMessage().contains("[1, 1, 4, 4]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Pool.maxPool2d(Tensor.zeros(4, 4), 2));
        assertTrue(e.getMessage().contains("[N, C, H, W]"), e.getMessage());
    }
}
