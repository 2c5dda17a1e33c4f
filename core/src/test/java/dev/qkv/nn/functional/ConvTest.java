package dev.qkv.nn.functional;

import dev.qkv.tensor.DType;
import dev.qkv.tensor.Generator;
import dev.qkv.tensor.Tensor;
import dev.qkv.testing.GradCheck;
import dev.qkv.testing.Rand;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * conv2d and unfold against a plain nested-loop convolution (in this file), gradient checks in
 * double precision on odd sizes, strides, padding, dilation and groups, and error messages.
 */
class ConvTest {

    /**
     * The definition, one multiply-add at a time: y[n, o, i, j] = b[o] + Σ_{c, a, bb}
     * w[o, c, a, bb]·x[n, gi·C/G + c, i·SH − PH + a·DH, j·SW − PW + bb·DW], taps outside x count as 0.
     */
    static double[] reference(Tensor xt, Tensor wt, Tensor bt, int sh, int sw, int ph, int pw, int dh, int dw, int groups) {
        double[] x = xt.toDoubleArray();
        double[] w = wt.toDoubleArray();
        double[] b = bt == null ? null : bt.toDoubleArray();
        int n = xt.size(0), c = xt.size(1), h = xt.size(2), wd = xt.size(3);
        int oc = wt.size(0), cg = wt.size(1), kh = wt.size(2), kw = wt.size(3);
        int oh = (h + 2 * ph - dh * (kh - 1) - 1) / sh + 1;
        int ow = (wd + 2 * pw - dw * (kw - 1) - 1) / sw + 1;
        double[] y = new double[n * oc * oh * ow];
        for (int in = 0; in < n; in++) {
            for (int o = 0; o < oc; o++) {
                int group = o / (oc / groups);
                for (int i = 0; i < oh; i++) {
                    for (int j = 0; j < ow; j++) {
                        double acc = b == null ? 0 : b[o];
                        for (int ci = 0; ci < cg; ci++) {
                            for (int a = 0; a < kh; a++) {
                                for (int bb = 0; bb < kw; bb++) {
                                    int r = i * sh - ph + a * dh;           // input row under tap (a, bb)
                                    int s = j * sw - pw + bb * dw;          // input column
                                    if (r < 0 || r >= h || s < 0 || s >= wd) {
                                        continue;                           // zero padding
                                    }
                                    int chan = group * cg + ci;
                                    acc += w[((o * cg + ci) * kh + a) * kw + bb] * x[((in * c + chan) * h + r) * wd + s];
                                }
                            }
                        }
                        y[((in * oc + o) * oh + i) * ow + j] = acc;
                    }
                }
            }
        }
        return y;
    }

    /** One configuration: forward equals the reference, and the gradients pass the finite-difference check. */
    private static void checkConfig(String what, int[] xs, int[] ws, boolean bias, int[] stride, int[] pad, int[] dil,
                                    int groups, long seed) {
        Generator g = new Generator(seed);
        Tensor x = Rand.uniform(g, -1, 1, xs);
        Tensor w = Rand.uniform(g, -1, 1, ws);
        Tensor b = bias ? Rand.uniform(g, -1, 1, ws[0]) : null;
        Tensor y = Conv.conv2d(x, w, b, stride, pad, dil, groups);
        double[] want = reference(x, w, b, stride[0], stride[1], pad[0], pad[1], dil[0], dil[1], groups);
        assertArrayEquals(want, y.toDoubleArray(), 1e-12, what + ": forward");
        if (bias) {
            GradCheck.check(what, in -> Conv.conv2d(in[0], in[1], in[2], stride, pad, dil, groups), x, w, b);
        } else {
            GradCheck.check(what, in -> Conv.conv2d(in[0], in[1], null, stride, pad, dil, groups), x, w);
        }
    }

    @Test
    void plainConvolutionMatchesTheLoops() {
        checkConfig("3x3, no padding", new int[] {2, 3, 5, 6}, new int[] {4, 3, 3, 3}, true,
                new int[] {1, 1}, new int[] {0, 0}, new int[] {1, 1}, 1, 1);
    }

    @Test
    void paddingAndOddSizes() {
        checkConfig("3x2 kernel, padding (1, 2)", new int[] {2, 2, 7, 5}, new int[] {3, 2, 3, 2}, true,
                new int[] {1, 1}, new int[] {1, 2}, new int[] {1, 1}, 1, 2);
    }

    @Test
    void strideLargerThanOneSkipsPositions() {
        checkConfig("stride (2, 3), padding 1", new int[] {1, 2, 9, 8}, new int[] {2, 2, 3, 3}, true,
                new int[] {2, 3}, new int[] {1, 1}, new int[] {1, 1}, 1, 3);
        // stride larger than the kernel: some inputs are never read and must get zero gradient
        checkConfig("stride 3 > kernel 2", new int[] {1, 1, 7, 7}, new int[] {2, 1, 2, 2}, true,
                new int[] {3, 3}, new int[] {0, 0}, new int[] {1, 1}, 1, 4);
    }

    @Test
    void dilationSpreadsTheTaps() {
        checkConfig("dilation (2, 1), stride 2, padding 2", new int[] {2, 1, 9, 7}, new int[] {2, 1, 3, 3}, false,
                new int[] {2, 2}, new int[] {2, 2}, new int[] {2, 1}, 1, 5);
    }

    @Test
    void groupsConvolveChannelBlocksSeparately() {
        checkConfig("groups 2", new int[] {2, 4, 5, 5}, new int[] {6, 2, 3, 3}, true,
                new int[] {1, 1}, new int[] {1, 1}, new int[] {1, 1}, 2, 6);
        checkConfig("depthwise (groups = channels)", new int[] {1, 3, 6, 5}, new int[] {3, 1, 2, 3}, false,
                new int[] {2, 1}, new int[] {0, 1}, new int[] {1, 1}, 3, 7);
    }

