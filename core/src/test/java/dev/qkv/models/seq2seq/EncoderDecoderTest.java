package dev.qkv.models.seq2seq;

import dev.qkv.autograd.Autograd;
import dev.qkv.nn.ParamGradCheck;
import dev.qkv.optim.AdamW;
import dev.qkv.tensor.DType;
import dev.qkv.tensor.Generator;
import dev.qkv.tensor.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EncoderDecoderTest {
    private static final int PAD = 0;
    private static final int BOS = 1;
    private static final int EOS = 2;
    private static final int VOCAB = 10;                                            // symbols 3..9
    private static final int N = 24;
    private static final int LEN = 5;

    /** The reverse task, trained once for the decoding tests. */
    private static EncoderDecoder reverser;
    private static long[][] sources;
    private static double finalLoss;

    /** Source: LEN random symbols; target: the same reversed, then EOS. */
    @BeforeAll
    static void trainReverser() {
        Generator g = new Generator(42);
        sources = new long[N][LEN];
        long[] src = new long[N * LEN];
        long[] tgtIn = new long[N * (LEN + 1)];
        long[] tgtOut = new long[N * (LEN + 1)];
        for (int r = 0; r < N; r++) {
            for (int t = 0; t < LEN; t++) {
                sources[r][t] = 3 + g.nextLong(VOCAB - 3);
                src[r * LEN + t] = sources[r][t];
            }
            tgtIn[r * (LEN + 1)] = BOS;                                             // BOS s4 s3 s2 s1 s0
            for (int t = 0; t < LEN; t++) {
                long reversed = sources[r][LEN - 1 - t];
                tgtIn[r * (LEN + 1) + t + 1] = reversed;
                tgtOut[r * (LEN + 1) + t] = reversed;                              // s4 s3 s2 s1 s0 EOS
            }
            tgtOut[r * (LEN + 1) + LEN] = EOS;
        }
        Seq2SeqConfig cfg = new Seq2SeqConfig(VOCAB, VOCAB, 32, 4, 1, 1, 64, 0.0, 8, true, true, true);
        reverser = new EncoderDecoder(cfg, new Generator(7));
        Tensor s = Tensor.fromArray(src, N, LEN);
        Tensor ti = Tensor.fromArray(tgtIn, N, LEN + 1);
        Tensor to = Tensor.fromArray(tgtOut, N, LEN + 1);
        AdamW opt = new AdamW(reverser.parameters(), 3e-3);
        for (int step = 0; step < 150; step++) {
            Tensor loss = reverser.loss(reverser.forward(s, ti, null, null), to, PAD);
            opt.zeroGrad();
            loss.backward();
            opt.step();
            finalLoss = loss.item();
        }
        System.out.println("EncoderDecoder reverse task, loss after 150 steps: " + finalLoss);
    }

    private static int[] reversedWithEos(long[] source) {
        int[] out = new int[LEN + 1];
        for (int t = 0; t < LEN; t++) {
            out[t] = (int) source[LEN - 1 - t];
        }
        out[LEN] = EOS;
        return out;
    }

    @Test
    void learnsToReverseAndGreedyDecodingReproducesTheTargets() {
        assertTrue(finalLoss < 0.02, "final training loss " + finalLoss);
        long[] flat = Arrays.stream(sources).flatMapToLong(Arrays::stream).toArray();
        int[][] decoded = reverser.greedyDecode(Tensor.fromArray(flat, N, LEN), BOS, EOS, 8);
        for (int r = 0; r < N; r++) {
            assertArrayEquals(reversedWithEos(sources[r]), decoded[r], "row " + r);
        }
    }

    @Test
    void beamOfOneIsGreedyAndWiderBeamsScoreAtLeastAsHigh() {
        // decoding stops at maxLen too: a cut-off of 3 tokens
        for (int r = 0; r < 6; r++) {
            Tensor src = Tensor.fromArray(sources[r], LEN);
            for (int maxLen : new int[] {3, 8}) {
                int[] greedy = reverser.greedyDecode(src.unsqueeze(0), BOS, EOS, maxLen)[0];
                Seq2SeqSearch.Hypothesis one = reverser.beamSearch(src, BOS, EOS, 1, maxLen, 0.0);
                assertArrayEquals(greedy, one.tokens(), "beam 1 = greedy, row " + r + ", maxLen " + maxLen);
                double greedyLogProb = Seq2SeqSearch.sequenceLogProb(reverser, src, BOS, greedy);
                assertEquals(greedyLogProb, one.logProb(), 1e-4, "the beam's log-prob is the sequence's");
                for (int beam : new int[] {2, 4}) {
                    Seq2SeqSearch.Hypothesis h = reverser.beamSearch(src, BOS, EOS, beam, maxLen, 0.0);
                    // not a theorem of beam search in general, but of this peaked, trained model
                    assertTrue(h.logProb() >= greedyLogProb - 1e-6, "beam " + beam + ": " + h + " vs greedy "
                            + greedyLogProb);
                    assertEquals(Seq2SeqSearch.sequenceLogProb(reverser, src, BOS, h.tokens()), h.logProb(), 1e-4);
                }
            }
        }
        assertArrayEquals(reversedWithEos(sources[0]),
                reverser.beamSearch(Tensor.fromArray(sources[0], LEN), BOS, EOS, 3, 8, 1.0).tokens());
    }

    @Test
    void beamSearchOnAnUntrainedModelRanksByScore() {
        EncoderDecoder m = new EncoderDecoder(new Seq2SeqConfig(6, 6, 8, 2, 1, 1, 16, 0.0, 6, false, false, false),
                new Generator(3));
        Tensor src = Tensor.ofLongs(3, 4, 5);
        Seq2SeqSearch.Hypothesis h = m.beamSearch(src, BOS, EOS, 3, 4, 0.7);
        assertEquals(h.logProb() / Math.pow(h.tokens().length, 0.7), h.score(), 1e-9);
        assertEquals(Seq2SeqSearch.sequenceLogProb(m, src, BOS, h.tokens()), h.logProb(), 1e-4);
        assertTrue(h.tokens().length <= 4);
        assertTrue(h.tokens().length == 4 || h.tokens()[h.tokens().length - 1] == EOS, "ends at EOS or maxLen: " + h);
    }

    // ===================================================================== structure and masks

    @Test
    void namesAndTying() {
        EncoderDecoder shared = new EncoderDecoder(Seq2SeqConfig.shared(11, 8, 2, 2, 0.1, 16), new Generator(1));
        assertSame(shared.srcEmbed, shared.tgtEmbed);
        assertSame(shared.srcEmbed.weight, shared.lmHead.weight);
        Set<String> names = shared.namedParameters().keySet();
        for (String n : List.of("src_embed.weight", "encoder.layers.1.self_attn.in_proj_weight", "encoder.norm.weight",
                "decoder.layers.0.multihead_attn.out_proj.bias", "decoder.layers.1.linear2.weight", "decoder.norm.bias")) {
            assertTrue(names.contains(n), n + " in " + names);
        }
        assertFalse(names.contains("lm_head.weight"), "tied weights are listed once");
        assertTrue(shared.stateDict().containsKey("lm_head.weight"));
        assertFalse(shared.stateDict().containsKey("pe"), "the sinusoidal table is not saved");

        EncoderDecoder separate = new EncoderDecoder(new Seq2SeqConfig(7, 9, 8, 2, 1, 1, 16, 0.0, 10, false, false, false),
                new Generator(2));
        assertTrue(separate.namedParameters().keySet().containsAll(List.of("tgt_embed.weight", "lm_head.weight")));
        assertFalse(separate.namedParameters().containsKey("encoder.norm.weight"), "post-norm stacks end without a norm");
        assertArrayEquals(new int[] {2, 3, 9}, separate.forward(Tensor.ofLongs(1, 2, 3, 4, 5, 6).view(2, 3),
                Tensor.ofLongs(1, 2, 3, 4, 5, 6).view(2, 3), null, null).shape());
        assertThrows(IllegalArgumentException.class, () -> new Seq2SeqConfig(7, 9, 8, 2, 1, 1, 16, 0.0, 10, false, true,
                false));
        var tooLong = assertThrows(IllegalArgumentException.class,
                () -> separate.encode(Tensor.zeros(DType.INT64, 1, 11), null));
        assertTrue(tooLong.getMessage().contains("maxLen of 10"), tooLong.getMessage());
    }

    @Test
    void sourcePaddingIsHiddenAndTheDecoderIsCausal() {
        EncoderDecoder m = new EncoderDecoder(new Seq2SeqConfig(12, 12, 16, 2, 2, 2, 32, 0.0, 12, false, true, true),
                new Generator(5));
        m.eval();
        try (var s = Autograd.noGrad()) {
            Tensor tgt = Tensor.ofLongs(1, 7, 8, 9).view(1, 4);
            Tensor alone = m.forward(Tensor.ofLongs(3, 4, 5).view(1, 3), tgt, null, null);          // (1, 4, V)
            Tensor padded = Tensor.ofLongs(3, 4, 5, PAD, PAD).view(1, 5);
            Tensor withMask = m.forward(padded, tgt, EncoderDecoder.paddingMask(padded, PAD), null);
            assertTrue(withMask.allClose(alone, 1e-4, 1e-5), "padding is hidden");
            assertFalse(m.forward(padded, tgt, null, null).allClose(alone, 1e-4, 1e-5), "unless the mask is missing");
            Tensor changed = m.forward(Tensor.ofLongs(3, 4, 5).view(1, 3), Tensor.ofLongs(1, 7, 3, 3).view(1, 4), null, null);
            assertTrue(changed.narrow(1, 0, 2).allClose(alone.narrow(1, 0, 2), 1e-5, 1e-6), "earlier positions do not "
                    + "see later targets");
        }
    }

    @Test
    void gradientsOfATinyModel() {
        EncoderDecoder m = new EncoderDecoder(new Seq2SeqConfig(5, 5, 4, 2, 1, 1, 6, 0.0, 4, true, true, true),
                new Generator(9));
        m.to(DType.FLOAT64);
        Tensor src = Tensor.ofLongs(3, 4, 2, 3, 0, 0).view(2, 3);
        Tensor tgtIn = Tensor.ofLongs(1, 4, 3, 1, 3, 0).view(2, 3);
        Tensor tgtOut = Tensor.ofLongs(4, 3, 2, 3, 2, 0).view(2, 3);
        Tensor srcPad = EncoderDecoder.paddingMask(src, 0);
        Tensor tgtPad = EncoderDecoder.paddingMask(tgtOut, 0);
        ParamGradCheck.check("EncoderDecoder", m, () -> m.loss(m.forward(src, tgtIn, srcPad, tgtPad), tgtOut, 0));
    }
}
