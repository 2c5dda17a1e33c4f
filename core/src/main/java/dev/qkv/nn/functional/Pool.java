package dev.qkv.nn.functional;

import dev.qkv.tensor.Tensor;

import java.util.Arrays;

/**
 * 2-D max and average pooling, like {@code torch.nn.functional.max_pool2d} / {@code avg_pool2d}:
 * each channel on its own, every output pixel the max (or mean) of the window under it. Built
 * on {@link Conv}'s im2col: every window becomes a row, and the pooling is a reduction along
 * each row, so the gradient comes from the autograd (through gather or mean, then col2im).
 * Not here: ceil_mode, divisor_override, returned indices.
 */
public final class Pool {
    private Pool() {
    }

    /**
     * y[n, c, i, j] = max over the window of xpad[n, c, i·SH + a·DH, j·SW + b·DW], where xpad
     * is x padded with −∞ (padding never wins). The gradient goes to the first maximum of each
     * window in row-major order, as in PyTorch.
     *
     * @param x       [N, C, H, W], or [C, H, W]
     * @param kernel  (KH, KW) or one value
     * @param stride  (SH, SW) or one value; PyTorch's default is the kernel size
     * @param padding at most half the kernel on each side
     * @return [N, C, OH, OW] (or [C, OH, OW])
     */
    public static Tensor maxPool2d(Tensor x, int[] kernel, int[] stride, int[] padding, int[] dilation) {
        if (x.dim() == 3) {
            return maxPool2d(x.unsqueeze(0), kernel, stride, padding, dilation).squeeze(0);
        }
        Conv.Geometry g = geometry("maxPool2d", x, kernel, stride, padding, dilation);
        Tensor rows = windows("maxPool2d", x, g, Double.NEGATIVE_INFINITY);      // [N·C·OH·OW, KH·KW]
        // max via argmax + gather rather than max(dim): max shares the gradient among tied
        // values (common after a ReLU: a window of zeros), while PyTorch gives it to the first.
        Tensor first = rows.argmax(1, true);                                     // [N·C·OH·OW, 1]
        return rows.gather(1, first).view(g.n(), g.c(), g.oh(), g.ow());        // [N, C, OH, OW]
    }

    /** Kernel k, stride k, no padding: the classic 2x2 downsampling with k = 2. */
    public static Tensor maxPool2d(Tensor x, int kernel) {
        return maxPool2d(x, new int[] {kernel}, new int[] {kernel}, new int[] {0}, new int[] {1});
    }

    /**
     * y[n, c, i, j] = mean over the window of xpad[n, c, i·SH + a, j·SW + b], xpad padded with
     * zeros. With {@code countIncludePad} (PyTorch's default) every window divides by KH·KW;
     * without, by the number of its taps that fall inside x.
     */
    public static Tensor avgPool2d(Tensor x, int[] kernel, int[] stride, int[] padding, boolean countIncludePad) {
        if (x.dim() == 3) {
            return avgPool2d(x.unsqueeze(0), kernel, stride, padding, countIncludePad).squeeze(0);
        }
        Conv.Geometry g = geometry("avgPool2d", x, kernel, stride, padding, new int[] {1});
        Tensor rows = windows("avgPool2d", x, g, 0);                            // [N·C·OH·OW, KH·KW]
        if (countIncludePad || g.ph() == 0 && g.pw() == 0) {
            return rows.mean(1).view(g.n(), g.c(), g.oh(), g.ow());
        }
        Tensor sums = rows.sum(1).view(g.n() * g.c(), g.l());                  // [N·C, OH·OW]
        return sums.div(insideCounts(g).to(x.dtype()).to(x.device())).view(g.n(), g.c(), g.oh(), g.ow());
    }

    /** Kernel k, stride k, no padding. */
    public static Tensor avgPool2d(Tensor x, int kernel) {
        return avgPool2d(x, new int[] {kernel}, new int[] {kernel}, new int[] {0}, true);
    }

    /** [OH·OW]: how many taps of each window land inside the unpadded input. */
    private static Tensor insideCounts(Conv.Geometry g) {
        double[] counts = new double[g.l()];
        for (int i = 0; i < g.oh(); i++) {
            for (int j = 0; j < g.ow(); j++) {
                int rows = Math.min(i * g.sh() - g.ph() + g.kh(), g.h()) - Math.max(i * g.sh() - g.ph(), 0);
                int cols = Math.min(j * g.sw() - g.pw() + g.kw(), g.w()) - Math.max(j * g.sw() - g.pw(), 0);
                counts[i * g.ow() + j] = rows * cols;
            }
        }
        return Tensor.fromArray(counts, g.l());
    }

    private static Conv.Geometry geometry(String op, Tensor x, int[] kernel, int[] stride, int[] padding,
                                          int[] dilation) {
        if (x.dim() != 4) {
            throw new IllegalArgumentException(op + ": expects an input [N, C, H, W] or [C, H, W], got shape "
                    + Arrays.toString(x.shape()));
        }
        int[] k = Conv.pair(op, "kernel", kernel);
        int[] p = Conv.pair(op, "padding", padding);
        int[] d = Conv.pair(op, "dilation", dilation);
        if (p[0] > (d[0] * (k[0] - 1) + 1) / 2 || p[1] > (d[1] * (k[1] - 1) + 1) / 2) {
            // Wider padding would make windows that see only padding (PyTorch refuses them too).
            throw new IllegalArgumentException(op + ": padding " + Arrays.toString(p) + " must be at most half the "
                    + "(dilated) kernel " + Arrays.toString(k) + (d[0] * d[1] > 1 ? " with dilation " + Arrays.toString(d) : ""));
        }
        return Conv.Geometry.of(op, x.shape(), k[0], k[1], stride, padding, dilation);
    }

    /**
     * Every window as a row, [N·C·OH·OW, KH·KW]: each channel is pooled alike, so x is seen as
     * N·C images of one channel, and the taps of a window sit together for a fast reduction.
     */
    private static Tensor windows(String op, Tensor x, Conv.Geometry g, double padValue) {
        Conv.Geometry one = new Conv.Geometry(g.n() * g.c(), 1, g.h(), g.w(), g.kh(), g.kw(), g.sh(), g.sw(), g.ph(),
                g.pw(), g.dh(), g.dw(), g.oh(), g.ow());
        return Conv.im2col(op, x.reshape(g.n() * g.c(), 1, g.h(), g.w()), one, padValue,
                        Conv.C, Conv.N, Conv.OH, Conv.OW, Conv.KH, Conv.KW)   // [1, N·C, OH, OW, KH, KW]
                .view(g.n() * g.c() * g.l(), g.k());
    }
}
