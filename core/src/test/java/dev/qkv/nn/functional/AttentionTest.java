package dev.qkv.nn.functional;

import dev.qkv.nn.functional.Attention.Impl;
import dev.qkv.tensor.DType;
import dev.qkv.tensor.Generator;
import dev.qkv.tensor.Tensor;
import dev.qkv.testing.GradCheck;
import dev.qkv.testing.Rand;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The teaching path and the fused kernel, held equal forward and backward. */
class AttentionTest {

    private static Tensor sdpa(Tensor q, Tensor k, Tensor v, Tensor mask, boolean causal, int offset, double p,
                               long seed, Impl impl) {
        return Attention.scaledDotProductAttention(q, k, v, mask, causal, offset, p, null,
                p > 0 ? new Generator(seed) : null, impl);
    }

    /** Forward and all three input gradients of both paths agree (float32: vector kernel vs manual). */
    private static void assertPathsAgree(String what, int b, int h, int hkv, int tq, int tk, int d, int dv,
                                         Tensor mask, boolean causal, int offset, double p) {
        Generator g = new Generator(what.hashCode());
        Tensor q = Tensor.randn(g, b, h, tq, d);
        Tensor k = Tensor.randn(g, b, hkv, tk, d);
        Tensor v = Tensor.randn(g, b, hkv, tk, dv);
        Tensor upstream = Tensor.randn(g, b, h, tq, dv);
        Tensor[][] grads = new Tensor[2][];
        Tensor[] outs = new Tensor[2];
        Impl[] impls = {Impl.MANUAL, Impl.FUSED};
        for (int m = 0; m < 2; m++) {
            Tensor ql = q.detach().requiresGrad(true);
            Tensor kl = k.detach().requiresGrad(true);
            Tensor vl = v.detach().requiresGrad(true);
            outs[m] = sdpa(ql, kl, vl, mask, causal, offset, p, 99, impls[m]);
            outs[m].mul(upstream).sum().backward();
            grads[m] = new Tensor[] {ql.grad(), kl.grad(), vl.grad()};
        }
        assertClose(what + " forward", outs[0], outs[1]);
        String[] names = {"dq", "dk", "dv"};
        for (int i = 0; i < 3; i++) {
            assertClose(what + " " + names[i], grads[0][i], grads[1][i]);
        }
    }

    private static void assertClose(String what, Tensor expected, Tensor actual) {
        assertEquals(Arrays.toString(expected.shape()), Arrays.toString(actual.shape()), what + " shape");
        double[] e = expected.toDoubleArray();
        double[] a = actual.toDoubleArray();
        for (int i = 0; i < e.length; i++) {
            assertTrue(Double.isFinite(a[i]), what + ": non-finite value at " + i);
            assertTrue(Math.abs(e[i] - a[i]) <= 2e-5 + 2e-4 * Math.abs(e[i]),
                    what + " differs at " + i + ": " + e[i] + " vs " + a[i]);
        }
    }

    @Test
    void pathsAgreeWithoutMasks() {
        assertPathsAgree("plain", 2, 3, 3, 7, 9, 5, 6, null, false, 0, 0);
        assertPathsAgree("single", 1, 1, 1, 1, 1, 1, 1, null, false, 0, 0);
        assertPathsAgree("wide", 1, 2, 2, 5, 37, 17, 33, null, false, 0, 0);
    }

    @Test
    void pathsAgreeForCausalAndGroupedQueryAttention() {
        assertPathsAgree("causal", 2, 2, 2, 11, 11, 8, 8, null, true, 0, 0);
        assertPathsAgree("causal kv-cache offset", 1, 2, 2, 3, 10, 8, 8, null, true, 7, 0);
        assertPathsAgree("gqa", 2, 6, 2, 5, 7, 4, 3, null, false, 0, 0);
        assertPathsAgree("gqa causal", 1, 4, 1, 9, 9, 16, 16, null, true, 0, 0);
    }

    @Test
    void pathsAgreeWithBooleanFloatAndPaddingMasks() {
        Generator g = new Generator(5);
        Tensor bool = Tensor.rand(g, 2, 1, 6, 8).lt(0.7);                    // broadcast over heads
        assertPathsAgree("bool mask", 2, 3, 3, 6, 8, 4, 4, bool, false, 0, 0);
        Tensor additive = Tensor.randn(g, 6, 8);                             // broadcast over B and H
        assertPathsAgree("float mask", 2, 2, 1, 6, 8, 4, 5, additive, true, 0, 0);
        // key padding: batch 0 sees 5 keys, batch 1 sees 3
        boolean[] keep = new boolean[2 * 8];
        for (int j = 0; j < 8; j++) {
            keep[j] = j < 5;
            keep[8 + j] = j < 3;
        }
        Tensor padding = Tensor.fromArray(keep, 2, 1, 1, 8);
        assertPathsAgree("key padding", 2, 2, 2, 4, 8, 8, 8, padding, false, 0, 0);
    }

    /** Long sequences: the fused kernel works in blocks of query rows; cross their edges. */
    @Test
    void pathsAgreeAcrossQueryBlocks() {
        assertPathsAgree("long causal", 1, 2, 2, 150, 150, 16, 8, null, true, 0, 0);
        assertPathsAgree("long gqa, kv-cache offset", 1, 4, 2, 70, 135, 8, 12, null, true, 65, 0);
        assertPathsAgree("long, negative offset", 1, 1, 1, 131, 129, 8, 8, null, true, -70, 0);   // early rows see nothing
        assertPathsAgree("long decode step", 2, 3, 3, 1, 300, 8, 8, null, false, 0, 0);
        Generator g = new Generator(6);
        Tensor mask = Tensor.rand(g, 1, 1, 129, 140).lt(0.8);
        assertPathsAgree("long masked", 2, 2, 1, 129, 140, 8, 8, mask, false, 0, 0);
        assertPathsAgree("long dropout", 1, 2, 1, 100, 100, 8, 8, null, true, 0, 0.2);
        // head dims past the GEMM's slab depth (512): Kᵀ and Vᵀ are then not packed once per head
        assertPathsAgree("head dim past a slab", 1, 2, 1, 70, 75, 520, 515, null, true, 5, 0);
    }

