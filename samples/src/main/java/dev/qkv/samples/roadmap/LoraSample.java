package dev.qkv.samples.roadmap;

import dev.qkv.autograd.Autograd;
import dev.qkv.models.Generation;
import dev.qkv.models.Sampler;
import dev.qkv.models.gpt.Block;
import dev.qkv.models.gpt.GPT;
import dev.qkv.models.gpt.GPTConfig;
import dev.qkv.nn.Init;
import dev.qkv.nn.Linear;
import dev.qkv.nn.Parameter;
import dev.qkv.nn.UnaryModule;
import dev.qkv.nn.functional.Attention;
import dev.qkv.samples.Sample;
import dev.qkv.samples.SampleContext;
import dev.qkv.samples.plot.Plot;
import dev.qkv.tensor.Generator;
import dev.qkv.tensor.Tensor;
import dev.qkv.tokenizer.CharTokenizer;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * LoRA (Hu et al., 2021): fine-tune a trained model by learning a small low-rank correction to
 * some of its weight matrices while the weights themselves stay frozen.
 *
 * <p>A frozen Linear computes y = x·Wᵀ + b with W of shape [out, in]. LoRA adds two small
 * matrices A [r, in] and B [out, r] and computes
 *
 * <pre>
 *   y = x·Wᵀ + b + (α/r)·(x·Aᵀ)·Bᵀ        i.e. the weight is W + (α/r)·B·A, a change of rank ≤ r
 * </pre>
 *
 * A starts random, N(0, 1/in), and B starts at zero, so the adapted model starts out exactly equal
 * to the base model and training moves it away from there. Only A and B are trained: r·(in + out)
 * numbers instead of in·out. After training, B·A can be added into W once ("merging"), and the
 * model is an ordinary model again, with no extra cost at inference.
 *
 * <p>Here a small character-level GPT first learns text A, the sonnets; then rank-4 adapters on
 * every attention projection (c_attn and c_proj) learn text B, a ship's log in a style the
 * sonnets never show, while the base weights stay frozen. The base model is untouched, so
 * without its adapters it still models text A exactly as before — one base model can carry many
 * small adapters, one per task, and switch between them.
 */
public final class LoraSample implements Sample {
    @Override
    public String name() {
        return "lora";
    }

    @Override
    public String summary() {
        return "LoRA: a frozen GPT + rank-r adapters on attention learn a new text; merge them into the weights";
    }

    @Override
    public List<String> options() {
        return List.of("rank", "alpha", "lr", "steps");
    }

    /** A frozen Linear plus a trainable low-rank update: y = base(x) + (α/r)·(x·Aᵀ)·Bᵀ. Names as in Hugging Face PEFT. */
    static final class LoraLinear extends UnaryModule {
        final Linear base;
        final Parameter a;              // [r, in]
        final Parameter b;              // [out, r]
        final double scale;             // α / r

        LoraLinear(Linear base, int rank, double alpha, Generator g) {
            this.base = registerModule("base_layer", base);
            a = registerParameter("lora_A", new Parameter(Tensor.zeros(rank, base.inFeatures)));
            b = registerParameter("lora_B", new Parameter(Tensor.zeros(base.outFeatures, rank)));
            try (var s = Autograd.noGrad()) {
                Init.normal_(a, 0, 1 / Math.sqrt(base.inFeatures), g);  // B = 0: the update starts at zero
            }
            scale = alpha / rank;
        }

        @Override
        public Tensor forward(Tensor x) {
            Tensor update = x.matmul(a.t()).matmul(b.t()).mul(scale);           // (B, T, r) -> (B, T, out)
            return base.forward(x).add(update);
        }

        /** W ← W + (α/r)·B·A, in place: afterwards the base layer alone computes what this module did. */
        void mergeInto(Linear target) {
            try (var s = Autograd.noGrad()) {
                target.weight.add_(b.matmul(a).mul(scale));                          // [out, r]·[r, in]
            }
        }
    }

