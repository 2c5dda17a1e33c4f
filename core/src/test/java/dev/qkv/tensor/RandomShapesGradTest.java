package dev.qkv.tensor;

import dev.qkv.testing.GradCheck;
import dev.qkv.testing.Rand;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

/**
 * Gradient checks on seeded random shapes: ranks 0–4, sizes 1–3, operands that broadcast
 * against each other (each dim of the second operand randomly 1 or the first's size, some
 * leading dims dropped), random reduction dims and random layouts.
 */
class RandomShapesGradTest {

    private static int[] randomShape(Generator g) {
        int[] s = new int[(int) g.nextLong(5)];
        for (int i = 0; i < s.length; i++) {
            s[i] = 1 + (int) g.nextLong(3);
        }
        return s;
    }

    /** A shape that broadcasts with {@code s}: some leading dims dropped, others set to 1. */
    private static int[] broadcastPartner(Generator g, int[] s) {
        int drop = (int) g.nextLong(s.length + 1);
        int[] p = Arrays.copyOfRange(s, drop, s.length);
        for (int i = 0; i < p.length; i++) {
            if (g.nextLong(2) == 0) {
                p[i] = 1;
            }
        }
        return p;
    }

    /** A FLOAT64 tensor of the shape, contiguous or (rank ≥ 2) a transposed or narrowed view. */
    private static Tensor input(Generator g, double lo, double hi, int[] s) {
        long kind = s.length >= 2 ? g.nextLong(3) : 0;
        return kind == 0 ? Rand.uniform(g, lo, hi, s)
                : kind == 1 ? Rand.transposedView(g, lo, hi, s) : Rand.narrowedView(g, lo, hi, s);
    }

    @Test
    void broadcastingBinaryOpsOnRandomShapes() {
        Generator g = new Generator(2024);
        for (int trial = 0; trial < 25; trial++) {
            int[] s = randomShape(g);
            int[] p = broadcastPartner(g, s);
            boolean swap = g.nextLong(2) == 0;                 // the smaller operand on either side
            Tensor a = input(g, 0.5, 2, swap ? p : s);
            Tensor b = input(g, 0.5, 2, swap ? s : p);
            String shapes = Arrays.toString(a.shape()) + " with " + Arrays.toString(b.shape());
            GradCheck.check("a·b + a/b − b " + shapes, in -> in[0].mul(in[1]).add(in[0].div(in[1])).sub(in[1]), a, b);
            Tensor cond = Rand.uniform(g, 0, 1, p).lt(0.5);
            GradCheck.check("where " + shapes, in -> Tensor.where(cond, in[0], in[1].pow(in[0])), a, b);
        }
    }

    @Test
    void reductionsOverRandomDims() {
        Generator g = new Generator(2025);
        for (int trial = 0; trial < 25; trial++) {
            int[] s = randomShape(g);
            Tensor x = input(g, -1, 1, s);
            int[] dims = java.util.stream.IntStream.range(0, s.length).filter(d -> g.nextLong(2) == 0)
                    .map(d -> g.nextLong(2) == 0 ? d : d - s.length).toArray();   // some as negative dims
            boolean keep = g.nextLong(2) == 0;
            String what = Arrays.toString(s) + " over " + Arrays.toString(dims) + (keep ? " keepDim" : "");
            GradCheck.check("sum·mean " + what, in -> in[0].sum(dims, keep).mul(in[0].mean(dims, keep)), x);
            if (x.numel() > 1 && dims.length > 0) {
                GradCheck.check("var " + what, in -> in[0].var(dims, keep, 0), x);
            }
        }
    }
}
