package dev.qkv.models.seq2seq;

import dev.qkv.autograd.Autograd;
import dev.qkv.nn.Activation;
import dev.qkv.nn.Dropout;
import dev.qkv.nn.Embedding;
import dev.qkv.nn.Init;
import dev.qkv.nn.LayerNorm;
import dev.qkv.nn.Linear;
import dev.qkv.nn.Module;
import dev.qkv.nn.Parameter;
import dev.qkv.nn.TransformerDecoder;
import dev.qkv.nn.TransformerDecoderLayer;
import dev.qkv.nn.TransformerEncoder;
import dev.qkv.nn.TransformerEncoderLayer;
import dev.qkv.nn.functional.F;
import dev.qkv.nn.functional.Positions;
import dev.qkv.nn.functional.Reduction;
import dev.qkv.tensor.Generator;
import dev.qkv.tensor.Tensor;

import java.util.Arrays;

/**
 * The encoder-decoder Transformer of "Attention Is All You Need" (and, with a shared
 * vocabulary, the text-to-text setup of T5): the encoder reads the whole source at once, the
 * decoder writes the target one token at a time, attending causally to what it has written and
 * fully to the encoder's output ("memory").
 * <pre>
 *   memory = encoder(embed(src)·√C + PE)                          (B, S, C)
 *   h      = decoder(embed(tgtIn)·√C + PE, memory)                (B, T, C), causal self-attention
 *   logits = lm_head(h)                                           (B, T, V)
 * </pre>
 * PE is the fixed sinusoidal table; the √C scale keeps the embeddings (initialized N(0, 1/C))
 * as large as the positions. In training, tgtIn is the target shifted right behind a BOS token
 * (teacher forcing); generation starts from BOS alone ({@link Seq2SeqSearch}).
 *
 * <p>Parameters: {@code src_embed}, {@code tgt_embed} (one table when shared), {@code encoder}
 * and {@code decoder} named as torch.nn.TransformerEncoder/Decoder ({@code encoder.layers.0.self_attn.in_proj_weight}),
 * and {@code lm_head} (its weight is the target embedding when tied). Padding masks follow
 * PyTorch's key_padding_mask: BOOL [B, S], <em>true at padding</em> ({@link #paddingMask}).
 */
public final class EncoderDecoder extends Module {
    public final Seq2SeqConfig config;
    public final Embedding srcEmbed;
    /** The same module as srcEmbed when the embeddings are shared. */
    public final Embedding tgtEmbed;
    public final TransformerEncoder encoder;
    public final TransformerDecoder decoder;
    /** C → tgtVocabSize, without bias; its weight is tgtEmbed's when tied. */
    public final Linear lmHead;
    private final Dropout dropout;

    public EncoderDecoder(Seq2SeqConfig cfg, Generator g) {
        this.config = cfg;
        int c = cfg.dModel();
        srcEmbed = registerModule("src_embed", new Embedding(cfg.srcVocabSize(), c, g));
        tgtEmbed = cfg.shareEmbeddings() ? srcEmbed : new Embedding(cfg.tgtVocabSize(), c, g);
        if (!cfg.shareEmbeddings()) {
            registerModule("tgt_embed", tgtEmbed);
        }
        encoder = registerModule("encoder", new TransformerEncoder(
                () -> new TransformerEncoderLayer(c, cfg.nHead(), cfg.dimFeedforward(), cfg.dropout(), Activation.RELU,
                        1e-5, true, cfg.normFirst(), g),
                cfg.numEncoderLayers(), cfg.normFirst() ? new LayerNorm(c) : null));
        decoder = registerModule("decoder", new TransformerDecoder(
                () -> new TransformerDecoderLayer(c, cfg.nHead(), cfg.dimFeedforward(), cfg.dropout(), Activation.RELU,
                        1e-5, true, cfg.normFirst(), g),
                cfg.numDecoderLayers(), cfg.normFirst() ? new LayerNorm(c) : null));
        lmHead = registerModule("lm_head", cfg.tieOutput() ? new Linear(tgtEmbed.weight, null)
                : new Linear(c, cfg.tgtVocabSize(), false, g));
        dropout = registerModule("dropout", new Dropout(cfg.dropout(), g));
        registerBuffer("pe", Positions.sinusoidal(cfg.maxLen(), c, 10000), false);  // (maxLen, C), not saved
        // torch.nn.Transformer's init: xavier-uniform for every matrix of the stacks; embeddings
        // N(0, 1/C), so that embedding·√C has unit variance
        try (var s = Autograd.noGrad()) {
            for (Parameter p : encoder.parameters()) {
                if (p.dim() > 1) {
                    Init.xavierUniform_(p, 1.0, g);
                }
            }
            for (Parameter p : decoder.parameters()) {
                if (p.dim() > 1) {
                    Init.xavierUniform_(p, 1.0, g);
                }
            }
            Init.normal_(srcEmbed.weight, 0, 1 / Math.sqrt(c), g);
            if (tgtEmbed != srcEmbed) {
                Init.normal_(tgtEmbed.weight, 0, 1 / Math.sqrt(c), g);
            }
            if (!cfg.tieOutput()) {
                Init.xavierUniform_(lmHead.weight, 1.0, g);
            }
        }
    }