    /**
     * The GPT with its attention projections wrapped in adapters. qkv's GPT builds its blocks with
     * {@code final} Linear fields and its modules cannot swap a child, so the wrappers cannot be
     * put inside the model (PEFT replaces the submodule in PyTorch). Instead this class runs the
     * same forward pass as {@link GPT#forward(Tensor)} — embeddings, blocks, final norm, head —
     * from the model's public parts, calling the adapters where the blocks call c_attn and c_proj.
     * The sample checks that, with B = 0, it gives the base model's logits.
     */
    static final class LoraGpt {
        final GPT gpt;
        final List<LoraLinear> cAttn = new ArrayList<>();
        final List<LoraLinear> cProj = new ArrayList<>();

        LoraGpt(GPT gpt, int rank, double alpha, Generator g) {
            this.gpt = gpt;
            for (Block block : gpt.transformer.h) {
                cAttn.add(new LoraLinear(block.attn.cAttn, rank, alpha, g));
                cProj.add(new LoraLinear(block.attn.cProj, rank, alpha, g));
            }
        }

        List<Parameter> adapterParameters() {
            List<Parameter> p = new ArrayList<>();
            for (int i = 0; i < cAttn.size(); i++) {
                p.addAll(List.of(cAttn.get(i).a, cAttn.get(i).b, cProj.get(i).a, cProj.get(i).b));
            }
            return p;
        }

        /** Logits [B, T, V] for ids [B, T], as GPT.forward without cache, padding or dropout. */
        Tensor forward(Tensor ids) {
            int t = ids.size(1);
            long[] pos = new long[t];
            for (int i = 0; i < t; i++) {
                pos[i] = i;
            }
            GPT.Transformer tr = gpt.transformer;
            Tensor x = tr.wte.forward(ids).add(tr.wpe.forward(Tensor.fromArray(pos, t)));   // (B, T, C)
            for (int i = 0; i < tr.h.size(); i++) {
                Block block = tr.h.get(i);
                x = x.add(attention(i, block.ln1.forward(x)));
                x = x.add(block.mlp.forward(block.ln2.forward(x)));
            }
            return gpt.lmHead.forward(tr.lnF.forward(x));                                  // (B, T, V)
        }

        /** Causal self-attention of block i, with c_attn and c_proj through their adapters. */
        private Tensor attention(int i, Tensor x) {
            int b = x.size(0);
            int t = x.size(1);
            int c = gpt.config.nEmbd();
            int nh = gpt.config.nHead();
            int hs = c / nh;
            List<Tensor> qkv = cAttn.get(i).forward(x).split(c, 2);                        // 3 × (B, T, C)
            Tensor q = qkv.get(0).view(b, t, nh, hs).transpose(1, 2);                      // (B, nh, T, hs)
            Tensor k = qkv.get(1).view(b, t, nh, hs).transpose(1, 2);                      // (B, nh, T, hs)
            Tensor v = qkv.get(2).view(b, t, nh, hs).transpose(1, 2);                      // (B, nh, T, hs)
            Tensor y = Attention.scaledDotProductAttention(q, k, v, null, true);           // (B, nh, T, hs)
            return cProj.get(i).forward(y.transpose(1, 2).reshape(b, t, c));               // (B, T, C)
        }
    }

    /**
     * Task B's text: a ship's log, one sentence a line from six templates, e.g. "On Tuesday the
     * wind blew from the west, and the sea was rough." A style the sonnets never show.
     */
    static String shipsLog(Generator g, int lines) {
        String[][] parts = {
            {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"},
            {"north", "south", "east", "west"},
            {"calm", "rough", "grey", "still", "high"},
            {"two", "three", "four", "five", "six", "seven"},
            {"a whale", "the coast", "no land", "a storm", "three gulls", "a ship"},
            {"more sail", "less sail", "a change of course", "the boats lowered", "double rations"},
            {"red", "gold", "grey", "black", "pale"}};
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < lines; i++) {
            String[] p = new String[parts.length];
            for (int k = 0; k < parts.length; k++) {
                p[k] = parts[k][(int) g.nextLong(parts[k].length)];
            }
            sb.append(switch ((int) g.nextLong(6)) {
                case 0 -> "On " + p[0] + " the wind blew from the " + p[1] + ", and the sea was " + p[2] + ".";
                case 1 -> "We sailed " + p[3] + " leagues and saw " + p[4] + ".";
                case 2 -> "The captain ordered " + p[5] + ".";
                case 3 -> "At dusk the sky turned " + p[6] + " in the " + p[1] + ".";
                case 4 -> "The men were " + (g.nextLong(2) == 0 ? "glad" : "weary") + ", for we saw " + p[4] + ".";
                default -> "On " + p[0] + " we had " + p[3] + " hours of " + p[2] + " water.";
            }).append('\n');
        }
        return sb.toString();
    }

