package dev.qkv.nn.functional;

import dev.qkv.tensor.Tensor;

import java.util.Arrays;

/**
 * Position information for attention: sinusoidal encodings (the original Transformer), rotary
 * embeddings (RoPE, in the rotate-half convention of GPT-NeoX/Llama and the interleaved
 * convention of GPT-J) and ALiBi biases. Learned absolute positions are an Embedding module.
 */
public final class Positions {
    private Positions() {
    }

    /**
     * The [T, C] sinusoidal table: PE[t, 2i] = sin(t / base^(2i/C)), PE[t, 2i+1] = cos(same),
     * with base 10000 in the original Transformer. C must be even.
     */
    public static Tensor sinusoidal(int t, int c, double base) {
        if (c % 2 != 0) {
            throw new IllegalArgumentException("sinusoidal: the embedding size must be even, got " + c);
        }
        float[] pe = new float[t * c];
        for (int pos = 0; pos < t; pos++) {
            for (int i = 0; i < c / 2; i++) {
                double angle = pos / Math.pow(base, 2.0 * i / c);
                pe[pos * c + 2 * i] = (float) Math.sin(angle);
                pe[pos * c + 2 * i + 1] = (float) Math.cos(angle);
            }
        }
        return Tensor.fromArray(pe, t, c);
    }

    /** RoPE's two ways of pairing the features of a head that rotate together. */
    public enum RopeStyle {
        /** Feature i pairs with i + D/2 (GPT-NeoX, Llama, Hugging Face's rotate_half). */
        ROTATE_HALF,
        /** Feature 2i pairs with 2i + 1 (GPT-J, the RoFormer paper). */
        INTERLEAVED
    }

    /**
     * Rotary position embedding settings.
     *
     * @param headDim      D, the number of features of a head that are rotated (even)
     * @param base         θ base of the frequencies θ_i = base^(−2i/D); 10000 in Llama 2
     * @param scaling      linear position scaling ("position interpolation"): positions are
     *                     divided by this factor; 1 for none
     * @param style        which features pair up
     */
    public record Rope(int headDim, double base, double scaling, RopeStyle style) {
        public Rope {
            if (headDim <= 0 || headDim % 2 != 0) {
                throw new IllegalArgumentException("Rope: headDim must be positive and even, got " + headDim);
            }
            if (!(base > 0) || !(scaling > 0)) {
                throw new IllegalArgumentException("Rope: base and scaling must be positive, got " + base + ", " + scaling);
            }
        }

        /** cos and sin tables [T, D] for positions offset..offset+T−1, laid out for the style. */
        public Tensor[] tables(int t, int offset) {
            int d = headDim;
            float[] cos = new float[t * d];
            float[] sin = new float[t * d];
            for (int p = 0; p < t; p++) {
                double pos = (offset + p) / scaling;
                for (int i = 0; i < d / 2; i++) {
                    double angle = pos * Math.pow(base, -2.0 * i / d);
                    float c = (float) Math.cos(angle);
                    float s = (float) Math.sin(angle);
                    // the two features of pair i get the same angle
                    int a = style == RopeStyle.ROTATE_HALF ? i : 2 * i;
                    int b = style == RopeStyle.ROTATE_HALF ? i + d / 2 : 2 * i + 1;
                    cos[p * d + a] = c;
                    cos[p * d + b] = c;
                    sin[p * d + a] = s;
                    sin[p * d + b] = s;
                }
            }
            return new Tensor[] {Tensor.fromArray(cos, t, d), Tensor.fromArray(sin, t, d)};
        }

        /**
         * Rotates x [..., T, D] for positions offset..offset+T−1: each pair (a, b) becomes
         * (a·cos − b·sin, b·cos + a·sin). Differentiable (built from tensor ops).
         */
        public Tensor apply(Tensor x, int offset) {
            if (x.dim() < 2 || x.size(-1) != headDim) {
                throw new IllegalArgumentException("Rope.apply: expects [..., T, " + headDim + "], got "
                        + Arrays.toString(x.shape()));
            }
            int t = x.size(-2);
            Tensor[] cs = tables(t, offset);
            Tensor cos = cs[0].to(x.dtype()).to(x.device());
            Tensor sin = cs[1].to(x.dtype()).to(x.device());
            return x.mul(cos).add(rotate(x).mul(sin));
        }

        /** The partner of each feature with the sign of the rotation: (a, b) → (−b, a). */
        private Tensor rotate(Tensor x) {
            int d = headDim;
            if (style == RopeStyle.ROTATE_HALF) {
                Tensor x1 = x.narrow(-1, 0, d / 2);
                Tensor x2 = x.narrow(-1, d / 2, d / 2);
                return Tensor.cat(java.util.List.of(x2.neg(), x1), -1);
            }
            int[] s = x.shape();
            int[] pairs = Arrays.copyOf(s, s.length + 1);
            pairs[s.length - 1] = d / 2;
            pairs[s.length] = 2;
            Tensor xp = x.reshape(pairs);                                // (..., D/2, 2)
            Tensor even = xp.select(-1, 0);
            Tensor odd = xp.select(-1, 1);
            return Tensor.stack(java.util.List.of(odd.neg(), even), -1).reshape(s);
        }
    }

    /**
     * ALiBi slopes for n heads: the geometric sequence 2^(−8/n), 2^(−16/n), ... for n a power of
     * two; otherwise the slopes of the nearest lower power of two followed by every other slope of
     * the next power of two (as in the paper's reference code).
     */
    public static double[] alibiSlopes(int n) {
        int pow2 = Integer.highestOneBit(n);
        double[] out = new double[n];
        double[] base = geometric(pow2);
        System.arraycopy(base, 0, out, 0, pow2);
        if (pow2 < n) {
            double[] extra = geometric(2 * pow2);
            for (int i = 0; i < n - pow2; i++) {
                out[pow2 + i] = extra[2 * i];
            }
        }
        return out;
    }

    private static double[] geometric(int n) {
        double start = Math.pow(2, -8.0 / n);
        double[] s = new double[n];
        for (int i = 0; i < n; i++) {
            s[i] = Math.pow(start, i + 1);
        }
        return s;
    }

    /**
     * The ALiBi additive bias [H, Tq, Tk]: −slope_h · (i + offset − j) for key j before query i,
     * i.e. a penalty growing linearly with distance. Keys after the query get a positive value that
     * a causal mask hides. Pass it as the float mask of scaled dot-product attention.
     */
    public static Tensor alibiBias(int heads, int tq, int tk, int offset) {
        double[] slopes = alibiSlopes(heads);
        float[] bias = new float[heads * tq * tk];
        for (int h = 0; h < heads; h++) {
            for (int i = 0; i < tq; i++) {
                for (int j = 0; j < tk; j++) {
                    bias[(h * tq + i) * tk + j] = (float) (-slopes[h] * (i + offset - j));
                }
            }
        }
        return Tensor.fromArray(bias, heads, tq, tk);
    }
}
