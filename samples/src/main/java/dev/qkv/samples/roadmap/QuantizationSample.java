package dev.qkv.samples.roadmap;

import dev.qkv.autograd.Autograd;
import dev.qkv.models.hf.HuggingFace;
import dev.qkv.models.gpt.GPT;
import dev.qkv.models.gpt.GPTConfig;
import dev.qkv.samples.Sample;
import dev.qkv.samples.SampleContext;
import dev.qkv.samples.cli.CliException;
import dev.qkv.tensor.Generator;
import dev.qkv.tensor.Tensor;
import dev.qkv.tokenizer.CharTokenizer;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Storing a trained GPT's weights in fewer bits, and what it costs in quality.
 *
 * <p>Every weight matrix (the four Linear layers of each block, the token and position
 * embeddings) is converted to a smaller format and back to float32, and the model's loss on
 * held-out text is measured again. Biases and LayerNorm parameters are few and stay float32.
 *
 * <ul>
 *   <li><b>BF16</b>: the top 16 bits of a float32 (8 exponent bits, 7 fraction bits), rounded to
 *       nearest. Same range as float32, about 3 significant digits.
 *   <li><b>FP16</b>: IEEE half precision (5 exponent bits, 10 fraction bits); Java's
 *       {@code Float.floatToFloat16}. More precise than BF16 but overflows above 65504.
 *   <li><b>INT8 per channel</b>: each output row o gets a scale s_o = max|W[o,:]|/127, and stores
 *       q = round(W/s_o) in [−127, 127]; W ≈ s_o·q. Symmetric (no zero point): weights are
 *       centred on zero. One scale per row keeps a row of small weights from being crushed by
 *       another row's large ones.
 *   <li><b>INT8 per tensor</b>: one scale for the whole matrix, to show why per channel matters.
 *   <li><b>INT4 per channel</b>: q in [−7, 7]: where rounding error starts to show.
 * </ul>
 *
 * <p>qkv computes in float32 only (its tensors have no 16-bit or int8 type), so here the weights
 * are dequantized once when "loading" and the forward pass is exactly as fast as before: storage
 * (disk, download, memory of the stored copy) shrinks, compute does not. Speed needs a kernel
 * that reads the small format directly; {@link #int8Matmul} is one, a plain loop, measured
 * against the same loop on float32 and against qkv's vectorized matmul.
 */
public final class QuantizationSample implements Sample {
    @Override
    public String name() {
        return "quantization";
    }

    @Override
    public String summary() {
        return "INT8 per-channel, FP16 and BF16 weights of a GPT: memory, held-out perplexity, speed";
    }

    @Override
    public List<String> options() {
        return List.of("model", "data", "steps");
    }

    /** A weight matrix [rows, cols] in a storage format, with its size in bytes. */
    interface Stored {
        float[] dequantize();

        long bytes();
    }

    /** float32 → bfloat16 bits: keep the top 16 bits, rounding to nearest, ties to even. */
    static short toBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if (Float.isNaN(f)) {
            return (short) ((bits >>> 16) | 0x40);               // keep it a (quiet) NaN
        }
        int lsb = (bits >>> 16) & 1;                             // the last bit we keep
        return (short) ((bits + 0x7fff + lsb) >>> 16);          // adding just under half rounds; ties go to even
    }

    static float fromBf16(short h) {
        return Float.intBitsToFloat((h & 0xffff) << 16);
    }

    /** 16-bit floats; {@code brain} picks bfloat16, else IEEE half. */
    record Half(short[] bits, boolean brain) implements Stored {
        static Half of(float[] w, boolean brain) {
            short[] h = new short[w.length];
            for (int i = 0; i < w.length; i++) {
                h[i] = brain ? toBf16(w[i]) : Float.floatToFloat16(w[i]);
            }
            return new Half(h, brain);
        }

        @Override
        public float[] dequantize() {
            float[] w = new float[bits.length];
            for (int i = 0; i < w.length; i++) {
                w[i] = brain ? fromBf16(bits[i]) : Float.float16ToFloat(bits[i]);
            }
            return w;
        }

        @Override
        public long bytes() {
            return 2L * bits.length;
        }
    }

    /**
     * Symmetric integer quantization: q[o][i] = round(W[o][i] / s) clamped to [−qmax, qmax],
     * with s = max|W[o,:]| / qmax per row (per channel) or one s for the whole matrix.
     * 4-bit values are counted as packed two to a byte (stored one per byte here, for clarity).
     */
    record IntQuant(byte[] q, float[] scales, int rows, int cols, int bits) implements Stored {
        static IntQuant of(float[] w, int rows, int cols, int bits, boolean perChannel) {
            int qmax = (1 << (bits - 1)) - 1;                    // 127 for 8 bits, 7 for 4
            float[] scales = new float[perChannel ? rows : 1];
            for (int o = 0; o < rows; o++) {
                float max = 0;
                for (int i = 0; i < cols; i++) {
                    max = Math.max(max, Math.abs(w[o * cols + i]));
                }
                int s = perChannel ? o : 0;
                scales[s] = Math.max(scales[s], max / qmax);
            }
            byte[] q = new byte[w.length];
            for (int o = 0; o < rows; o++) {
                float s = scales[perChannel ? o : 0];
                for (int i = 0; i < cols; i++) {
                    float v = s == 0 ? 0 : w[o * cols + i] / s;
                    q[o * cols + i] = (byte) Math.max(-qmax, Math.min(qmax, Math.round(v)));
                }
            }
            return new IntQuant(q, scales, rows, cols, bits);
        }

        float scale(int row) {
            return scales[scales.length == 1 ? 0 : row];
        }

        @Override
        public float[] dequantize() {
            float[] w = new float[q.length];
            for (int o = 0; o < rows; o++) {
                float s = scale(o);
                for (int i = 0; i < cols; i++) {
                    w[o * cols + i] = s * q[o * cols + i];
                }
            }
            return w;
        }

        @Override
        public long bytes() {
            return (long) q.length * bits / 8 + 4L * scales.length;
        }
    }

    /** The formats compared, by name; each turns a matrix [rows, cols] into its stored form. */
    interface Format {
        Stored store(float[] w, int rows, int cols);
    }

    static Map<String, Format> formats() {
        Map<String, Format> f = new LinkedHashMap<>();
        f.put("FP32", (w, r, c) -> new Stored() {
            @Override
            public float[] dequantize() {
                return w.clone();
            }

            @Override
            public long bytes() {
                return 4L * w.length;
            }
        });
        f.put("BF16", (w, r, c) -> Half.of(w, true));
        f.put("FP16", (w, r, c) -> Half.of(w, false));
        f.put("INT8 per channel", (w, r, c) -> IntQuant.of(w, r, c, 8, true));
        f.put("INT8 per tensor", (w, r, c) -> IntQuant.of(w, r, c, 8, false));
        f.put("INT4 per channel", (w, r, c) -> IntQuant.of(w, r, c, 4, true));
        return f;
    }

    /**
     * y[n][o] = s_o · Σ_k x[n][k]·q[o][k]: a matmul that reads int8 weights directly, the scale
     * taken out of the inner loop. x is [N, K] float, the weights [O, K] int8 with per-row scales.
     */
    static float[] int8Matmul(float[] x, int n, IntQuant w) {
        int k = w.cols();
        int o = w.rows();
        byte[] q = w.q();
        float[] y = new float[n * o];
        for (int r = 0; r < n; r++) {
            for (int c = 0; c < o; c++) {
                float acc = 0;
                for (int i = 0; i < k; i++) {
                    acc += x[r * k + i] * q[c * k + i];             // byte widened to float
                }
                y[r * o + c] = acc * w.scale(c);
            }
        }
        return y;
    }

    /** The same loop over float32 weights [O, K], for a fair comparison with {@link #int8Matmul}. */
    static float[] floatMatmul(float[] x, int n, float[] w, int o, int k) {
        float[] y = new float[n * o];
        for (int r = 0; r < n; r++) {
            for (int c = 0; c < o; c++) {
                float acc = 0;
                for (int i = 0; i < k; i++) {
                    acc += x[r * k + i] * w[c * k + i];
                }
                y[r * o + c] = acc;
            }
        }
        return y;
    }

    /** The matrices that get quantized: every 2-D parameter (lm_head is tied to wte, so it is wte). */
    static Map<String, Tensor> matrices(GPT model) {
        Map<String, Tensor> m = new LinkedHashMap<>();
        model.namedParameters().forEach((name, p) -> {
            if (p.dim() == 2) {
                m.put(name, p);
            }
        });
        return m;
    }

    /** The model to study: --model DIR (from the gpt sample or qkv train-gpt), or one trained here. */
    private static Object[] modelAndTokenizer(SampleContext ctx, String text) throws Exception {
        if (ctx.args().has("model")) {
            Path dir = Path.of(ctx.args().required("model"));
            if (!Files.isRegularFile(dir.resolve(CharTokenizer.FILE))) {
                throw new CliException("--model " + dir + ": expected a character-level GPT directory (with "
                        + CharTokenizer.FILE + "), as written by qkv sample gpt or qkv train-gpt");
            }
            if (!(HuggingFace.loadCausalLM(dir) instanceof GPT gpt)) {
                throw new CliException("--model " + dir + " is not a GPT-2 model");
            }
            ctx.out().println("loaded " + dir);
            return new Object[] {gpt, CharTokenizer.load(dir)};
        }
        CharTokenizer tok = CharTokenizer.fromText(text);
        int[] ids = tok.encode(text);
        int[] train = Arrays.copyOfRange(ids, 0, (int) (ids.length * 0.9));
        GPTConfig cfg = GPTConfig.of(tok.vocabSize(), ctx.size(64, 32), 2, 4, ctx.size(64, 32), 0.0);
        GPT model = new GPT(cfg, new Generator(ctx.seed()));
        int steps = ctx.args().integer("steps", ctx.size(300, 60), 1, 1_000_000);
        ctx.out().printf("training a %,d-parameter char GPT for %d steps (or pass --model DIR from qkv sample gpt)%n",
                model.numParameters(), steps);
        CharGpt.train(ctx, model.parameters(), model::forward, g -> CharGpt.windows(train, 16, cfg.blockSize(), g),
                steps, 3e-3, ctx.seed() + 1);
        return new Object[] {model, tok};
    }

    @Override
    public Map<String, Double> run(SampleContext ctx) throws Exception {
        String text = CharGpt.corpus(ctx);
        Object[] mt = modelAndTokenizer(ctx, text);
        GPT model = (GPT) mt[0];
        CharTokenizer tok = (CharTokenizer) mt[1];
        model.eval();
        int[] ids;
        try {
            ids = tok.encode(text);
        } catch (IllegalArgumentException e) {
            throw new CliException("the text does not fit the model's vocabulary (pass the --data it was trained on): "
                    + e.getMessage());
        }
        int[] heldOut = Arrays.copyOfRange(ids, (int) (ids.length * 0.9), ids.length);
        int t = model.config.blockSize();

        Map<String, Tensor> fp32 = new LinkedHashMap<>();              // the original weights, copied
        model.stateDict().forEach((k, v) -> fp32.put(k, v.clone()));
        Map<String, Tensor> mats = matrices(model);
        long otherBytes = 0;                                            // biases and norms: float32 in every format
        for (var e : model.namedParameters().entrySet()) {
            otherBytes += mats.containsKey(e.getKey()) ? 0 : 4L * e.getValue().numel();
        }
        long matValues = mats.values().stream().mapToLong(Tensor::numel).sum();
        ctx.out().printf("%d weight matrices with %,d values are quantized; %,d bias/norm values stay float32%n",
                mats.size(), matValues, otherBytes / 4);
        ctx.out().printf("held-out text: %,d characters (the last 10%% of the corpus)%n", heldOut.length);
        ctx.out().println("format            matrices  (ratio)   whole model (ratio)  weight error  held-out loss  perplexity");
        Map<String, Double> results = new LinkedHashMap<>();
        double fp32Ppl = 0;
        long fp32Bytes = 0;
        IntQuant probe = null;                                          // one int8 matrix for the speed test
        String probeName = "transformer.h.0.mlp.c_fc.weight";
        for (var f : formats().entrySet()) {
            long bytes = 0;
            double errSq = 0;
            double normSq = 0;
            Map<String, Tensor> state = new LinkedHashMap<>(fp32);
            for (var e : mats.entrySet()) {
                Tensor w = fp32.get(e.getKey());
                float[] values = w.toFloatArray();
                Stored s = f.getValue().store(values, w.size(0), w.size(1));
                float[] back = s.dequantize();
                bytes += s.bytes();
                for (int i = 0; i < values.length; i++) {
                    errSq += (back[i] - values[i]) * (double) (back[i] - values[i]);
                    normSq += values[i] * (double) values[i];
                }
                state.put(e.getKey(), Tensor.fromArray(back, w.shape()));
                if (e.getKey().equals(probeName) && f.getKey().equals("INT8 per channel")) {
                    probe = (IntQuant) s;
                }
            }
            state.put("lm_head.weight", state.get("transformer.wte.weight"));      // tied
            model.loadStateDict(state, true);                                       // dequantize on load
            double loss = CharGpt.heldOutLoss(model::forward, heldOut, t);
            double ppl = Math.exp(loss);
            if (f.getKey().equals("FP32")) {
                fp32Ppl = ppl;
                fp32Bytes = bytes;
            }
            double relErr = Math.sqrt(errSq / normSq);
            ctx.out().printf("%-16s %9s  (%4.2fx)  %11s (%4.2fx)  %12.2e  %13.4f  %10.3f%n", f.getKey(), kb(bytes),
                    (double) fp32Bytes / bytes, kb(bytes + otherBytes),
                    (double) (fp32Bytes + otherBytes) / (bytes + otherBytes), relErr, loss, ppl);
            String key = f.getKey().replace(' ', '_');
            results.put("ppl_" + key, ppl);
            results.put("ppl_ratio_" + key, ppl / fp32Ppl);
            results.put("memory_ratio_" + key, (double) fp32Bytes / bytes);
        }
        model.loadStateDict(fp32, true);
        ctx.out().println("(weight error = ||W - dequantized W|| / ||W||; INT8 per channel is a little under 4x "
                + "because of its float32 scale per row)");

        speed(ctx, model, heldOut, probe, results);
        return results;
    }

    private static String kb(long bytes) {
        return String.format("%.1f KB", bytes / 1024.0);
    }

    /** Forward-pass speed (the same for every format here) and the int8 kernel against float loops. */
    private static void speed(SampleContext ctx, GPT model, int[] heldOut, IntQuant w, Map<String, Double> results) {
        int t = model.config.blockSize();
        int reps = ctx.size(20, 3);
        long[] x = new long[8 * t];
        for (int i = 0; i < x.length; i++) {
            x[i] = heldOut[i % heldOut.length];
        }
        Tensor ids = Tensor.fromArray(x, 8, t);
        double tokPerS;
        try (var s = Autograd.noGrad()) {
            model.forward(ids);                                                     // warm up the JIT
            long t0 = System.nanoTime();
            for (int r = 0; r < reps; r++) {
                model.forward(ids);
            }
            tokPerS = (double) reps * ids.numel() / ((System.nanoTime() - t0) / 1e9);
        }
        ctx.out().printf("forward pass: %,.0f tokens/s — the same for every format, because the weights were "
                + "dequantized to float32 when loaded%n", tokPerS);
        results.put("forward_tokens_per_s", tokPerS);

        // One layer's matmul three ways: c_fc of block 0, [4C, C], on 256 rows of activations.
        int n = 256;
        int k = w.cols();
        int o = w.rows();
        Generator g = new Generator(3);
        float[] act = Tensor.randn(g, n, k).toFloatArray();
        float[] wf = w.dequantize();
        float[] ref = floatMatmul(act, n, wf, o, k);
        float[] q8 = int8Matmul(act, n, w);
        double maxDiff = 0;
        for (int i = 0; i < ref.length; i++) {
            maxDiff = Math.max(maxDiff, Math.abs(ref[i] - q8[i]));
        }
        Tensor xt = Tensor.fromArray(act, n, k);
        Tensor wt = Tensor.fromArray(wf, o, k).t();
        double flops = 2.0 * n * k * o;
        int loops = ctx.size(30, 3);
        double tFloat = time(loops, () -> floatMatmul(act, n, wf, o, k));
        double tInt8 = time(loops, () -> int8Matmul(act, n, w));
        double tQkv;
        try (var s = Autograd.noGrad()) {
            tQkv = time(loops, () -> xt.matmul(wt));
        }
        ctx.out().printf("one matmul [%d x %d] · [%d x %d]ᵀ (int8 kernel checked against the float loop: max |diff| "
                + "%.1e):%n", n, k, o, k, maxDiff);
        ctx.out().printf("  plain loop, float32 weights  %8.3f ms  %5.2f GFLOP/s  (%s of weights)%n", tFloat * 1e3,
                flops / tFloat / 1e9, kb(4L * o * k));
        ctx.out().printf("  plain loop, int8 weights     %8.3f ms  %5.2f GFLOP/s  (%s of weights)%n", tInt8 * 1e3,
                flops / tInt8 / 1e9, kb(w.bytes()));
        ctx.out().printf("  qkv matmul (Vector API)      %8.3f ms  %5.2f GFLOP/s%n", tQkv * 1e3, flops / tQkv / 1e9);
        ctx.out().printf("  the int8 loop takes %.2fx the float loop's time. Both do the same multiply-adds; int8 only "
                + "reads 4x fewer bytes, which pays off when reading weights is the bottleneck (matrices much larger "
                + "than the caches, one token at a time). Real int8 speed comes from SIMD int8 dot products (VNNI, "
                + "dp4a, tensor cores), which this loop does not use.%n", tInt8 / tFloat);
        results.put("int8_kernel_max_diff", maxDiff);
        results.put("ms_float_loop", tFloat * 1e3);
        results.put("ms_int8_loop", tInt8 * 1e3);
        results.put("ms_qkv_matmul", tQkv * 1e3);
    }

    /** Seconds per call: the best of {@code loops} timed calls, after 20 calls to let the JIT compile the code. */
    private static double time(int loops, Runnable r) {
        for (int i = 0; i < 20; i++) {
            r.run();
        }
        double best = Double.MAX_VALUE;
        for (int i = 0; i < loops; i++) {
            long t0 = System.nanoTime();
            r.run();
            best = Math.min(best, (System.nanoTime() - t0) / 1e9);
        }
        return best;
    }
}