    static double maxAbsDiff(Tensor x, Tensor y) {
        return x.sub(y).abs().max().item();
    }

    static String sample(GPT model, CharTokenizer tok, String prompt, int chars, long seed) {
        int[] out = Generation.generate(model, tok.encode(prompt),
                new Generation.Config(chars, new Sampler(0.8, 0, 1.0, 1.0), java.util.Set.of(), seed), null);
        return (prompt + tok.decode(out)).replace("\n", " / ");
    }

    @Override
    public Map<String, Double> run(SampleContext ctx) throws Exception {
        int rank = ctx.args().integer("rank", 4, 1, 1024);
        double alpha = ctx.args().number("alpha", 8, 1e-6, 1e6);
        double lr = ctx.args().number("lr", 1e-2, 1e-6, 1);
        int steps = ctx.args().integer("steps", ctx.size(300, 120), 1, 1_000_000);
        String sonnets = CharGpt.corpus(ctx);
        String log = shipsLog(new Generator(ctx.seed() + 50), 400);
        String logHeldOut = shipsLog(new Generator(ctx.seed() + 51), 40);
        CharTokenizer tok = CharTokenizer.fromText(sonnets + log);       // one vocabulary for both texts
        int[] a = tok.encode(sonnets);
        int[] aTrain = Arrays.copyOfRange(a, 0, (int) (a.length * 0.9));
        int[] aHeldOut = Arrays.copyOfRange(a, (int) (a.length * 0.9), a.length);
        int[] b = tok.encode(log);
        int[] bHeldOut = tok.encode(logHeldOut);
        Map<String, Double> results = new LinkedHashMap<>();

        // 1. Pretrain the base model on text A, the sonnets.
        GPTConfig cfg = GPTConfig.of(tok.vocabSize(), ctx.size(64, 32), 2, 4, 64, 0.0);
        GPT gpt = new GPT(cfg, new Generator(ctx.seed()));
        int t = cfg.blockSize();
        ctx.out().printf("1. pretraining a %,d-parameter GPT on text A, the sonnets (%,d characters)%n",
                gpt.numParameters(), sonnets.length());
        double[] lossA = CharGpt.train(ctx, gpt.parameters(), gpt::forward, g -> CharGpt.windows(aTrain, 16, t, g),
                ctx.size(400, 150), 3e-3, ctx.seed() + 1);
        gpt.eval();
        double baseA = CharGpt.heldOutLoss(gpt::forward, aHeldOut, t);
        double baseB = CharGpt.heldOutLoss(gpt::forward, bHeldOut, t);
        ctx.out().printf("base model, held-out loss: text A %.3f, text B (a ship's log: \"%s\") %.3f%n", baseA,
                log.lines().findFirst().orElse(""), baseB);
        ctx.out().println("  sample: " + sample(gpt, tok, "On ", ctx.size(120, 40), ctx.seed()));
        results.put("base_loss_A", baseA);
        results.put("loss_B_before", baseB);

        // 2. Freeze it and wrap the attention projections in adapters.
        for (Parameter p : gpt.parameters()) {
            p.requiresGrad(false);
        }
        LoraGpt lora = new LoraGpt(gpt, rank, alpha, new Generator(ctx.seed() + 2));
        Tensor probe = CharGpt.windows(bHeldOut, 4, t, new Generator(3))[0];
        double same;
        try (var s = Autograd.noGrad()) {
            same = maxAbsDiff(lora.forward(probe), gpt.forward(probe));
        }
        ctx.out().printf("2. adapters of rank %d (alpha %.0f, scale alpha/r = %.2f) on c_attn and c_proj of %d blocks; "
                + "with B = 0 the adapted model reproduces the base: max |logit difference| %.1e%n", rank, alpha,
                alpha / rank, cfg.nLayer(), same);
        long trainable = 0;
        for (Parameter p : lora.adapterParameters()) {
            trainable += p.numel();
        }
        ctx.out().printf("trainable parameters: %,d of %,d (%.1f%%); the %,d base weights are frozen%n", trainable,
                gpt.numParameters() + trainable, 100.0 * trainable / (gpt.numParameters() + trainable),
                gpt.numParameters());
        results.put("trainable_fraction", (double) trainable / (gpt.numParameters() + trainable));

        // 3. Fine-tune only the adapters on text B.
        ctx.out().println("3. fine-tuning the adapters on text B");
        double[] lossB = CharGpt.train(ctx, lora.adapterParameters(), lora::forward,
                g -> CharGpt.windows(b, 16, t, g), steps, lr, ctx.seed() + 3);
        double loraB = CharGpt.heldOutLoss(lora::forward, bHeldOut, t);
        double loraA = CharGpt.heldOutLoss(lora::forward, aHeldOut, t);
        double baseAAfter = CharGpt.heldOutLoss(gpt::forward, aHeldOut, t);
        ctx.out().printf("held-out loss on text B: %.3f before, %.3f after (%.0f%% lower)%n", baseB, loraB,
                100 * (1 - loraB / baseB));
        ctx.out().printf("held-out loss on text A: %.3f with the adapters; %.3f without them, the same as before "
                + "fine-tuning (%.3f): the base weights did not move%n", loraA, baseAAfter, baseA);
        results.put("loss_B_after", loraB);
        results.put("lora_loss_A", loraA);
        results.put("base_loss_A_after", baseAAfter);

        // 4. Merge: W ← W + (α/r)·B·A in a copy of the base model, which is then a plain GPT again.
        GPT merged = new GPT(cfg, new Generator(ctx.seed()));
        merged.loadStateDict(gpt.stateDict(), true);
        for (int i = 0; i < cfg.nLayer(); i++) {
            lora.cAttn.get(i).mergeInto(merged.transformer.h.get(i).attn.cAttn);
            lora.cProj.get(i).mergeInto(merged.transformer.h.get(i).attn.cProj);
        }
        merged.eval();
        double diff;
        try (var s = Autograd.noGrad()) {
            diff = maxAbsDiff(merged.forward(probe), lora.forward(probe));
        }
        ctx.out().printf("4. merged model (W + (alpha/r)·B·A): max |logit difference| to the adapter model %.1e, "
                + "held-out loss on B %.3f%n", diff, CharGpt.heldOutLoss(merged::forward, bHeldOut, t));
        ctx.out().println("  sample: " + sample(merged, tok, "On ", ctx.size(120, 40), ctx.seed()));
        results.put("merge_max_abs_diff", diff);

        // 5. For comparison: full fine-tuning of a copy of the base model, every weight trained.
        GPT full = new GPT(cfg, new Generator(ctx.seed()));
        full.loadStateDict(gpt.stateDict(), true);
        ctx.out().printf("5. for comparison, full fine-tuning of a copy (all %,d weights) for the same %d steps%n",
                full.numParameters(), steps);
        double[] lossFull = CharGpt.train(ctx, full.parameters(), full::forward, g -> CharGpt.windows(b, 16, t, g),
                steps, 3e-3, ctx.seed() + 3);
        full.eval();
        double fullB = CharGpt.heldOutLoss(full::forward, bHeldOut, t);
        double fullA = CharGpt.heldOutLoss(full::forward, aHeldOut, t);
        ctx.out().printf("held-out loss: text B %.3f (LoRA %.3f), text A %.3f (LoRA %.3f, LoRA switched off %.3f): "
                + "full fine-tuning fits B better and forgets A, and there is no switch to get A back%n", fullB, loraB,
                fullA, loraA, baseAAfter);
        results.put("full_loss_B", fullB);
        results.put("full_loss_A", fullA);

        Path p = ctx.file("lora-loss.svg");
        Plot.lineChart(p, "training loss (mean of the last 20 steps)", "step", "cross-entropy (nats)",
                List.of(Plot.Series.of("pretraining on text A (all weights)", GptSample.smooth(lossA)),
                        Plot.Series.of("LoRA on text B (adapters only)", GptSample.smooth(lossB)),
                        Plot.Series.of("full fine-tuning on text B", GptSample.smooth(lossFull))), false);
        ctx.wrote(p, "loss of pretraining and of LoRA fine-tuning");
        return results;
    }
}
