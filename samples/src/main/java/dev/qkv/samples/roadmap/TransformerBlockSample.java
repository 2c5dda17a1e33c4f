package dev.qkv.samples.roadmap;

import dev.qkv.autograd.Autograd;
import dev.qkv.models.gpt.Block;
import dev.qkv.models.gpt.CausalSelfAttention;
import dev.qkv.models.gpt.GPT;
import dev.qkv.models.gpt.GPTConfig;
import dev.qkv.models.gpt.Mlp;
import dev.qkv.nn.LayerNorm;
import dev.qkv.nn.Linear;
import dev.qkv.nn.Parameter;
import dev.qkv.nn.functional.Attention;
import dev.qkv.nn.functional.F;
import dev.qkv.samples.Sample;
import dev.qkv.samples.SampleContext;
import dev.qkv.tensor.DType;
import dev.qkv.tensor.Generator;
import dev.qkv.tensor.Tensor;

import java.io.PrintStream;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Multi-head self-attention and a pre-norm transformer block (GPT-2's), written here from tensor
 * ops — matmuls, a head split with view/transpose, softmax, residual additions, LayerNorm from a
 * mean and a variance, GELU from its formula — and checked against qkv's GPT.
 *
 * <pre>
 *   x = x + attn(ln_1(x))        attn: c_attn makes q, k, v; NH heads attend causally; c_proj mixes them
 *   x = x + mlp(ln_2(x))         mlp:  c_fc widens to 4C, GELU, c_proj narrows back to C
 * </pre>
 *
 * qkv's {@code Block.forward} is package-private, so the reference is a whole one-layer
 * {@link GPT}: embeddings, block, final LayerNorm, output layer. The sample runs the same model
 * twice — once as {@code gpt.forward(ids)}, once by hand from the GPT's own parameters — and
 * compares the logits, the gradient with respect to the block's input, and the gradient of every
 * block parameter.
 */
public final class TransformerBlockSample implements Sample {
    @Override
    public String name() {
        return "transformer-block";
    }

    @Override
    public String summary() {
        return "multi-head attention and a pre-norm block from tensor ops, checked against qkv's GPT";
    }

    // ===================================================================== the parts, by hand

    /** y = x·Wᵀ + b with W [out, in]: (..., in) -> (..., out). */
    static Tensor linear(Tensor x, Linear l) {
        Tensor y = x.matmul(l.weight.t());                                       // (..., in)·(in, out)
        return l.bias == null ? y : y.add(l.bias);
    }

    /** (x − mean)/√(var + eps)·γ + β over the last dim; var divides by C (biased), as PyTorch's. */
    static Tensor layerNorm(Tensor x, LayerNorm ln) {
        Tensor mean = x.mean(-1, true);                                          // (B, T, 1)
        Tensor centered = x.sub(mean);
        Tensor var = centered.square().mean(-1, true);                           // (B, T, 1)
        Tensor y = centered.div(var.add(ln.eps).sqrt());                         // (B, T, C): mean 0, var 1 per row
        y = ln.weight == null ? y : y.mul(ln.weight);
        return ln.bias == null ? y : y.add(ln.bias);
    }

    /** GPT-2's GELU, the tanh approximation: ½·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))). */
    static Tensor gelu(Tensor x) {
        Tensor inner = x.add(x.pow(3).mul(0.044715)).mul(Math.sqrt(2 / Math.PI));
        return x.mul(0.5).mul(inner.tanh().add(1));
    }

    /** Causal multi-head self-attention on x (B, T, C) with NH heads of HS = C/NH features. */
    static Tensor selfAttention(Tensor x, CausalSelfAttention attn, int nh, PrintStream trace) {
        int b = x.size(0);
        int t = x.size(1);
        int c = x.size(2);
        int hs = c / nh;
        Tensor qkv = linear(x, attn.cAttn);                                      // (B, T, 3C)
        // Split the 3C features into q, k, v, then each C into NH heads of HS features, and move
        // the head dim forward so every head is a separate (T, HS) matrix for the matmuls.
        Tensor q = qkv.narrow(2, 0, c).view(b, t, nh, hs).transpose(1, 2);       // (B, NH, T, HS)
        Tensor k = qkv.narrow(2, c, c).view(b, t, nh, hs).transpose(1, 2);       // (B, NH, T, HS)
        Tensor v = qkv.narrow(2, 2 * c, c).view(b, t, nh, hs).transpose(1, 2);   // (B, NH, T, HS)
        Tensor att = q.matmul(k.transpose(-2, -1)).mul(1 / Math.sqrt(hs));      // (B, NH, T, T)
        att = att.maskedFill(upperTriangle(t), Double.NEGATIVE_INFINITY);        // token i sees keys j <= i
        att = F.softmax(att, -1);
        Tensor y = att.matmul(v);                                                // (B, NH, T, HS)
        // Merge the heads: back to (B, T, NH, HS), then the NH·HS features side by side. The
        // transpose made y non-contiguous, so this reshape copies.
        Tensor merged = y.transpose(1, 2).reshape(b, t, c);                      // (B, T, C)
        if (trace != null) {
            trace.printf("    c_attn(x)        %s  (q, k, v side by side)%n", shape(qkv));
            trace.printf("    q, k, v heads    %s  (B, NH, T, HS)%n", shape(q));
            trace.printf("    q·k^T/sqrt(HS)   %s  (B, NH, T, T), causal mask, softmax%n", shape(att));
            trace.printf("    weights·v        %s%n", shape(y));
            trace.printf("    heads merged     %s%n", shape(merged));
        }
        return linear(merged, attn.cProj);                                       // (B, T, C)
    }

    /** BOOL (T, T), true above the diagonal: the keys a causal query may not see. */
    static Tensor upperTriangle(int t) {
        boolean[] m = new boolean[t * t];
        for (int i = 0; i < t; i++) {
            for (int j = i + 1; j < t; j++) {
                m[i * t + j] = true;
            }
        }
        return Tensor.fromArray(m, t, t);
    }

    static Tensor mlp(Tensor x, Mlp mlp) {
        return linear(gelu(linear(x, mlp.cFc)), mlp.cProj);                      // (B, T, 4C) -> (B, T, C)
    }

    /** The pre-norm block: each sub-layer reads a normalized copy and adds its result to x. */
    static Tensor block(Tensor x, Block blk, int nh, PrintStream trace) {
        if (trace != null) {
            trace.printf("  block input x      %s%n", shape(x));
        }
        x = x.add(selfAttention(layerNorm(x, blk.ln1), blk.attn, nh, trace));   // residual 1
        if (trace != null) {
            trace.printf("  x + attn(ln_1(x))  %s%n", shape(x));
        }
        x = x.add(mlp(layerNorm(x, blk.ln2), blk.mlp));                         // residual 2
        if (trace != null) {
            trace.printf("  x + mlp(ln_2(x))   %s  (mlp: C -> 4C -> C)%n", shape(x));
        }
        return x;
    }

    // ===================================================================== the comparison

    /** What one comparison found: the largest differences, and the gradient's scale for context. */
    record Check(double logits, double inputGrad, double paramGrad, double gradScale) {
    }

    /**
     * Runs the GPT's forward and backward, then the hand-written path from the same parameters,
     * and compares. The input gradient: x0 = wte[ids] + wpe[pos], so the library's wpe gradient
     * at rows 0..T−1 is dL/dx0 summed over the batch.
     */
    static Check compare(GPT gpt, Tensor ids, Tensor targets, PrintStream trace) {
        GPTConfig cfg = gpt.config;
        int t = ids.size(1);
        Block blk = gpt.transformer.h.get(0);

        // 1. the library
        gpt.zeroGrad();
        Tensor logitsLib = gpt.forward(ids);                                     // (B, T, V)
        F.crossEntropy(logitsLib.reshape(-1, cfg.vocabSize()), targets.reshape(-1)).backward();
        Map<String, Tensor> gradLib = new LinkedHashMap<>();
        gpt.namedParameters().forEach((name, p) -> gradLib.put(name, p.grad().clone()));
        Tensor inputGradLib = gradLib.get("transformer.wpe.weight").narrow(0, 0, t);  // (T, C)

        // 2. by hand: embeddings, our block, final LayerNorm, output layer tied to wte
        gpt.zeroGrad();
        Tensor pos = Tensor.arange(t).to(DType.INT64);
        Tensor x0;
        try (var s = Autograd.noGrad()) {
            x0 = F.embedding(ids, gpt.transformer.wte.weight).add(F.embedding(pos, gpt.transformer.wpe.weight));
        }
        x0.requiresGrad(true);                                                   // (B, T, C): a leaf, to get dL/dx0
        Tensor x = block(x0, blk, cfg.nHead(), trace);
        Tensor logits = linear(layerNorm(x, gpt.transformer.lnF), gpt.lmHead);   // (B, T, V)
        F.crossEntropy(logits.reshape(-1, cfg.vocabSize()), targets.reshape(-1)).backward();

        double logitsDiff = maxAbsDiff(logits, logitsLib);
        double inputDiff = maxAbsDiff(x0.grad().sum(0), inputGradLib);
        double paramDiff = 0;
        double scale = 0;
        for (var e : gpt.namedParameters().entrySet()) {
            String name = e.getKey();
            if (name.startsWith("transformer.h.0.") || name.startsWith("transformer.ln_f.")) {
                paramDiff = Math.max(paramDiff, maxAbsDiff(e.getValue().grad(), gradLib.get(name)));
                scale = Math.max(scale, gradLib.get(name).abs().max().item());
            }
        }
        return new Check(logitsDiff, inputDiff, paramDiff, scale);
    }

    static double maxAbsDiff(Tensor a, Tensor b) {
        return a.sub(b).abs().max().item();
    }

    static String shape(Tensor t) {
        return Arrays.toString(t.shape());
    }

    @Override
    public Map<String, Double> run(SampleContext ctx) throws Exception {
        int b = 2;
        int t = ctx.size(12, 6);                                 // T differs from HS, so shapes read apart
        int c = ctx.size(64, 32);
        int nh = 4;
        int vocab = ctx.size(96, 64);
        PrintStream out = ctx.out();
        Generator g = new Generator(ctx.seed());
        GPT gpt = new GPT(GPTConfig.of(vocab, t, 1, nh, c, 0.0), g);
        gpt.eval();
        // GPT-2 starts biases at 0 and LayerNorm at (γ = 1, β = 0): then a forgotten bias or γ
        // would go unnoticed. Perturb every parameter so each one matters.
        try (var s = Autograd.noGrad()) {
            for (Parameter p : gpt.parameters()) {
                p.add_(Tensor.randn(g, p.shape()).mul(0.1));
            }
        }
        Block blk = gpt.transformer.h.get(0);
        Tensor ids = Tensor.randint(g, 0, vocab, b, t);                          // (B, T)
        Tensor targets = Tensor.randint(g, 0, vocab, b, t);
        out.printf(Locale.ROOT, "B = %d, T = %d, C = %d, NH = %d, HS = %d, V = %d; the block has %,d parameters "
                + "(12C^2 + 13C = %,d)%n", b, t, c, nh, c / nh, vocab, blk.numParameters(), 12L * c * c + 13L * c);

        // Each part on its own against the library's version of it
        Tensor xr = Tensor.randn(g, b, t, c);
        Tensor qkv = blk.attn.cAttn.forward(blk.ln1.forward(xr));
        Tensor q = qkv.narrow(2, 0, c).view(b, t, nh, c / nh).transpose(1, 2);
        Tensor k = qkv.narrow(2, c, c).view(b, t, nh, c / nh).transpose(1, 2);
        Tensor v = qkv.narrow(2, 2 * c, c).view(b, t, nh, c / nh).transpose(1, 2);
        Tensor manualAttn = F.softmax(q.matmul(k.transpose(-2, -1)).mul(1 / Math.sqrt(c / nh))
                .maskedFill(upperTriangle(t), Double.NEGATIVE_INFINITY), -1).matmul(v);
        Map<String, Double> results = new LinkedHashMap<>();
        double[] parts = {
            maxAbsDiff(linear(xr, blk.attn.cAttn), blk.attn.cAttn.forward(xr)),
            maxAbsDiff(layerNorm(xr, blk.ln1), blk.ln1.forward(xr)),
            maxAbsDiff(gelu(xr), xr.gelu(true)),
            maxAbsDiff(manualAttn, Attention.scaledDotProductAttention(q, k, v, null, true)),
            maxAbsDiff(mlp(xr, blk.mlp), blk.mlp.forward(xr)),
        };
        String[] partNames = {"linear (c_attn)", "layerNorm (ln_1)", "gelu (tanh approx.)", "causal attention core",
            "mlp"};
        out.println("each part against qkv's (max |difference|, float32):");
        for (int i = 0; i < parts.length; i++) {
            out.printf(Locale.ROOT, "  %-22s %.1e%n", partNames[i], parts[i]);
            results.put("part_" + partNames[i].split(" ")[0], parts[i]);
        }

        // The whole block inside the one-layer GPT, forward and backward
        out.println("\nthe hand-written forward pass, shape by shape:");
        Check f32 = compare(gpt, ids, targets, out);
        out.printf(Locale.ROOT, "%nfloat32, hand-written vs gpt.forward:%n  logits              max |diff| %.1e%n"
                + "  dL/d(block input)   max |diff| %.1e%n  dL/d(block params)  max |diff| %.1e   (largest gradient %.1e)%n",
                f32.logits(), f32.inputGrad(), f32.paramGrad(), f32.gradScale());
        // The same in float64: the differences above are float32 rounding (the library sums in
        // another order, e.g. its fused attention kernel), not a different computation.
        gpt.to(DType.FLOAT64);
        Check f64 = compare(gpt, ids, targets, null);
        out.printf(Locale.ROOT, "float64, the same comparison: logits %.1e, input gradient %.1e, parameter gradients %.1e%n",
                f64.logits(), f64.inputGrad(), f64.paramGrad());
        results.put("logits_diff", f32.logits());
        results.put("input_grad_diff", f32.inputGrad());
        results.put("param_grad_diff", f32.paramGrad());
        results.put("grad_scale", f32.gradScale());
        results.put("logits_diff_f64", f64.logits());
        results.put("input_grad_diff_f64", f64.inputGrad());
        results.put("param_grad_diff_f64", f64.paramGrad());
        return results;
    }
}
