package dev.qkv.nn.functional;

import dev.qkv.autograd.Autograd;
import dev.qkv.tensor.Layout;
import dev.qkv.tensor.Tensor;

import java.util.Arrays;

/**
 * 2-D convolution as im2col + one matrix product, like {@code torch.nn.functional.conv2d}.
 *
 * <p>Every output pixel of a convolution is a dot product between the kernel and the input
 * patch under it. im2col copies each patch into a column of a matrix, so the whole convolution
 * becomes one GEMM, the fastest kernel a backend has:
 *
 * <pre>
 *   cols = im2col(x)        [C·KH·KW, N·OH·OW]   column (n, oh, ow) = the patch under output pixel (oh, ow)
 *   y    = W · cols         [OC, N·OH·OW]        W viewed as [OC, C·KH·KW]
 * </pre>
 *
 * im2col itself is a single strided view of the (zero-padded) input, copied once; its backward,
 * col2im, adds each kernel offset's slice of the gradient back where it came from (patches
 * overlap, so the sums matter). Both are written with tensor ops (copy, slice, add_), so they
 * run on every backend; the matrix product's gradient comes from the autograd.
 *
 * <p>Dimension names: N batch, C input channels, H, W input height and width, OC output
 * channels, KH, KW kernel size, OH, OW output size, G groups. Not here: transposed convolution,
 * 1-D/3-D convolution, padding modes other than zeros.
 */
public final class Conv {
    private Conv() {
    }

    /**
     * The sizes of one convolution or pooling window sliding over an input: kernel (KH, KW),
     * stride (SH, SW), zero padding (PH, PW) on each side, dilation (DH, DW) and the output size
     * OH = ⌊(H + 2·PH − DH·(KH − 1) − 1)/SH⌋ + 1 (likewise OW).
     */
    record Geometry(int n, int c, int h, int w, int kh, int kw, int sh, int sw, int ph, int pw, int dh, int dw,
                    int oh, int ow) {

        static Geometry of(String op, int[] xShape, int kh, int kw, int[] stride, int[] padding, int[] dilation) {
            int[] s = pair(op, "stride", stride);
            int[] p = pair(op, "padding", padding);
            int[] d = pair(op, "dilation", dilation);
            if (kh <= 0 || kw <= 0 || s[0] <= 0 || s[1] <= 0 || d[0] <= 0 || d[1] <= 0 || p[0] < 0 || p[1] < 0) {
                throw new IllegalArgumentException(op + ": kernel " + kh + "x" + kw + ", stride " + Arrays.toString(s)
                        + " and dilation " + Arrays.toString(d) + " must be positive and padding "
                        + Arrays.toString(p) + " non-negative");
            }
            int h = xShape[2];
            int w = xShape[3];
            // The span the dilated kernel covers: DH·(KH − 1) + 1 input rows.
            int spanH = d[0] * (kh - 1) + 1;
            int spanW = d[1] * (kw - 1) + 1;
            if (h + 2 * p[0] < spanH || w + 2 * p[1] < spanW) {
                throw new IllegalArgumentException(op + ": the input of shape " + Arrays.toString(xShape)
                        + " padded by " + Arrays.toString(p) + " is " + (h + 2 * p[0]) + "x" + (w + 2 * p[1])
                        + ", smaller than the (dilated) kernel's " + spanH + "x" + spanW);
            }
            int oh = (h + 2 * p[0] - spanH) / s[0] + 1;
            int ow = (w + 2 * p[1] - spanW) / s[1] + 1;
            return new Geometry(xShape[0], xShape[1], h, w, kh, kw, s[0], s[1], p[0], p[1], d[0], d[1], oh, ow);
        }

        /** Output pixels per image, OH·OW. */
        int l() {
            return oh * ow;
        }

        /** Patch size per channel, KH·KW. */
        int k() {
            return kh * kw;
        }
    }

    /** A pair (height, width) from one value (both) or two. */
    static int[] pair(String op, String what, int[] v) {
        if (v.length == 1) {
            return new int[] {v[0], v[0]};
        }
        if (v.length != 2) {
            throw new IllegalArgumentException(op + ": " + what + " must have 1 or 2 values (height, width), got "
                    + Arrays.toString(v));
        }
        return v.clone();
    }

    // ===================================================================== conv2d

