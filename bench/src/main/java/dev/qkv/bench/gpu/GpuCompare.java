package dev.qkv.bench.gpu;

import dev.qkv.autograd.Autograd;
import dev.qkv.backend.Backends;
import dev.qkv.backend.cuda.CudaAvailability;
import dev.qkv.backend.cuda.CudaBackend;
import dev.qkv.models.gpt.GPT;
import dev.qkv.models.gpt.GPTConfig;
import dev.qkv.nn.functional.Attention;
import dev.qkv.optim.AdamW;
import dev.qkv.tensor.Device;
import dev.qkv.tensor.Generator;
import dev.qkv.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * qkv's side of {@code bench/run-gpu-compare.sh}: the GPU workloads of issue 5 §4 on the CUDA
 * backend, timed the way {@code bench/gpu_peers.py} times PyTorch on the same GPU in the same run.
 * Prints CSV rows {@code workload,shape,threads,system,metric,value} on stdout (threads is "gpu"),
 * and progress, facts and the reason for every row it does not produce on stderr, prefixed
 * {@code [qkv-gpu]}. Without a usable GPU every qkv row is skipped with the reason, and the exit
 * status is 0 (the runner still runs the peer and writes the report).
 *
 * <p>Timing: each repetition runs the operation (enough times to last about 0.2 s for short
 * ones) and then waits for the device ({@link CudaBackend#synchronize()}); the value is the median
 * over repetitions after warmup. The shapes must match gpu_peers.py.
 *
 * <pre>
 *   java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp ... \
 *       dev.qkv.bench.gpu.GpuCompare [--workloads gemm,attention,gpt2-train] [--quick] [--gpt-batch 8]
 * </pre>
 */
public final class GpuCompare {
    static final String SYSTEM = "qkv-cuda";
    /** Rows torch measures and qkv cannot: reported as not implemented, never as a number. */
    static final String NO_BF16_GEMM = "not implemented in qkv: core has no bfloat16 dtype, so no tensor reaches "
            + "the backend's bf16 cuBLAS path (Blas.gemmStridedBatchedEx)";
    static final String NO_BF16_ATTENTION = "not implemented in qkv: no bfloat16 dtype (the attention kernels are "
            + "float32 only)";
    static final int[] GEMM_N = {1024, 2048, 4096, 8192};
    static final int ATTN_B = 8, ATTN_H = 12, ATTN_D = 64;
    static final int[] ATTN_T = {1024, 2048};
    static final int GPT_LAYERS = 12, GPT_HEADS = 12, GPT_D = 768, GPT_VOCAB = 50257, GPT_CTX = 1024;

    private final boolean quick;
    private final int gptBatch;
    private CudaBackend cuda;

    private GpuCompare(boolean quick, int gptBatch) {
        this.quick = quick;
        this.gptBatch = gptBatch;
    }

    static String gemmShape(int n) {
        return "M=N=K=" + n;
    }

    static String attnShape(int t, String dtype) {
        return "B" + ATTN_B + " H" + ATTN_H + " T" + t + " D" + ATTN_D + " causal " + dtype;
    }

    static String gptShape(int batch, String precision) {
        return "GPT-2 small L12 H12 d768 V50257 B" + batch + " T" + GPT_CTX + " " + precision;
    }

    static void log(String msg) {
        System.err.println("[qkv-gpu] " + msg);
        System.err.flush();
    }

    static void skip(String workload, String shape, String reason) {
        log("skipped " + workload + " [" + shape + "]: " + reason);
    }

    static void emit(String workload, String shape, String metric, double value) {
        System.out.println(workload + "," + shape + ",gpu," + SYSTEM + "," + metric + ","
                + String.format(Locale.ROOT, "%.6g", value));
        System.out.flush();
    }

    // ------------------------------------------------------------------ timing

    /** Median seconds per call of op: warmup, then repetitions of enough calls to last ~0.2 s, each ended by a sync. */
    private double medianSeconds(Runnable op, boolean single) {
        int warmup = quick ? 1 : (single ? 2 : 3);
        int reps = quick ? 3 : (single ? 5 : 7);
        int inner = 1;
        if (!single) {
            long t0 = System.nanoTime();
            op.run();
            cuda.synchronize();
            double one = Math.max((System.nanoTime() - t0) * 1e-9, 1e-6);
            inner = (int) Math.max(1, Math.min(1000, (quick ? 0.05 : 0.2) / one));
        }
        double[] times = new double[reps];
        for (int r = 0; r < warmup + reps; r++) {
            long t0 = System.nanoTime();
            for (int i = 0; i < inner; i++) {
                op.run();
            }
            cuda.synchronize();
            double dt = (System.nanoTime() - t0) * 1e-9 / inner;
            if (r >= warmup) {
                times[r - warmup] = dt;
            }
        }
        Arrays.sort(times);
        return reps % 2 == 1 ? times[reps / 2] : (times[reps / 2 - 1] + times[reps / 2]) / 2;
    }

    /** Milliseconds the JVM has spent collecting (all collectors): device memory comes back through the GC. */
    static long jvmGcMillis() {
        return java.lang.management.ManagementFactory.getGarbageCollectorMXBeans().stream()
                .mapToLong(java.lang.management.GarbageCollectorMXBean::getCollectionTime).sum();
    }

    static long jvmGcCount() {
        return java.lang.management.ManagementFactory.getGarbageCollectorMXBeans().stream()
                .mapToLong(java.lang.management.GarbageCollectorMXBean::getCollectionCount).sum();
    }

    // ------------------------------------------------------------------ workloads

    private void gemm() {
        Device dev = Device.cuda(0);
        for (boolean tf32 : new boolean[] {false, true}) {
            String workload = tf32 ? "gemm-tf32" : "gemm-fp32";
            cuda.setAllowTf32(tf32);
            for (int n : quick ? new int[] {1024, 4096} : GEMM_N) {
                Generator g = new Generator(n);
                Tensor a = Tensor.randn(g, n, n);
                Tensor b = Tensor.randn(g, n, n);
                Tensor da = a.to(dev);
                Tensor db = b.to(dev);
                // A spot check before timing: a wrong product is not a benchmark result.
                float[] c = da.matmul(db).toFloatArray();
                String bad = spotCheck(a.toFloatArray(), b.toFloatArray(), c, n, tf32 ? 5e-3 : 1e-4);
                if (bad != null) {
                    skip(workload, gemmShape(n), "the product is wrong (" + bad + "); not timed");
                    continue;
                }
                double s = medianSeconds(() -> da.matmul(db), false);
                emit(workload, gemmShape(n), "tflops", 2.0 * n * n * n / s / 1e12);
                log(workload + " N=" + n + ": " + String.format(Locale.ROOT, "%.2f ms", s * 1e3) + "; " + cuda.memoryStats());
            }
        }
        cuda.setAllowTf32(false);
        for (int n : quick ? new int[] {1024, 4096} : GEMM_N) {
            skip("gemm-bf16", gemmShape(n), NO_BF16_GEMM);
        }
    }

    /** C[i][j] against a double dot product for a few (i, j); null when all agree within rel·Σ|a·b|. */
    static String spotCheck(float[] a, float[] b, float[] c, int n, double rel) {
        int[][] at = {{0, 0}, {n - 1, n - 1}, {n / 3, n / 2}, {n - 1, 0}};
        for (int[] ij : at) {
            double dot = 0;
            double abs = 0;
            for (int k = 0; k < n; k++) {
                double p = (double) a[ij[0] * n + k] * b[k * n + ij[1]];
                dot += p;
                abs += Math.abs(p);
            }
            double got = c[ij[0] * n + ij[1]];
            if (!(Math.abs(got - dot) <= rel * abs)) {
                return "C[" + ij[0] + "][" + ij[1] + "] = " + got + ", expected " + dot;
            }
        }
        return null;
    }

    private void attention() {
        Device dev = Device.cuda(0);
        for (int t : quick ? new int[] {1024} : ATTN_T) {
            String shape = attnShape(t, "fp32");
            Generator g = new Generator(t);
            Tensor q = Tensor.randn(g, ATTN_B, ATTN_H, t, ATTN_D).to(dev).requiresGrad(true);
            Tensor k = Tensor.randn(g, ATTN_B, ATTN_H, t, ATTN_D).to(dev).requiresGrad(true);
            Tensor v = Tensor.randn(g, ATTN_B, ATTN_H, t, ATTN_D).to(dev).requiresGrad(true);
            Tensor dout = Tensor.randn(g, ATTN_B, ATTN_H, t, ATTN_D).to(dev);
            double fwd = medianSeconds(() -> {
                try (var ng = Autograd.noGrad()) {
                    Attention.scaledDotProductAttention(q, k, v, null, true);
                }
            }, false);
            emit("attention-fwd", shape, "ms", fwd * 1e3);
            double fwdBwd = medianSeconds(() -> {
                q.zeroGrad();
                k.zeroGrad();
                v.zeroGrad();
                Attention.scaledDotProductAttention(q, k, v, null, true).backward(dout);
            }, false);
            emit("attention-fwdbwd", shape, "ms", fwdBwd * 1e3);
            log("attention T=" + t + ": forward " + String.format(Locale.ROOT, "%.3f", fwd * 1e3) + " ms, forward+backward "
                    + String.format(Locale.ROOT, "%.3f", fwdBwd * 1e3) + " ms");
            skip("attention-fwd", attnShape(t, "bf16"), NO_BF16_ATTENTION);
        }
    }

    private void gptTrain() {
        Device dev = Device.cuda(0);
        for (boolean tf32 : new boolean[] {false, true}) {
            String shape = gptShape(gptBatch, tf32 ? "fp32+tf32" : "fp32");
            cuda.setAllowTf32(tf32);
            cuda.resetPeakMemoryStats();
            Generator g = new Generator(42);
            GPT model = new GPT(GPTConfig.of(GPT_VOCAB, GPT_CTX, GPT_LAYERS, GPT_HEADS, GPT_D, 0.0), g);
            model.to(dev);
            model.train();
            AdamW opt = new AdamW(model.parameters(), 3e-4);
            Tensor ids = Tensor.randint(g, 0, GPT_VOCAB, gptBatch, GPT_CTX).to(dev);
            Tensor targets = Tensor.randint(g, 0, GPT_VOCAB, gptBatch, GPT_CTX).to(dev);
            double[] loss = new double[1];
            Runnable step = () -> {
                opt.zeroGrad();
                Tensor l = model.loss(ids, targets);
                l.backward();
                opt.step();
                loss[0] = l.item();
            };
            long gcMs0 = jvmGcMillis();
            long gcCount0 = jvmGcCount();
            double s = medianSeconds(step, true);
            log(String.format(Locale.ROOT, "gpt2-train %s: JVM collections during the timed steps: %d, %d ms",
                    shape, jvmGcCount() - gcCount0, jvmGcMillis() - gcMs0));
            if (Boolean.getBoolean("qkv.bench.kernelTimes")) {
                // One more step under the per-kernel timer (it waits after every launch): where the time goes.
                cuda.kernelTimer().reset();
                cuda.kernelTimer().enable();
                long t0 = System.nanoTime();
                step.run();
                cuda.synchronize();
                cuda.kernelTimer().disable();
                log(String.format(Locale.ROOT, "gpt2-train %s: one step under the kernel timer, %.1f ms wall:%n%s", shape,
                        (System.nanoTime() - t0) * 1e-6, cuda.kernelTimer().report()));
            }
            if (!Double.isFinite(loss[0])) {
                skip("gpt2-train", shape, "the loss is " + loss[0] + "; not reported");
                continue;
            }
            emit("gpt2-train", shape, "tokens/s", gptBatch * (double) GPT_CTX / s);
            log("gpt2-train " + shape + ": " + String.format(Locale.ROOT, "%.1f ms/step, loss %.4f, peak %.2f GiB", s * 1e3,
                    loss[0], cuda.memoryStats().peakAllocatedBytes() / (double) (1L << 30)) + "; " + cuda.memoryStats());
        }
        cuda.setAllowTf32(false);
    }

    // ------------------------------------------------------------------ main

    public static void main(String[] args) {
        Set<String> all = Set.of("gemm", "attention", "gpt2-train");
        List<String> workloads = new ArrayList<>(List.of("gemm", "attention", "gpt2-train"));
        boolean quick = false;
        int gptBatch = 8;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--workloads" -> {
                    workloads = List.of(args[++i].split(","));
                    for (String w : workloads) {
                        if (!all.contains(w)) {
                            throw new IllegalArgumentException("GpuCompare: unknown workload '" + w + "' (known: " + all + ")");
                        }
                    }
                }
                case "--quick" -> quick = true;
                case "--gpt-batch" -> gptBatch = Integer.parseInt(args[++i]);
                default -> throw new IllegalArgumentException("GpuCompare: unknown argument '" + args[i] + "'");
            }
        }
        GpuCompare run = new GpuCompare(quick, gptBatch);
        CudaAvailability.Status status = CudaAvailability.check();
        if (!status.available()) {
            run.skipAll(workloads, status.reason());
            return;
        }
        run.cuda = (CudaBackend) Backends.of(Device.cuda(0));
        log("info: device " + run.cuda.deviceName());
        log("info: cuBLAS " + run.cuda.blasName());
        for (String w : workloads) {
            try {
                switch (w) {
                    case "gemm" -> run.gemm();
                    case "attention" -> run.attention();
                    case "gpt2-train" -> run.gptTrain();
                    default -> throw new IllegalStateException(w);
                }
            } catch (RuntimeException | OutOfMemoryError e) {
                // One failing workload does not lose the others' rows; the reason is in the log.
                log("FAILED " + w + ": " + e);
                e.printStackTrace();
            }
        }
    }

    private void skipAll(List<String> workloads, String reason) {
        String why = "no GPU: " + reason;
        for (String w : workloads) {
            switch (w) {
                case "gemm" -> {
                    for (int n : quick ? new int[] {1024, 4096} : GEMM_N) {
                        skip("gemm-fp32", gemmShape(n), why);
                        skip("gemm-tf32", gemmShape(n), why);
                        skip("gemm-bf16", gemmShape(n), NO_BF16_GEMM);
                    }
                }
                case "attention" -> {
                    for (int t : quick ? new int[] {1024} : ATTN_T) {
                        skip("attention-fwd", attnShape(t, "fp32"), why);
                        skip("attention-fwdbwd", attnShape(t, "fp32"), why);
                        skip("attention-fwd", attnShape(t, "bf16"), NO_BF16_ATTENTION);
                    }
                }
                case "gpt2-train" -> {
                    skip("gpt2-train", gptShape(gptBatch, "fp32"), why);
                    skip("gpt2-train", gptShape(gptBatch, "fp32+tf32"), why);
                }
                default -> throw new IllegalStateException(w);
            }
        }
    }
}