    @Test
    void nonContiguousInputIsReadThroughItsStrides() {
        Generator g = new Generator(8);
        Tensor x = Rand.transposedView(g, -1, 1, 2, 3, 6, 5);                 // [2, 3, 6, 5], W and H swapped in memory
        Tensor w = Rand.uniform(g, -1, 1, 2, 3, 3, 3);
        assertTrue(!x.isContiguous());
        Tensor y = Conv.conv2d(x, w, null, 2, 1);
        assertArrayEquals(reference(x, w, null, 2, 2, 1, 1, 1, 1, 1), y.toDoubleArray(), 1e-12);
        GradCheck.check("transposed input", in -> Conv.conv2d(in[0], in[1], null, 2, 1), x, w);
    }

    @Test
    void oneImageWithoutBatchDim() {
        Generator g = new Generator(9);
        Tensor x = Rand.uniform(g, -1, 1, 2, 5, 4);
        Tensor w = Rand.uniform(g, -1, 1, 3, 2, 3, 3);
        Tensor y = Conv.conv2d(x, w, null, 1, 1);
        assertArrayEquals(new int[] {3, 5, 4}, y.shape());
        assertArrayEquals(Conv.conv2d(x.unsqueeze(0), w, null, 1, 1).toDoubleArray(), y.toDoubleArray(), 0);
    }

    @Test
    void oneByOneKernelIsAMatrixProductOverChannels() {
        // y[n, :, i, j] = W·x[n, :, i, j]: a 1x1 convolution mixes channels at each pixel
        Tensor x = Tensor.fromArray(new double[] {1, 2, 3, 4, 10, 20, 30, 40}, 1, 2, 2, 2);
        Tensor w = Tensor.fromArray(new double[] {1, 1, 2, -1}, 2, 2, 1, 1);
        Tensor y = Conv.conv2d(x, w, null, 1, 0);
        assertArrayEquals(new double[] {11, 22, 33, 44, -8, -16, -24, -32}, y.toDoubleArray(), 0);
    }

    @Test
    void float32MatchesFloat64() {
        Generator g = new Generator(10);
        Tensor x = Rand.uniform(g, -1, 1, 3, 4, 9, 8);
        Tensor w = Rand.uniform(g, -1, 1, 5, 4, 3, 3);
        Tensor b = Rand.uniform(g, -1, 1, 5);
        Tensor y64 = Conv.conv2d(x, w, b, 2, 1);
        Tensor y32 = Conv.conv2d(x.to(DType.FLOAT32), w.to(DType.FLOAT32), b.to(DType.FLOAT32), 2, 1);
        assertEquals(DType.FLOAT32, y32.dtype());
        assertTrue(y32.to(DType.FLOAT64).allClose(y64, 1e-5, 1e-5));
    }

    @Test
    void unfoldHasPyTorchsLayout() {
        // x = [[0 1 2] [3 4 5] [6 7 8]], 2x2 patches: columns are the 4 patches, rows the taps
        Tensor x = Tensor.fromArray(new double[] {0, 1, 2, 3, 4, 5, 6, 7, 8}, 1, 1, 3, 3);
        Tensor u = Conv.unfold(x, new int[] {2}, new int[] {1}, new int[] {0}, new int[] {1});
        assertArrayEquals(new int[] {1, 4, 4}, u.shape());
        assertArrayEquals(new double[] {
            0, 1, 3, 4,        // tap (0, 0) of patches (0,0) (0,1) (1,0) (1,1)
            1, 2, 4, 5,        // tap (0, 1)
            3, 4, 6, 7,        // tap (1, 0)
            4, 5, 7, 8}, u.toDoubleArray(), 0);
        Generator g = new Generator(11);
        GradCheck.check("unfold, overlapping patches", in -> Conv.unfold(in[0], new int[] {3, 2}, new int[] {1, 2},
                new int[] {1, 1}, new int[] {1, 2}), Rand.uniform(g, -1, 1, 2, 2, 5, 6));
    }

    @Test
    void errorsNameTheOpAndTheShapes() {
        Tensor x = Tensor.zeros(DType.FLOAT64, 2, 3, 5, 5);
        var e = assertThrows(IllegalArgumentException.class,
                () -> Conv.conv2d(x, Tensor.zeros(DType.FLOAT64, 4, 2, 3, 3), null, 1, 0));
        assertTrue(e.getMessage().contains("conv2d") && e.getMessage().contains("[2, 3, 5, 5]")
                && e.getMessage().contains("[4, 2, 3, 3]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Conv.conv2d(x, Tensor.zeros(DType.FLOAT64, 4, 3, 7, 7), null, 1, 0));
        assertTrue(e.getMessage().contains("smaller than the (dilated) kernel's 7x7"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Conv.conv2d(x, Tensor.zeros(DType.FLOAT32, 4, 3, 3, 3), null, 1, 0));
        assertTrue(e.getMessage().contains("one dtype"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Conv.conv2d(x, Tensor.zeros(DType.FLOAT64, 4, 3, 3, 3), Tensor.zeros(DType.FLOAT64, 3), 1, 0));
        assertTrue(e.getMessage().contains("bias must be [OC] = [4]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Conv.conv2d(x, Tensor.zeros(DType.FLOAT64, 4, 3, 3, 3), null, 0, 0));
        assertTrue(e.getMessage().contains("stride"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Conv.conv2d(Tensor.zeros(DType.FLOAT64, 5, 5), Tensor.zeros(DType.FLOAT64, 4, 3, 3, 3), null, 1, 0));
        assertTrue(e.getMessage().contains("[N, C, H, W]"), e.getMessage());
    }
}
