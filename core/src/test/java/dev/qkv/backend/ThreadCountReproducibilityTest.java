package dev.qkv.backend;

import dev.qkv.backend.cpu.CpuBackend;
import dev.qkv.backend.cpu.CpuStorage;
import dev.qkv.backend.cpu.Parallel;
import dev.qkv.tensor.DType;
import dev.qkv.tensor.Layout;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/**
 * The vector CPU kernels give bit-identical float32 results whatever the pool size: work is cut
 * into pieces of fixed size, each output is computed by one task in one order, and gradient sums
 * over rows are never split by thread. Every kernel runs here on inputs large enough to be
 * split, at 1, 2, 3, 4 and 7 threads, and the results are compared bit for bit.
 */
class ThreadCountReproducibilityTest {
    private static final CpuBackend BE = new CpuBackend(CpuBackend.Kernels.VECTOR);
    private static final int ROWS = 301;
    private static final int COLS = 259;
    private static int savedThreads;

    @BeforeAll
    static void save() {
        savedThreads = Parallel.threads();
    }

    @AfterAll
    static void restore() {
        Parallel.setThreads(savedThreads);
    }

    private static CpuStorage.F32 random(int n, long seed) {
        return (CpuStorage.F32) HostData.signed(DType.FLOAT32, n, new Random(seed), 0.01, 3);
    }

    private static CpuStorage.F32 f32(int n) {
        return (CpuStorage.F32) CpuStorage.allocate(DType.FLOAT32, n);
    }

