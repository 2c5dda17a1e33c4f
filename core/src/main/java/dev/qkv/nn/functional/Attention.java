package dev.qkv.nn.functional;

import dev.qkv.autograd.Autograd;
import dev.qkv.backend.AttentionArgs;
import dev.qkv.backend.AttentionDropout;
import dev.qkv.tensor.DType;
import dev.qkv.tensor.Generator;
import dev.qkv.tensor.Layout;
import dev.qkv.tensor.Tensor;

import java.util.Arrays;

/**
 * Scaled dot-product attention, with PyTorch's semantics ({@code F.scaled_dot_product_attention}):
 * <pre>
 *   out = softmax(q·kᵀ · scale + mask) · v        scale defaults to 1/√D
 * </pre>
 * Shapes: q [B, H, Tq, D], k [B, Hkv, Tk, D], v [B, Hkv, Tk, Dv] (3-D inputs mean B = 1); H must
 * be a multiple of Hkv: with Hkv &lt; H, each group of H/Hkv query heads shares one key/value
 * head (grouped-query attention), without copying k or v.
 *
 * <p>Masks broadcast to [B, H, Tq, Tk]. A BOOL mask is true where a query may attend (PyTorch's
 * convention); a float mask is added to the scores (−∞ hides a key). {@code isCausal} hides key
 * j from query i when j &gt; i + causalOffset; offset 0 is PyTorch's top-left alignment, and
 * {@code Tk − Tq} aligns the last query with the last key (what a KV cache needs).
 *
 * <p><b>Fully masked rows.</b> PyTorch returns NaN for a query whose keys are all masked (0/0 in
 * the softmax), which then poisons the gradients of everything before it. qkv returns zeros for
 * such a row and zero (finite) gradients through it, on both paths.
 *
 * <p>Two implementations, held equal by the tests: {@link #manual}, the teaching path built from
 * tensor ops (it stores the T×T attention matrix), and {@link #fused}, one FlashAttention-style
 * kernel each way whose memory grows with T·d only. Dropout uses a counter-based mask
 * ({@link AttentionDropout}) so both paths drop the same weights for the same generator state.
 */
public final class Attention {
    private Attention() {
    }

    /** Which implementation to run. AUTO picks the fused kernel. */
    public enum Impl { AUTO, MANUAL, FUSED }

    /** Attention without dropout, with the default scale 1/√D. */
    public static Tensor scaledDotProductAttention(Tensor q, Tensor k, Tensor v, Tensor attnMask, boolean isCausal) {
        return scaledDotProductAttention(q, k, v, attnMask, isCausal, 0.0, null, null);
    }

    /**
     * PyTorch's signature. {@code scale} null means 1/√D. Dropout (p &gt; 0) needs a generator;
     * pass dropoutP = 0 in evaluation.
     */
    public static Tensor scaledDotProductAttention(Tensor q, Tensor k, Tensor v, Tensor attnMask, boolean isCausal,
                                                   double dropoutP, Double scale, Generator generator) {
        return scaledDotProductAttention(q, k, v, attnMask, isCausal, 0, dropoutP, scale, generator, Impl.AUTO);
    }

    /** The full form: causal offset and a choice of implementation. */
    public static Tensor scaledDotProductAttention(Tensor q, Tensor k, Tensor v, Tensor attnMask, boolean isCausal,
                                                   int causalOffset, double dropoutP, Double scale,
                                                   Generator generator, Impl impl) {
        if (dropoutP < 0 || dropoutP >= 1) {
            throw new IllegalArgumentException("scaledDotProductAttention: dropoutP must be in [0, 1), got " + dropoutP);
        }
        if (dropoutP > 0 && generator == null) {
            throw new IllegalArgumentException("scaledDotProductAttention: dropoutP = " + dropoutP
                    + " needs a Generator (pass dropoutP = 0 in evaluation)");
        }
        boolean three = q.dim() == 3;
        Tensor q4 = three ? q.unsqueeze(0) : q;
        Tensor k4 = k.dim() == 3 ? k.unsqueeze(0) : k;
        Tensor v4 = v.dim() == 3 ? v.unsqueeze(0) : v;
        Dims s = Dims.check(q4, k4, v4);
        double sc = scale != null ? scale : 1.0 / Math.sqrt(s.d);
        long seed = dropoutP > 0 ? generator.nextLong() : 0L;
        Tensor additive = attnMask == null ? null : additiveMask(attnMask, q4, s);
        Tensor out = impl == Impl.MANUAL
                ? manual(q4, k4, v4, additive, isCausal, causalOffset, dropoutP, seed, sc, s)
                : fused(q4, k4, v4, additive, isCausal, causalOffset, dropoutP, seed, sc, s);
        return three ? out.squeeze(0) : out;
    }