    /**
     * y[n, o, i, j] = bias[o] + Σ_{c, a, b} weight[o, c, a, b] · xpad[n, g·C/G + c, i·SH + a·DH, j·SW + b·DW]
     * for output channel o in group g = o / (OC/G), where xpad is x zero-padded by (PH, PW).
     *
     * @param x        [N, C, H, W], or [C, H, W] for one image
     * @param weight   [OC, C/G, KH, KW]
     * @param bias     [OC], or null
     * @param stride   (SH, SW) or one value for both
     * @param padding  zeros added on each side, (PH, PW) or one value
     * @param dilation spacing of the kernel taps, (DH, DW) or one value
     * @param groups   G: input and output channels split into G independent convolutions
     * @return [N, OC, OH, OW] (or [OC, OH, OW]), contiguous
     */
    public static Tensor conv2d(Tensor x, Tensor weight, Tensor bias, int[] stride, int[] padding, int[] dilation,
                                int groups) {
        if (x.dim() == 3) {                       // one image: a batch of one, as PyTorch accepts
            return conv2d(x.unsqueeze(0), weight, bias, stride, padding, dilation, groups).squeeze(0);
        }
        checkConv(x, weight, bias, groups);
        int oc = weight.size(0);
        int cg = weight.size(1);                  // input channels per group, C/G
        Geometry g = Geometry.of("conv2d", x.shape(), weight.size(2), weight.size(3), stride, padding, dilation);
        Tensor cols = im2col("conv2d", x, g, 0, CONV_ORDER)                   // [C, KH, KW, N, OH, OW]
                .view(g.c() * g.k(), g.n() * g.l());                           // [C·KH·KW, N·OH·OW]
        // Rows of cols are ordered (c, kh, kw), so group gi owns a contiguous block of C/G·KH·KW rows.
        Tensor w = weight.reshape(groups, oc / groups, cg * g.k());          // [G, OC/G, C/G·KH·KW]
        Tensor y = w.matmul(cols.view(groups, cg * g.k(), g.n() * g.l()))   // [G, OC/G, N·OH·OW]
                .view(oc, g.n() * g.l());                                      // [OC, N·OH·OW]
        if (bias != null) {
            // Added before the permute below, so its gradient is a sum along contiguous rows.
            y = y.add(bias.view(oc, 1));
        }
        return y.view(oc, g.n(), g.oh(), g.ow()).permute(1, 0, 2, 3).contiguous();   // [N, OC, OH, OW]
    }

    /** Stride, padding and dilation the same along height and width; one group. */
    public static Tensor conv2d(Tensor x, Tensor weight, Tensor bias, int stride, int padding) {
        return conv2d(x, weight, bias, new int[] {stride}, new int[] {padding}, new int[] {1}, 1);
    }

    private static void checkConv(Tensor x, Tensor weight, Tensor bias, int groups) {
        if (x.dim() != 4 || weight.dim() != 4) {
            throw new IllegalArgumentException("conv2d: expects input [N, C, H, W] (or [C, H, W]) and weight "
                    + "[OC, C/groups, KH, KW], got input " + Arrays.toString(x.shape()) + " and weight "
                    + Arrays.toString(weight.shape()));
        }
        if (!x.dtype().isFloating() || x.dtype() != weight.dtype() || bias != null && bias.dtype() != x.dtype()) {
            throw new IllegalArgumentException("conv2d: input, weight and bias must be floating tensors of one dtype, "
                    + "got " + x.dtype() + ", " + weight.dtype() + (bias == null ? "" : ", " + bias.dtype()));
        }
        if (!x.device().equals(weight.device()) || bias != null && !bias.device().equals(x.device())) {
            throw new IllegalArgumentException("conv2d: input (" + x.device() + "), weight (" + weight.device() + ")"
                    + (bias == null ? "" : " and bias (" + bias.device() + ")") + " must be on one device");
        }
        int c = x.size(1);
        int oc = weight.size(0);
        if (groups <= 0 || c % groups != 0 || oc % groups != 0 || weight.size(1) * groups != c) {
            throw new IllegalArgumentException("conv2d: input of shape " + Arrays.toString(x.shape()) + " has " + c
                    + " channels; with groups=" + groups + " the weight must be [OC, " + c + "/" + groups
                    + ", KH, KW] with OC divisible by " + groups + ", got weight " + Arrays.toString(weight.shape()));
        }
        if (bias != null && (bias.dim() != 1 || bias.size(0) != oc)) {
            throw new IllegalArgumentException("conv2d: bias must be [OC] = [" + oc + "], got "
                    + Arrays.toString(bias.shape()));
        }
    }

    // ===================================================================== unfold (im2col)

