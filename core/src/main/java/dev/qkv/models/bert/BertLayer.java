package dev.qkv.models.bert;

import dev.qkv.nn.Dropout;
import dev.qkv.nn.LayerNorm;
import dev.qkv.nn.Linear;
import dev.qkv.nn.Module;
import dev.qkv.nn.functional.Attention;
import dev.qkv.tensor.Generator;
import dev.qkv.tensor.Tensor;

/**
 * One post-norm BERT encoder layer, split into the same sub-modules as Hugging Face's
 * {@code BertLayer} so that parameter names match a checkpoint
 * ({@code attention.self.query.weight}, {@code attention.output.LayerNorm.bias},
 * {@code intermediate.dense.weight}, {@code output.dense.weight}, ...):
 * <pre>
 *   a = LayerNorm(x + dropout(dense(selfAttention(x))))          attention.{self, output}
 *   y = LayerNorm(a + dropout(dense(act(dense(a)))))             intermediate, output
 * </pre>
 */
public final class BertLayer extends Module {

    /** Multi-head self-attention with separate query, key and value projections. */
    public static final class SelfAttention extends Module {
        public final Linear query;
        public final Linear key;
        public final Linear value;
        private final int nh;
        private final int hs;
        private final double dropout;
        private final Generator generator;

        SelfAttention(BertConfig cfg, Generator g) {
            query = registerModule("query", new Linear(cfg.hiddenSize(), cfg.hiddenSize(), g));
            key = registerModule("key", new Linear(cfg.hiddenSize(), cfg.hiddenSize(), g));
            value = registerModule("value", new Linear(cfg.hiddenSize(), cfg.hiddenSize(), g));
            nh = cfg.numAttentionHeads();
            hs = cfg.headSize();
            dropout = cfg.attentionProbsDropoutProb();
            generator = g;
        }

        /** x (B, T, C); keep: BOOL (B, 1, 1, T), true for keys that may be attended (real tokens), or null. */
        Tensor forward(Tensor x, Tensor keep) {
            int b = x.size(0);
            int t = x.size(1);
            Tensor q = query.forward(x).view(b, t, nh, hs).transpose(1, 2);            // (B, nh, T, hs)
            Tensor k = key.forward(x).view(b, t, nh, hs).transpose(1, 2);              // (B, nh, T, hs)
            Tensor v = value.forward(x).view(b, t, nh, hs).transpose(1, 2);            // (B, nh, T, hs)
            double p = isTraining() ? dropout : 0.0;
            Tensor y = Attention.scaledDotProductAttention(q, k, v, keep, false, 0, p, null,
                    p > 0 ? generator : null, Attention.Impl.AUTO);                    // (B, nh, T, hs)
            return y.transpose(1, 2).reshape(b, t, nh * hs);                           // (B, T, C)
        }
    }

    /** dense, dropout, then LayerNorm with the residual: named {@code dense} and {@code LayerNorm}. */
    public static final class ResidualOutput extends Module {
        public final Linear dense;
        public final LayerNorm layerNorm;
        public final Dropout dropout;

        ResidualOutput(int in, BertConfig cfg, Generator g) {
            dense = registerModule("dense", new Linear(in, cfg.hiddenSize(), g));
            layerNorm = registerModule("LayerNorm", new LayerNorm(new int[] {cfg.hiddenSize()}, cfg.layerNormEps(), true));
            dropout = registerModule("dropout", new Dropout(cfg.hiddenDropoutProb(), g));
        }

        /** LayerNorm(residual + dropout(dense(h))). */
        Tensor forward(Tensor h, Tensor residual) {
            return layerNorm.forward(residual.add(dropout.forward(dense.forward(h))));
        }
    }

    /** Hugging Face's BertAttention: {@code self} and {@code output}. */
    public static final class AttentionBlock extends Module {
        public final SelfAttention self;
        public final ResidualOutput output;

        AttentionBlock(BertConfig cfg, Generator g) {
            self = registerModule("self", new SelfAttention(cfg, g));
            output = registerModule("output", new ResidualOutput(cfg.hiddenSize(), cfg, g));
        }
    }

    /** Hugging Face's BertIntermediate: the widening half of the feed-forward block. */
    public static final class Intermediate extends Module {
        public final Linear dense;
        private final BertConfig cfg;

        Intermediate(BertConfig cfg, Generator g) {
            this.cfg = cfg;
            dense = registerModule("dense", new Linear(cfg.hiddenSize(), cfg.intermediateSize(), g));
        }

        Tensor forward(Tensor x) {
            return cfg.hiddenAct().apply(dense.forward(x));                            // (B, T, intermediate)
        }
    }

    public final AttentionBlock attention;
    public final Intermediate intermediate;
    public final ResidualOutput output;

    BertLayer(BertConfig cfg, Generator g) {
        attention = registerModule("attention", new AttentionBlock(cfg, g));
        intermediate = registerModule("intermediate", new Intermediate(cfg, g));
        output = registerModule("output", new ResidualOutput(cfg.intermediateSize(), cfg, g));
    }

    /** x (B, T, C) → (B, T, C); keep as in {@link SelfAttention#forward}. */
    Tensor forward(Tensor x, Tensor keep) {
        Tensor a = attention.output.forward(attention.self.forward(x, keep), x);     // (B, T, C)
        return output.forward(intermediate.forward(a), a);                           // (B, T, C)
    }
}