    /** The dims of one attention call, checked once. */
    private record Dims(int b, int h, int hkv, int tq, int tk, int d, int dv) {
        static Dims check(Tensor q, Tensor k, Tensor v) {
            if (q.dim() != 4 || k.dim() != 4 || v.dim() != 4) {
                throw new IllegalArgumentException("scaledDotProductAttention: expects q [B, H, Tq, D], k [B, Hkv, Tk, D], "
                        + "v [B, Hkv, Tk, Dv] (or the same without B), got q " + Arrays.toString(q.shape()) + ", k "
                        + Arrays.toString(k.shape()) + ", v " + Arrays.toString(v.shape()));
            }
            int b = q.size(0), h = q.size(1), tq = q.size(2), d = q.size(3);
            int hkv = k.size(1), tk = k.size(2), dv = v.size(3);
            boolean ok = k.size(0) == b && v.size(0) == b && k.size(3) == d && v.size(1) == hkv && v.size(2) == tk
                    && hkv > 0 && h % hkv == 0;
            if (!ok) {
                throw new IllegalArgumentException("scaledDotProductAttention: q " + Arrays.toString(q.shape()) + ", k "
                        + Arrays.toString(k.shape()) + ", v " + Arrays.toString(v.shape()) + " do not fit: need equal B, "
                        + "equal D for q and k, equal Hkv and Tk for k and v, and H a multiple of Hkv");
            }
            if (q.dtype() != k.dtype() || q.dtype() != v.dtype() || !q.dtype().isFloating()) {
                throw new IllegalArgumentException("scaledDotProductAttention: q, k, v must share one floating dtype, got "
                        + q.dtype() + ", " + k.dtype() + ", " + v.dtype());
            }
            return new Dims(b, h, hkv, tq, tk, d, dv);
        }
    }

    /** A BOOL mask (true = attend) becomes 0/−∞; a float mask is used as it is. Checked to broadcast. */
    private static Tensor additiveMask(Tensor mask, Tensor q, Dims s) {
        int[] target = {s.b, s.h, s.tq, s.tk};
        try {
            mask.layout().expand(target);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("scaledDotProductAttention: mask of shape " + Arrays.toString(mask.shape())
                    + " does not broadcast to [B, H, Tq, Tk] = " + Arrays.toString(target));
        }
        if (mask.dtype() == DType.BOOL) {
            Tensor zero = Tensor.zeros(q.dtype(), q.device());
            Tensor minusInf = Tensor.zeros(q.dtype(), q.device()).fill_(Double.NEGATIVE_INFINITY);
            return Tensor.where(mask, zero, minusInf);
        }
        if (mask.dtype() != q.dtype()) {
            throw new IllegalArgumentException("scaledDotProductAttention: a float mask must have the query's dtype "
                    + q.dtype() + ", got " + mask.dtype());
        }
        return mask.detach();
    }

    /** BOOL [Tq, Tk]: true where the causal rule hides key j from query i (j > i + offset). */
    static Tensor causalHidden(int tq, int tk, int offset) {
        boolean[] hidden = new boolean[tq * tk];
        for (int i = 0; i < tq; i++) {
            for (int j = 0; j < tk; j++) {
                hidden[i * tk + j] = j > i + offset;
            }
        }
        return Tensor.fromArray(hidden, tq, tk);
    }