    /** Each entry runs one kernel on fixed inputs into fresh outputs and returns all of them, concatenated. */
    private static Map<String, Supplier<float[]>> battery() {
        int n = ROWS * COLS;
        Layout full = Layout.contiguous(ROWS, COLS);
        Layout transposed = Layout.contiguous(COLS, ROWS).transpose(0, 1);
        Layout perCol = new Layout(new int[] {ROWS, COLS}, new int[] {0, 1}, 0);
        CpuStorage.F32 x = random(n, 1);
        CpuStorage.F32 y = random(n, 2);
        CpuStorage.F32 w = random(COLS, 3);
        CpuStorage.F32 dloss = random(ROWS, 8);
        CpuStorage cond = HostData.ints(DType.BOOL, n, new Random(4), 0, 1);
        CpuStorage targets = HostData.ints(DType.INT64, ROWS, new Random(5), 0, COLS - 1);
        CpuStorage idx = HostData.ints(DType.INT64, 900, new Random(6), 0, ROWS - 1);
        CpuStorage gidx = HostData.ints(DType.INT64, n, new Random(7), 0, COLS - 1);

        Map<String, Supplier<float[]>> ops = new LinkedHashMap<>();
        ops.put("unary GELU, transposed", () -> {
            CpuStorage.F32 o = f32(n);
            BE.unary(UnaryOp.GELU, x, transposed, o, full);
            return o.data;
        });
        ops.put("binary MUL, broadcast row", () -> {
            CpuStorage.F32 o = f32(n);
            BE.binary(BinaryOp.MUL, x, full, w, perCol, o, full);
            return o.data;
        });
        ops.put("where", () -> {
            CpuStorage.F32 o = f32(n);
            BE.where(cond, full, x, full, y, transposed, o, full);
            return o.data;
        });
        for (boolean[] dims : List.of(new boolean[] {false, true}, new boolean[] {true, false}, new boolean[] {true, true})) {
            for (Layout l : List.of(full, transposed)) {
                ops.put("reduce SUM " + java.util.Arrays.toString(dims) + " " + l, () -> {
                    int outN = (dims[0] ? 1 : ROWS) * (dims[1] ? 1 : COLS);
                    CpuStorage.F32 o = f32(outN);
                    BE.reduce(ReduceOp.SUM, x, l, dims, o);
                    return o.data;
                });
            }
        }
        ops.put("gemm", () -> {
            CpuStorage.F32 c = f32(ROWS * ROWS);                           // x · yᵀ: [301, 259]·[259, 301]
            BE.gemm(new Gemm(1, ROWS, ROWS, COLS, x, 0, 0, COLS, false, y, 0, 0, COLS, true, c, 0, 0, ROWS, 1, 0));
            return c.data;
        });
        ops.put("gemm batched, transposed A", () -> {
            CpuStorage.F32 c = f32(7 * 37 * 41);
            BE.gemm(new Gemm(7, 37, 41, 200, x, 0, 37 * 200, 37, true, y, 5, 0, 41, false, c, 0, 37 * 41, 41, 0.5, 0));
            return c.data;
        });
        ops.put("softmax, log-softmax, backward", () -> {
            CpuStorage.F32 p = f32(n);
            CpuStorage.F32 lp = f32(n);
            CpuStorage.F32 dx = f32(n);
            BE.softmax(x, p, ROWS, COLS, false);
            BE.softmax(x, lp, ROWS, COLS, true);
            BE.softmaxBackward(p, y, dx, ROWS, COLS, false);
            return concat(p, lp, dx);
        });
        ops.put("layerNorm and backward", () -> {
            CpuStorage.F32 out = f32(n);
            CpuStorage.F32 mean = f32(ROWS);
            CpuStorage.F32 rstd = f32(ROWS);
            CpuStorage.F32 dx = f32(n);
            CpuStorage.F32 dw = f32(COLS);
            CpuStorage.F32 db = f32(COLS);
            BE.layerNorm(x, w, w, out, mean, rstd, ROWS, COLS, 1e-5);
            BE.layerNormBackward(x, w, mean, rstd, y, dx, dw, db, ROWS, COLS);
            return concat(out, mean, rstd, dx, dw, db);
        });
        ops.put("rmsNorm and backward", () -> {
            CpuStorage.F32 out = f32(n);
            CpuStorage.F32 rstd = f32(ROWS);
            CpuStorage.F32 dx = f32(n);
            CpuStorage.F32 dw = f32(COLS);
            BE.rmsNorm(x, w, out, rstd, ROWS, COLS, 1e-6);
            BE.rmsNormBackward(x, w, rstd, y, dx, dw, ROWS, COLS);
            return concat(out, rstd, dx, dw);
        });
        ops.put("crossEntropy and backward", () -> {
            CpuStorage.F32 loss = f32(ROWS);
            CpuStorage.F32 lse = f32(ROWS);
            CpuStorage.F32 dx = f32(n);
            BE.crossEntropy(x, targets, loss, lse, ROWS, COLS, -100, 0.1);
            BE.crossEntropyBackward(x, targets, lse, dloss, dx, ROWS, COLS, -100, 0.1);
            return concat(loss, lse, dx);
        });
        ops.put("fused attention (causal, GQA, past one query block) and backward", () -> {
            int b = 2, h = 4, hkv = 2, t = 131, d = 16;
            CpuStorage.F32 q = random(b * h * t * d, 11);
            CpuStorage.F32 k = random(b * hkv * t * d, 12);
            CpuStorage.F32 v = random(b * hkv * t * d, 13);
            CpuStorage.F32 dout = random(b * h * t * d, 14);
            CpuStorage.F32 out = f32(b * h * t * d);
            CpuStorage.F32 lse = f32(b * h * t);
            AttentionArgs args = new AttentionArgs(b, h, hkv, t, t, d, d, q, k, v, null, null, true, 0, 0.25,
                    0.0, 0L, out, lse);
            BE.attentionForward(args);
            CpuStorage.F32 dq = f32(q.data.length);
            CpuStorage.F32 dk = f32(k.data.length);
            CpuStorage.F32 dv = f32(v.data.length);
            BE.attentionBackward(args, dout, dq, dk, dv);
            return concat(out, lse, dq, dk, dv);
        });
        ops.put("indexSelect, indexAdd (repeats)", () -> {
            CpuStorage.F32 picked = f32(900 * COLS);
            BE.indexSelect(x, full, 0, idx, Layout.contiguous(900), picked);
            CpuStorage.F32 grad = f32(n);
            BE.indexAdd(grad, full, 0, idx, Layout.contiguous(900), picked, Layout.contiguous(900, COLS));
            return concat(picked, grad);
        });
        ops.put("gather, scatterAdd", () -> {
            CpuStorage.F32 g = f32(n);
            BE.gather(x, full, 1, gidx, full, g);
            CpuStorage.F32 s = f32(n);
            BE.scatterAdd(s, full, 1, gidx, full, g, full);
            return concat(g, s);
        });
        return ops;
    }

    private static float[] concat(CpuStorage.F32... parts) {
        int n = 0;
        for (CpuStorage.F32 p : parts) {
            n += p.data.length;
        }
        float[] all = new float[n];
        int at = 0;
        for (CpuStorage.F32 p : parts) {
            System.arraycopy(p.data, 0, all, at, p.data.length);
            at += p.data.length;
        }
        return all;
    }

    @Test
    void everyKernelGivesTheSameBitsAtEveryThreadCount() {
        Map<String, Supplier<float[]>> ops = battery();
        Parallel.setThreads(1);
        List<float[]> expected = new ArrayList<>();
        for (Supplier<float[]> op : ops.values()) {
            expected.add(op.get());
        }
        for (int threads : new int[] {2, 3, 4, 7}) {
            Parallel.setThreads(threads);
            int i = 0;
            for (Map.Entry<String, Supplier<float[]>> op : ops.entrySet()) {
                // assertArrayEquals on float[] compares floatToIntBits: bit for bit (−0 ≠ 0)
                assertArrayEquals(expected.get(i++), op.getValue().get(), op.getKey() + " at " + threads + " threads");
            }
        }
    }
}