    /**
     * The sliding patches of x as columns, like {@code torch.nn.functional.unfold}: for x
     * [N, C, H, W], returns [N, C·KH·KW, OH·OW], where row (c, a, b) of column (i, j) of image n
     * holds xpad[n, c, i·SH + a·DH, j·SW + b·DW]. Differentiable (its backward is col2im).
     */
    public static Tensor unfold(Tensor x, int[] kernel, int[] dilation, int[] padding, int[] stride) {
        if (x.dim() != 4) {
            throw new IllegalArgumentException("unfold: expects an input [N, C, H, W], got shape "
                    + Arrays.toString(x.shape()));
        }
        int[] k = pair("unfold", "kernel", kernel);
        Geometry g = Geometry.of("unfold", x.shape(), k[0], k[1], stride, padding, dilation);
        return im2col("unfold", x, g, 0, CONV_ORDER)                          // [C, KH, KW, N, OH, OW]
                .view(g.c() * g.k(), g.n(), g.l()).permute(1, 0, 2);           // [N, C·KH·KW, OH·OW] (a view)
    }

    /** The dims of im2col's patch tensor: channel, kernel row, kernel column, image, output row, output column. */
    static final int C = 0, KH = 1, KW = 2, N = 3, OH = 4, OW = 5;
    /** [C, KH, KW, N, OH, OW]: a patch's values down each column of the convolution's matrix. */
    static final int[] CONV_ORDER = {C, KH, KW, N, OH, OW};

    /**
     * Every patch of x, copied into a fresh contiguous tensor: element (c, a, b, n, i, j) holds
     * xpad[n, c, i·SH + a·DH, j·SW + b·DW], where xpad is x padded with {@code padValue} (0 for
     * convolution, −∞ for max pooling). {@code order} permutes these six dims (e.g.
     * {@link #CONV_ORDER}), so a caller gets the layout its next op reads fastest.
     */
    static Tensor im2col(String op, Tensor x, Geometry g, double padValue, int... order) {
        if (!x.dtype().isFloating()) {
            throw new IllegalArgumentException(op + ": expects a floating input, got " + x.dtype());
        }
        Tensor src = x.detach();
        if (g.ph() > 0 || g.pw() > 0) {
            // A padded copy: [N, C, H + 2·PH, W + 2·PW] with x in the middle.
            src = Tensor.zeros(x.dtype(), x.device(), g.n(), g.c(), g.h() + 2 * g.ph(), g.w() + 2 * g.pw());
            if (padValue != 0) {
                src.fill_(padValue);
            }
            src.narrow(2, g.ph(), g.h()).narrow(3, g.pw(), g.w()).copy_(x.detach());
        }
        // All patches as one strided view, no copy: moving one kernel tap down moves DH rows,
        // moving one output pixel down moves SH rows. Shape [C, KH, KW, N, OH, OW].
        Layout s = src.layout();
        Layout patches = new Layout(new int[] {g.c(), g.kh(), g.kw(), g.n(), g.oh(), g.ow()},
                new int[] {s.stride(1), g.dh() * s.stride(2), g.dw() * s.stride(3), s.stride(0),
                    g.sh() * s.stride(2), g.sw() * s.stride(3)}, s.offset());
        Tensor cols = Tensor.fromStorage(src.storage(), patches).permute(order).contiguousCopy();   // the one copy
        int[] inverse = new int[order.length];
        for (int i = 0; i < order.length; i++) {
            inverse[order[i]] = i;
        }
        return Autograd.record("im2col", cols, gc -> new Tensor[] {col2im(gc.permute(inverse), g)}, x);
    }

    /** The backward of im2col: gradients [C, KH, KW, N, OH, OW] summed back into x's shape [N, C, H, W]. */
    private static Tensor col2im(Tensor gc, Geometry g) {
        Tensor gpad = Tensor.zeros(gc.dtype(), gc.device(), g.n(), g.c(), g.h() + 2 * g.ph(), g.w() + 2 * g.pw());
        for (int a = 0; a < g.kh(); a++) {
            for (int b = 0; b < g.kw(); b++) {
                // in the forward pass this was: cols[c, a, b, n, i, j] = xpad[n, c, i·SH + a·DH, j·SW + b·DW]
                // so now: xpad.grad[n, c, a·DH + i·SH, b·DW + j·SW] += gc[c, a, b, n, i, j] for all i, j,
                // a strided slice of xpad.grad; overlapping patches (stride < kernel) add up.
                Tensor hit = gpad.slice(2, a * g.dh(), a * g.dh() + (g.oh() - 1) * g.sh() + 1, g.sh())
                        .slice(3, b * g.dw(), b * g.dw() + (g.ow() - 1) * g.sw() + 1, g.sw());      // [N, C, OH, OW]
                hit.add_(gc.select(1, a).select(1, b).permute(1, 0, 2, 3));                     // [C, N, OH, OW] -> [N, C, OH, OW]
            }
        }
        return gpad.narrow(2, g.ph(), g.h()).narrow(3, g.pw(), g.w());          // the padding gets no gradient
    }
}