    @Test
    void pathsDropTheSameWeights() {
        assertPathsAgree("dropout", 2, 2, 1, 6, 7, 4, 4, null, true, 0, 0.3);
    }

    @Test
    void fullyMaskedRowsGiveZerosAndFiniteGradients() {
        boolean[] keep = new boolean[3 * 4];
        for (int j = 0; j < 4; j++) {
            keep[4 + j] = true;                                              // row 1 sees everything
            keep[8 + j] = j == 2;                                            // row 2 sees key 2; row 0 nothing
        }
        Tensor mask = Tensor.fromArray(keep, 3, 4);
        for (Impl impl : new Impl[] {Impl.MANUAL, Impl.FUSED}) {
            Generator g = new Generator(3);
            Tensor q = Tensor.randn(g, 1, 1, 3, 5).requiresGrad(true);
            Tensor k = Tensor.randn(g, 1, 1, 4, 5).requiresGrad(true);
            Tensor v = Tensor.randn(g, 1, 1, 4, 5).requiresGrad(true);
            Tensor out = sdpa(q, k, v, mask, false, 0, 0, 0, impl);
            for (float x : out.select(2, 0).toFloatArray()) {
                assertEquals(0f, x, impl + ": a fully masked row must be zero");
            }
            out.sum().backward();
            for (Tensor t : new Tensor[] {q.grad(), k.grad(), v.grad()}) {
                for (float x : t.toFloatArray()) {
                    assertTrue(Float.isFinite(x), impl + ": gradients must stay finite");
                }
            }
            for (float x : q.grad().select(2, 0).toFloatArray()) {
                assertEquals(0f, x, impl + ": no gradient flows into a fully masked query");
            }
        }
    }

    @Test
    void bothPathsPassDoublePrecisionGradientChecks() {
        Generator g = new Generator(11);
        boolean[] keep = {true, false, true, true, false, true, true, true, true, true, false, false};
        Tensor mask = Tensor.fromArray(keep, 3, 4);
        for (Impl impl : new Impl[] {Impl.MANUAL, Impl.FUSED}) {
            GradCheck.check("sdpa " + impl, in -> Attention.scaledDotProductAttention(in[0], in[1], in[2], mask, false,
                    0, 0.0, null, null, impl),
                    Rand.uniform(g, -1, 1, 1, 2, 3, 5), Rand.uniform(g, -1, 1, 1, 1, 4, 5), Rand.uniform(g, -1, 1, 1, 1, 4, 3));
            GradCheck.check("sdpa causal non-contiguous " + impl, in -> Attention.scaledDotProductAttention(in[0], in[1],
                    in[2], null, true, 0, 0.0, 0.7, null, impl),
                    Rand.uniform(g, -1, 1, 1, 2, 5, 4).transpose(1, 2).contiguous().transpose(1, 2).detach(),
                    Rand.transposedView(g, -1, 1, 1, 2, 5, 4), Rand.uniform(g, -1, 1, 1, 2, 5, 2));
            GradCheck.check("sdpa dropout " + impl, in -> Attention.scaledDotProductAttention(in[0], in[1], in[2], null,
                    false, 0, 0.25, null, new Generator(77), impl),
                    Rand.uniform(g, -1, 1, 2, 3, 4), Rand.uniform(g, -1, 1, 2, 3, 4), Rand.uniform(g, -1, 1, 2, 3, 4));
        }
    }

    @Test
    void manualMatchesAHandComputedExample() {
        // one query, two keys: scores = [q·k0, q·k1]/√2 = [1/√2, 0]; weights = softmax; out = Σ w v
        Tensor q = Tensor.of(1, 0).reshape(1, 1, 1, 2);
        Tensor k = Tensor.of(1, 0, 0, 1).reshape(1, 1, 2, 2);
        Tensor v = Tensor.of(10, 0, 0, 10).reshape(1, 1, 2, 2);
        double s0 = 1 / Math.sqrt(2);
        double w0 = Math.exp(s0) / (Math.exp(s0) + 1);
        for (Impl impl : Impl.values()) {
            Tensor out = sdpa(q, k, v, null, false, 0, 0, 0, impl);
            assertEquals(10 * w0, out.get(0, 0, 0, 0), 1e-5);
            assertEquals(10 * (1 - w0), out.get(0, 0, 0, 1), 1e-5);
        }
    }

    @Test
    void badShapesNameTheProblem() {
        Tensor q = Tensor.zeros(1, 3, 4, 8);
        Tensor k = Tensor.zeros(1, 2, 4, 8);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Attention.scaledDotProductAttention(q, k, k, null, false));
        assertTrue(e.getMessage().contains("multiple of Hkv"), e.getMessage());
        Tensor badMask = Tensor.zeros(DType.BOOL, 5, 4);
        e = assertThrows(IllegalArgumentException.class,
                () -> Attention.scaledDotProductAttention(q, q, q, badMask, false));
        assertTrue(e.getMessage().contains("does not broadcast"), e.getMessage());
    }
}