    /**
     * The teaching path: every step is a tensor op, the autograd derives the backward pass.
     * Stores the [B, H, Tq, Tk] attention matrix.
     */
    static Tensor manual(Tensor q, Tensor k, Tensor v, Tensor mask, boolean causal, int causalOffset,
                         double dropoutP, long seed, double scale, Dims s) {
        int g = s.h / s.hkv;
        // Grouped-query attention without copies: the G query heads that share a key/value head
        // are stacked as rows, so one matmul per (batch, kv head) serves the whole group.
        Tensor qg = q.reshape(s.b, s.hkv, g * s.tq, s.d);                        // (B, Hkv, G·Tq, D)
        Tensor scores = qg.matmul(k.transpose(-1, -2)).mul(scale);             // (B, Hkv, G·Tq, Tk)
        scores = scores.reshape(s.b, s.h, s.tq, s.tk);                         // (B, H, Tq, Tk)
        if (causal) {
            scores = scores.maskedFill(causalHidden(s.tq, s.tk, causalOffset).to(q.device()), Double.NEGATIVE_INFINITY);
        }
        if (mask != null) {
            scores = scores.add(mask);                                         // 0 to keep, −∞ to hide
        }
        // A row with every key hidden would be softmax(−∞, ..., −∞) = 0/0: make it all zeros.
        Tensor dead;
        try (var ng = Autograd.noGrad()) {
            dead = scores.max(-1, true).eq(Double.NEGATIVE_INFINITY);          // (B, H, Tq, 1)
        }
        Tensor attn = F.softmax(scores.maskedFill(dead, 0), -1).maskedFill(dead, 0);
        if (dropoutP > 0) {
            attn = attn.mul(dropoutFactors(seed, dropoutP, s).to(attn.dtype()).to(q.device()));
        }
        Tensor out = attn.reshape(s.b, s.hkv, g * s.tq, s.tk).matmul(v);        // (B, Hkv, G·Tq, Dv)
        return out.reshape(s.b, s.h, s.tq, s.dv);                              // (B, H, Tq, Dv)
    }

    /** The factors 1/(1−p) or 0 that the fused kernel applies, as a [B, H, Tq, Tk] tensor. */
    private static Tensor dropoutFactors(long seed, double p, Dims s) {
        double[] f = new double[s.b * s.h * s.tq * s.tk];
        int n = 0;
        for (int b = 0; b < s.b; b++) {
            for (int h = 0; h < s.h; h++) {
                for (int i = 0; i < s.tq; i++) {
                    for (int j = 0; j < s.tk; j++) {
                        f[n++] = AttentionDropout.factor(seed, p, b, h, i, j, s.h, s.tq, s.tk);
                    }
                }
            }
        }
        return Tensor.fromArray(f, s.b, s.h, s.tq, s.tk);
    }

    /** The fused path: one backend kernel forward, one backward, O(T·d) memory. */
    static Tensor fused(Tensor q, Tensor k, Tensor v, Tensor mask, boolean causal, int causalOffset,
                        double dropoutP, long seed, double scale, Dims s) {
        Tensor qd = Rows.dense(q.detach());
        Tensor kd = Rows.dense(k.detach());
        Tensor vd = Rows.dense(v.detach());
        Tensor out = Rows.uninitialized(q, s.b, s.h, s.tq, s.dv);   // the kernels write every row
        Tensor lse = Rows.uninitialized(q, s.b, s.h, s.tq);
        Layout maskLayout = mask == null ? null : mask.layout().expand(new int[] {s.b, s.h, s.tq, s.tk});
        AttentionArgs args = new AttentionArgs(s.b, s.h, s.hkv, s.tq, s.tk, s.d, s.dv,
                qd.storage(), kd.storage(), vd.storage(), mask == null ? null : mask.storage(), maskLayout,
                causal, causalOffset, scale, dropoutP, seed, out.storage(), lse.storage());
        q.backend().attentionForward(args);
        return Autograd.record("scaledDotProductAttention", out, g -> {
            Tensor gd = Rows.dense(g);
            Tensor dq = Rows.zeros(g, s.b, s.h, s.tq, s.d);
            Tensor dk = Rows.zeros(g, s.b, s.hkv, s.tk, s.d);
            Tensor dv = Rows.zeros(g, s.b, s.hkv, s.tk, s.dv);
            g.backend().attentionBackward(args, gd.storage(), dq.storage(), dk.storage(), dv.storage());
            return new Tensor[] {dq, dk, dv};
        }, q, k, v);
    }
}
