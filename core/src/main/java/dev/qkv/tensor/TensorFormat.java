package dev.qkv.tensor;

import java.util.Arrays;
import java.util.Locale;

/**
 * PyTorch-like printing: nested brackets, values aligned to one width, and "..." in place of
 * the middle of long dims (more than 1000 elements in all: 3 from each end of every dim).
 */
final class TensorFormat {
    private TensorFormat() {
    }

    private static final int THRESHOLD = 1000;
    private static final int EDGE = 3;

    static String format(Tensor t) {
        double[] v = t.toDoubleArray();
        int[] shape = t.shape();
        boolean summarize = v.length > THRESHOLD;
        boolean integral = !t.dtype().isFloating();
        boolean sci = false;
        double maxAbs = 0;
        double minAbs = Double.POSITIVE_INFINITY;
        for (double x : v) {
            if (Double.isFinite(x) && x != 0) {
                maxAbs = Math.max(maxAbs, Math.abs(x));
                minAbs = Math.min(minAbs, Math.abs(x));
            }
        }
        if (!integral && maxAbs > 0 && (maxAbs >= 1e8 || minAbs < 1e-4)) {
            sci = true;
        }
        final boolean fSci = sci;
        java.util.function.DoubleFunction<String> fmt = x -> {
            if (t.dtype() == DType.BOOL) {
                return x != 0 ? "True" : "False";
            }
            if (integral) {
                return Long.toString((long) x);
            }
            if (Double.isNaN(x)) {
                return "nan";
            }
            if (Double.isInfinite(x)) {
                return x > 0 ? "inf" : "-inf";
            }
            // Locale.ROOT: a German default locale would print 1,5000
            return fSci ? String.format(Locale.ROOT, "%.4e", x) : String.format(Locale.ROOT, "%.4f", x);
        };
        int width = 0;
        for (double x : v) {
            width = Math.max(width, fmt.apply(x).length());
        }
        StringBuilder sb = new StringBuilder("tensor(");
        if (shape.length == 0) {
            sb.append(fmt.apply(v[0]));
        } else {
            append(sb, v, shape, 0, 0, Layout.contiguousStrides(shape), fmt, width, summarize, "tensor(".length());
        }
        sb.append(", shape=").append(Arrays.toString(shape));
        if (t.dtype() != DType.FLOAT32) {
            sb.append(", dtype=").append(t.dtype().name().toLowerCase());
        }
        if (!t.device().isCpu()) {
            sb.append(", device=").append(t.device());
        }
        if (t.gradFn() != null) {
            sb.append(", grad_fn=").append(t.gradFn());
        } else if (t.requiresGrad()) {
            sb.append(", requires_grad=true");
        }
        return sb.append(')').toString();
    }

    private static void append(StringBuilder sb, double[] v, int[] shape, int dim, int base, int[] strides,
                               java.util.function.DoubleFunction<String> fmt, int width, boolean summarize, int indent) {
        sb.append('[');
        int n = shape[dim];
        for (int i = 0; i < n; i++) {
            if (summarize && n > 2 * EDGE && i == EDGE) {
                sb.append(dim == shape.length - 1 ? "..., " : "...,\n" + " ".repeat(indent + dim + 1));
                i = n - EDGE - 1;
                continue;
            }
            int pos = base + i * strides[dim];
            if (dim == shape.length - 1) {
                String s = fmt.apply(v[pos]);
                sb.append(" ".repeat(width - s.length())).append(s);
            } else {
                append(sb, v, shape, dim + 1, pos, strides, fmt, width, summarize, indent);
            }
            if (i < n - 1) {
                sb.append(dim == shape.length - 1 ? ", " : "," + "\n".repeat(shape.length - dim - 1)
                        + " ".repeat(indent + dim + 1));
            }
        }
        sb.append(']');
    }
}