    /** BOOL [B, T]: true where ids equal padId (PyTorch's key_padding_mask convention). */
    public static Tensor paddingMask(Tensor ids, long padId) {
        return ids.eq(padId);
    }

    /**
     * Logits [B, T, tgtVocab] for every target position, by teacher forcing.
     *
     * @param src               [B, S] source ids
     * @param tgtIn             [B, T] target ids shifted right (BOS first)
     * @param srcKeyPaddingMask BOOL [B, S], true at source padding; or null
     * @param tgtKeyPaddingMask BOOL [B, T], true at target padding; or null
     */
    public Tensor forward(Tensor src, Tensor tgtIn, Tensor srcKeyPaddingMask, Tensor tgtKeyPaddingMask) {
        Tensor memory = encode(src, srcKeyPaddingMask);                             // (B, S, C)
        return decode(tgtIn, memory, srcKeyPaddingMask, tgtKeyPaddingMask);         // (B, T, V)
    }

    /** The encoder's output (B, S, C) for source ids [B, S]. */
    public Tensor encode(Tensor src, Tensor srcKeyPaddingMask) {
        Tensor x = embed("encode", srcEmbed, src);                                  // (B, S, C)
        return encoder.forward(x, null, srcKeyPaddingMask, false);                  // (B, S, C)
    }

    /** Logits [B, T, V] of the decoder over target ids [B, T] given the memory (B, S, C). */
    public Tensor decode(Tensor tgtIn, Tensor memory, Tensor srcKeyPaddingMask, Tensor tgtKeyPaddingMask) {
        Tensor y = embed("decode", tgtEmbed, tgtIn);                                // (B, T, C)
        y = decoder.forward(y, memory, null, null, tgtKeyPaddingMask, srcKeyPaddingMask, true);  // (B, T, C)
        return lmHead.forward(y);                                                   // (B, T, V)
    }

    /**
     * Log-probabilities [B, V] of the next token after each prefix [B, t]. Without a key/value
     * cache, the decoder reruns the whole prefix each step: O(t²) per sequence, fine for
     * teaching-size models.
     */
    public Tensor decodeStep(Tensor prefix, Tensor memory, Tensor srcKeyPaddingMask) {
        Tensor logits = decode(prefix, memory, srcKeyPaddingMask, null);            // (B, t, V)
        return F.logSoftmax(logits.select(1, prefix.size(1) - 1), -1);              // (B, V)
    }

    /** Mean cross-entropy of logits [B, T, V] against targets [B, T]; positions equal to ignoreIndex (e.g. the pad id) are skipped. */
    public Tensor loss(Tensor logits, Tensor targets, int ignoreIndex) {
        if (logits.dim() != 3 || !Arrays.equals(targets.shape(), Arrays.copyOf(logits.shape(), 2))) {
            throw new IllegalArgumentException("EncoderDecoder.loss: expects logits [B, T, V] and targets [B, T], got "
                    + Arrays.toString(logits.shape()) + " and " + Arrays.toString(targets.shape()));
        }
        return F.crossEntropy(logits.reshape(-1, logits.size(2)), targets.reshape(-1), Reduction.MEAN, ignoreIndex, 0.0);
    }

    /** Greedy decoding of each source row [B, S] (no padding); see {@link Seq2SeqSearch#greedy}. */
    public int[][] greedyDecode(Tensor src, int bos, int eos, int maxLen) {
        return Seq2SeqSearch.greedy(this, src, null, bos, eos, maxLen);
    }

    /** Beam search for one source sequence [1, S] or [S]; see {@link Seq2SeqSearch#beam}. */
    public Seq2SeqSearch.Hypothesis beamSearch(Tensor src, int bos, int eos, int beamSize, int maxLen,
                                               double lengthPenalty) {
        return Seq2SeqSearch.beam(this, src, bos, eos, beamSize, maxLen, lengthPenalty);
    }

    /** embed(ids)·√C + PE[0:T], then dropout. */
    private Tensor embed(String op, Embedding table, Tensor ids) {
        if (ids.dim() != 2 || ids.dtype().isFloating()) {
            throw new IllegalArgumentException("EncoderDecoder." + op + ": expects integer ids [B, T], got " + ids.dtype()
                    + " " + Arrays.toString(ids.shape()));
        }
        int t = ids.size(1);
        if (t > config.maxLen()) {
            throw new IllegalArgumentException("EncoderDecoder." + op + ": sequence length " + t
                    + " exceeds the model's maxLen of " + config.maxLen());
        }
        Tensor pe = buffer("pe").narrow(0, 0, t).to(table.weight.dtype());          // (T, C)
        Tensor x = table.forward(ids).mul(Math.sqrt(config.dModel())).add(pe);      // (B, T, C)
        return dropout.forward(x);
    }
}
