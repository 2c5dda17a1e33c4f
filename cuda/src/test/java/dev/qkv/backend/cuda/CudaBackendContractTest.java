package dev.qkv.backend.cuda;

import dev.qkv.backend.AttentionArgs;
import dev.qkv.backend.Backend;
import dev.qkv.backend.BinaryOp;
import dev.qkv.backend.Gemm;
import dev.qkv.backend.ReduceOp;
import dev.qkv.backend.Storage;
import dev.qkv.backend.UnaryOp;
import dev.qkv.backend.cpu.CpuBackend;
import dev.qkv.backend.cpu.CpuStorage;
import dev.qkv.tensor.DType;
import dev.qkv.tensor.Layout;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Needs a GPU (skipped with the reason printed otherwise). Every primitive and fused op of the
 * CUDA backend against the CPU's scalar reference kernels ({@code new CpuBackend(REFERENCE)}) on
 * random, odd-sized inputs and strided views. core's shared BackendContractTest is not on this
 * branch yet; this self-contained comparison stands in for it.
 *
 * <p>Each case is one lambda run twice: on host copies of the inputs with the reference backend,
 * and on uploaded copies with the CUDA backend; the buffers named as outputs are then compared.
 */
class CudaBackendContractTest {
    private static final Backend REF = new CpuBackend(CpuBackend.Kernels.REFERENCE);
    private static CudaBackend cuda;
    private final Random random = new Random(2024);

    @BeforeEach
    void device() {
        cuda = GpuTests.requireCuda("CudaBackendContractTest");
    }

    interface Op {
        void run(Backend be, Storage[] buffers);
    }

    /** Runs op on both backends and compares the buffers at {@code outputs}. */
    private void compare(String what, double tol, CpuStorage[] buffers, int[] outputs, Op op) {
        CpuStorage[] host = new CpuStorage[buffers.length];
        Storage[] dev = new Storage[buffers.length];
        for (int i = 0; i < buffers.length; i++) {
            if (buffers[i] != null) {
                host[i] = copy(buffers[i]);
                dev[i] = cuda.upload(buffers[i]);
            }
        }
        op.run(REF, host);
        op.run(cuda, dev);
        for (int o : outputs) {
            CpuStorage got = (CpuStorage) cuda.download(dev[o]);
            for (int i = 0; i < host[o].size(); i++) {
                double e = host[o].get(i);
                double g = got.get(i);
                boolean ok = Double.isNaN(e) ? Double.isNaN(g) : e == g || Math.abs(e - g) <= tol * (1 + Math.abs(e));
                if (!ok) {
                    fail(what + ": output " + o + " element " + i + ": expected " + e + " but the GPU gave " + g);
                }
            }
        }
    }

    private static CpuStorage copy(CpuStorage s) {
        CpuStorage c = CpuStorage.allocate(s.dtype(), s.size());
        for (int i = 0; i < s.size(); i++) {
            c.set(i, s.get(i));
        }
        return c;
    }

    private CpuStorage rand(DType t, int n, double lo, double hi) {
        CpuStorage s = CpuStorage.allocate(t, n);
        for (int i = 0; i < n; i++) {
            double v = lo + (hi - lo) * random.nextDouble();
            s.set(i, t.isFloating() ? v : Math.floor(v));
        }
        return s;
    }

    private static double tol(DType t) {
        return t == DType.FLOAT32 ? 2e-5 : 1e-12;
    }

    @Test
    void unaryOpsOnContiguousAndTransposedViews() {
        for (UnaryOp op : UnaryOp.values()) {
            boolean positive = op == UnaryOp.LOG || op == UnaryOp.SQRT || op == UnaryOp.RSQRT;
            for (DType t : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
                CpuStorage x = rand(t, 7 * 9, positive ? 0.05 : -6, 6);
                Layout c = Layout.contiguous(7, 9);
                Layout tr = Layout.contiguous(9, 7).transpose(0, 1);
                compare(op + " " + t, tol(t) * 4, new CpuStorage[] {x, CpuStorage.allocate(t, 63)}, new int[] {1},
                        (be, b) -> be.unary(op, b[0], c, b[1], c));
                compare(op + " " + t + " transposed", tol(t) * 4, new CpuStorage[] {x, CpuStorage.allocate(t, 63)},
                        new int[] {1}, (be, b) -> be.unary(op, b[0], tr, b[1], c));
            }
        }
        // Integer inputs through the any-dtype kernels.
        compare("neg int64", 0, new CpuStorage[] {rand(DType.INT64, 11, -100, 100), CpuStorage.allocate(DType.INT64, 11)},
                new int[] {1}, (be, b) -> be.unary(UnaryOp.NEG, b[0], Layout.contiguous(11), b[1], Layout.contiguous(11)));
        compare("exp int32 to float32", 2e-6, new CpuStorage[] {rand(DType.INT32, 11, -5, 5),
                CpuStorage.allocate(DType.FLOAT32, 11)}, new int[] {1},
                (be, b) -> be.unary(UnaryOp.EXP, b[0], Layout.contiguous(11), b[1], Layout.contiguous(11)));
    }

    @Test
    void binaryOpsWithBroadcasting() {
        for (BinaryOp op : BinaryOp.values()) {
            for (DType t : new DType[] {DType.FLOAT32, DType.FLOAT64, DType.INT64}) {
                double lo = op == BinaryOp.POW ? 0.1 : -5;
                CpuStorage a = rand(t, 5 * 13, lo, 5);
                CpuStorage b = rand(t, 13, op == BinaryOp.DIV && !t.isFloating() ? 1 : lo, 5);
                if (op == BinaryOp.EQ || op == BinaryOp.NE) {
                    b.set(0, a.get(0));                               // some equal pairs
                }
                DType outType = op.isComparison() ? DType.BOOL : t;
                Layout full = Layout.contiguous(5, 13);
                Layout row = new Layout(new int[] {5, 13}, new int[] {0, 1}, 0);     // b repeated down the rows
                compare(op + " " + t, tol(t) * 4, new CpuStorage[] {a, b, CpuStorage.allocate(outType, 65)},
                        new int[] {2}, (be, s) -> be.binary(op, s[0], full, s[1], row, s[2], full));
            }
        }
    }

    @Test
    void whereFillAndCopyConvertDtypes() {
        CpuStorage cond = rand(DType.BOOL, 21, 0, 2);
        Layout l = Layout.contiguous(3, 7);
        compare("where", 0, new CpuStorage[] {cond, rand(DType.FLOAT32, 21, -1, 1), rand(DType.FLOAT32, 7, -1, 1),
                CpuStorage.allocate(DType.FLOAT32, 21)}, new int[] {3},
                (be, s) -> be.where(s[0], l, s[1], l, s[2], new Layout(new int[] {3, 7}, new int[] {0, 1}, 0), s[3], l));
        for (DType t : new DType[] {DType.FLOAT32, DType.INT64, DType.BOOL, DType.INT32}) {
            compare("fill " + t, 0, new CpuStorage[] {rand(t, 40, 0, 2)}, new int[] {0},
                    (be, s) -> be.fill(s[0], new Layout(new int[] {3, 5}, new int[] {10, 2}, 1), -2.75));
        }
        DType[] types = {DType.FLOAT32, DType.FLOAT64, DType.INT64, DType.INT32, DType.BOOL};
        for (DType from : types) {
            for (DType to : types) {
                compare("copy " + from + " to " + to, 0, new CpuStorage[] {rand(from, 35, -9, 9), CpuStorage.allocate(to, 35)},
                        new int[] {1}, (be, s) -> be.copy(s[0], Layout.contiguous(7, 5).transpose(0, 1), s[1],
                                Layout.contiguous(5, 7)));
            }
        }
    }

    @Test
    void reductionsOverEveryDimSetWithNaNs() {
        int[] shape = {3, 5, 7};
        Layout l = Layout.contiguous(shape);
        for (int mask = 1; mask < 8; mask++) {
            boolean[] dims = {(mask & 1) != 0, (mask & 2) != 0, (mask & 4) != 0};
            int outer = 1;
            for (int d = 0; d < 3; d++) {
                outer *= dims[d] ? 1 : shape[d];
            }
            int n = outer;
            for (ReduceOp op : ReduceOp.values()) {
                boolean arg = op == ReduceOp.ARGMAX || op == ReduceOp.ARGMIN;
                if (arg && Integer.bitCount(mask) != 1) {
                    continue;                                         // ARGMAX/ARGMIN reduce exactly one dim
                }
                for (DType t : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
                    CpuStorage x = rand(t, 105, -3, 3);
                    x.set(17, Double.NaN);
                    x.set(40, x.get(41));                             // a tie
                    DType outType = arg ? DType.INT64 : t;
                    compare("reduce " + op + " " + t + " dims " + mask, tol(t) * 10,
                            new CpuStorage[] {x, CpuStorage.allocate(outType, n)}, new int[] {1},
                            (be, s) -> be.reduce(op, s[0], l, dims, s[1]));
                }
            }
        }
        compare("sum of int64 into int64", 0, new CpuStorage[] {rand(DType.INT64, 1000, -50, 50),
                CpuStorage.allocate(DType.INT64, 1)}, new int[] {1},
                (be, s) -> be.reduce(ReduceOp.SUM, s[0], Layout.contiguous(1000), new boolean[] {true}, s[1]));
        compare("long row sum", 1e-4, new CpuStorage[] {rand(DType.FLOAT32, 3 * 100_003, -1, 1),
                CpuStorage.allocate(DType.FLOAT32, 3)}, new int[] {1},
                (be, s) -> be.reduce(ReduceOp.SUM, s[0], Layout.contiguous(3, 100_003), new boolean[] {false, true}, s[1]));
        compare("max of a transposed view", 0, new CpuStorage[] {rand(DType.FLOAT32, 77, -1, 1),
                CpuStorage.allocate(DType.FLOAT32, 11)}, new int[] {1},
                (be, s) -> be.reduce(ReduceOp.MAX, s[0], Layout.contiguous(7, 11).transpose(0, 1), new boolean[] {false, true}, s[1]));
    }

    @Test
    void matrixProductsWithTransposesAndBatchStrides() {
        for (int trial = 0; trial < 30; trial++) {
            DType t = trial % 3 == 0 ? DType.FLOAT64 : trial % 7 == 0 ? DType.INT64 : DType.FLOAT32;
            int batch = 1 + random.nextInt(3);
            int m = 1 + random.nextInt(37);
            int n = 1 + random.nextInt(41);
            int k = 1 + random.nextInt(29);
            boolean ta = random.nextBoolean();
            boolean tb = random.nextBoolean();
            int lda = (ta ? m : k) + random.nextInt(2);
            int ldb = (tb ? k : n) + random.nextInt(2);
            int aSize = (ta ? k : m) * lda;
            int bSize = (tb ? n : k) * ldb;
            int aStride = random.nextInt(3) == 0 ? 0 : aSize;
            CpuStorage a = rand(t, aSize * batch + 1, -2, 2);
            CpuStorage b = rand(t, bSize * batch, -2, 2);
            CpuStorage c = rand(t, m * n * batch, -2, 2);
            double beta = random.nextBoolean() ? 0 : 0.5;
            compare("gemm " + t + " trial " + trial, t == DType.FLOAT32 ? 1e-4 : 1e-10, new CpuStorage[] {a, b, c},
                    new int[] {2}, (be, s) -> be.gemm(new Gemm(batch, m, n, k, s[0], 1, aStride, lda, ta, s[1], 0, bSize,
                            ldb, tb, s[2], 0, m * n, n, 1.5, beta)));
        }
    }

    @Test
    void indexingWithRepeatedIndices() {
        CpuStorage table = rand(DType.FLOAT32, 9 * 5, -1, 1);
        CpuStorage ids = new CpuStorage.I64(new long[] {3, 0, 8, 3, 3, 1, 7});
        compare("indexSelect", 0, new CpuStorage[] {table, ids, CpuStorage.allocate(DType.FLOAT32, 7 * 5)}, new int[] {2},
                (be, s) -> be.indexSelect(s[0], Layout.contiguous(9, 5), 0, s[1], Layout.contiguous(7), s[2]));
        compare("indexSelect dim 1 of a transposed view", 0, new CpuStorage[] {table, new CpuStorage.I32(new int[] {8, 2}),
                CpuStorage.allocate(DType.FLOAT32, 5 * 2)}, new int[] {2},
                (be, s) -> be.indexSelect(s[0], Layout.contiguous(9, 5).transpose(0, 1), 1, s[1], Layout.contiguous(2), s[2]));
        compare("indexAdd", 1e-5, new CpuStorage[] {table, ids, rand(DType.FLOAT32, 7 * 5, -1, 1)}, new int[] {0},
                (be, s) -> be.indexAdd(s[0], Layout.contiguous(9, 5), 0, s[1], Layout.contiguous(7), s[2],
                        Layout.contiguous(7, 5)));
        CpuStorage idx = new CpuStorage.I64(new long[] {0, 4, 4, 2, 1, 1, 3, 0, 0, 4, 2, 2});
        compare("gather", 0, new CpuStorage[] {rand(DType.FLOAT64, 6 * 5, -1, 1), idx, CpuStorage.allocate(DType.FLOAT64, 12)},
                new int[] {2}, (be, s) -> be.gather(s[0], Layout.contiguous(6, 5), 1, s[1], Layout.contiguous(4, 3), s[2]));
        compare("scatterAdd", 1e-12, new CpuStorage[] {rand(DType.FLOAT64, 6 * 5, -1, 1), idx, rand(DType.FLOAT64, 12, -1, 1)},
                new int[] {0}, (be, s) -> be.scatterAdd(s[0], Layout.contiguous(6, 5), 1, s[1], Layout.contiguous(4, 3), s[2],
                        Layout.contiguous(4, 3)));
        compare("scatterAdd into int64", 0, new CpuStorage[] {rand(DType.INT64, 30, -9, 9), idx, rand(DType.INT64, 12, -9, 9)},
                new int[] {0}, (be, s) -> be.scatterAdd(s[0], Layout.contiguous(6, 5), 1, s[1], Layout.contiguous(4, 3), s[2],
                        Layout.contiguous(4, 3)));
    }

    @Test
    void anOutOfRangeIndexIsReportedOnTheNextDownload() {
        Storage table = cuda.upload(rand(DType.FLOAT32, 10, -1, 1));
        Storage ids = cuda.upload(new CpuStorage.I64(new long[] {1, 12}));
        Storage out = cuda.allocate(DType.FLOAT32, 2);
        cuda.indexSelect(table, Layout.contiguous(10), 0, ids, Layout.contiguous(2), out);
        IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class, () -> cuda.download(out));
        assertTrue(e.getMessage().startsWith("indexSelect: index 12 is out of bounds for dimension of size 10"), e.getMessage());
        cuda.synchronize();                                                   // cleared
    }

    @Test
    void softmaxNormsAndCrossEntropyForwardAndBackward() {
        int[][] sizes = {{7, 33}, {3, 1500}, {1, 1}, {65, 5}};
        for (int[] rc : sizes) {
            int rows = rc[0];
            int cols = rc[1];
            int n = rows * cols;
            for (DType t : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
                double tol = tol(t) * 20;
                String at = " " + t + " " + rows + "x" + cols;
                for (boolean log : new boolean[] {false, true}) {
                    compare("softmax" + (log ? " log" : "") + at, tol, new CpuStorage[] {rand(t, n, -8, 8), CpuStorage.allocate(t, n)},
                            new int[] {1}, (be, s) -> be.softmax(s[0], s[1], rows, cols, log));
                    compare("softmaxBackward" + (log ? " log" : "") + at, tol, new CpuStorage[] {rand(t, n, log ? -3 : 0, log ? 0 : 1),
                            rand(t, n, -1, 1), CpuStorage.allocate(t, n)}, new int[] {2},
                            (be, s) -> be.softmaxBackward(s[0], s[1], s[2], rows, cols, log));
                }
                CpuStorage x = rand(t, n, -3, 5);
                CpuStorage w = rand(t, cols, 0.5, 1.5);
                CpuStorage b = rand(t, cols, -1, 1);
                compare("layerNorm" + at, tol, new CpuStorage[] {x, w, b, CpuStorage.allocate(t, n), CpuStorage.allocate(t, rows),
                        CpuStorage.allocate(t, rows)}, new int[] {3, 4, 5},
                        (be, s) -> be.layerNorm(s[0], s[1], s[2], s[3], s[4], s[5], rows, cols, 1e-5));
                CpuStorage mean = CpuStorage.allocate(t, rows);
                CpuStorage rstd = CpuStorage.allocate(t, rows);
                REF.layerNorm(x, w, b, CpuStorage.allocate(t, n), mean, rstd, rows, cols, 1e-5);
                compare("layerNormBackward" + at, tol * 5, new CpuStorage[] {x, w, mean, rstd, rand(t, n, -1, 1),
                        CpuStorage.allocate(t, n), CpuStorage.allocate(t, cols), CpuStorage.allocate(t, cols)}, new int[] {5, 6, 7},
                        (be, s) -> be.layerNormBackward(s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7], rows, cols));
                compare("layerNormBackward without weight" + at, tol * 5, new CpuStorage[] {x, mean, rstd, rand(t, n, -1, 1),
                        CpuStorage.allocate(t, n)}, new int[] {4},
                        (be, s) -> be.layerNormBackward(s[0], null, s[1], s[2], s[3], s[4], null, null, rows, cols));
                compare("rmsNorm" + at, tol, new CpuStorage[] {x, w, CpuStorage.allocate(t, n), CpuStorage.allocate(t, rows)},
                        new int[] {2, 3}, (be, s) -> be.rmsNorm(s[0], s[1], s[2], s[3], rows, cols, 1e-6));
                REF.rmsNorm(x, w, CpuStorage.allocate(t, n), rstd, rows, cols, 1e-6);
                compare("rmsNormBackward" + at, tol * 5, new CpuStorage[] {x, w, rstd, rand(t, n, -1, 1), CpuStorage.allocate(t, n),
                        CpuStorage.allocate(t, cols)}, new int[] {4, 5},
                        (be, s) -> be.rmsNormBackward(s[0], s[1], s[2], s[3], s[4], s[5], rows, cols));
                long[] tg = new long[rows];
                for (int r = 0; r < rows; r++) {
                    tg[r] = r % 3 == 1 ? -100 : random.nextInt(cols);
                }
                for (double smoothing : new double[] {0, 0.1}) {
                    CpuStorage lse = CpuStorage.allocate(t, rows);
                    REF.crossEntropy(x, new CpuStorage.I64(tg), CpuStorage.allocate(t, rows), lse, rows, cols, -100, smoothing);
                    compare("crossEntropy ε=" + smoothing + at, tol, new CpuStorage[] {x, new CpuStorage.I64(tg),
                            CpuStorage.allocate(t, rows), CpuStorage.allocate(t, rows)}, new int[] {2, 3},
                            (be, s) -> be.crossEntropy(s[0], s[1], s[2], s[3], rows, cols, -100, smoothing));
                    compare("crossEntropyBackward ε=" + smoothing + at, tol, new CpuStorage[] {x, new CpuStorage.I64(tg), lse,
                            rand(t, rows, 0.5, 2), CpuStorage.allocate(t, n)}, new int[] {4},
                            (be, s) -> be.crossEntropyBackward(s[0], s[1], s[2], s[3], s[4], rows, cols, -100, smoothing));
                }
            }
        }
    }

    @Test
    void fusedAttentionForwardAndBackward() {
        // {B, H, Hkv, Tq, Tk, D, Dv, causal, mask, dropout}
        int[][] cases = {
            {2, 4, 2, 13, 17, 24, 40, 1, 1, 0},
            {1, 3, 3, 33, 33, 64, 64, 1, 0, 1},
            {2, 2, 1, 5, 70, 128, 96, 0, 1, 1},
            {1, 2, 2, 1, 9, 16, 16, 1, 0, 0},        // one query against a cache of 9 keys
        };
        for (int[] c : cases) {
            int bsz = c[0], h = c[1], hkv = c[2], tq = c[3], tk = c[4], d = c[5], dv = c[6];
            boolean causal = c[7] == 1;
            boolean masked = c[8] == 1;
            double p = c[9] == 1 ? 0.2 : 0;
            CpuStorage q = rand(DType.FLOAT32, bsz * h * tq * d, -1, 1);
            CpuStorage k = rand(DType.FLOAT32, bsz * hkv * tk * d, -1, 1);
            CpuStorage v = rand(DType.FLOAT32, bsz * hkv * tk * dv, -1, 1);
            CpuStorage mask = masked ? rand(DType.FLOAT32, bsz * tq * tk, -2, 0) : null;
            if (masked) {
                mask.set(3, Double.NEGATIVE_INFINITY);
            }
            Layout maskLayout = masked ? new Layout(new int[] {bsz, h, tq, tk}, new int[] {tq * tk, 0, tk, 1}, 0) : null;
            int outN = bsz * h * tq * dv;
            String what = "attention " + java.util.Arrays.toString(c);
            Op forward = (be, s) -> be.attentionForward(new AttentionArgs(bsz, h, hkv, tq, tk, d, dv, s[0], s[1], s[2], s[3],
                    maskLayout, causal, tk - tq, 1 / Math.sqrt(d), p, 77, s[4], s[5]));
            compare(what, 1e-4, new CpuStorage[] {q, k, v, mask, CpuStorage.allocate(DType.FLOAT32, outN),
                    CpuStorage.allocate(DType.FLOAT32, bsz * h * tq)}, new int[] {4, 5}, forward);
            CpuStorage out = CpuStorage.allocate(DType.FLOAT32, outN);
            CpuStorage lse = CpuStorage.allocate(DType.FLOAT32, bsz * h * tq);
            REF.attentionForward(new AttentionArgs(bsz, h, hkv, tq, tk, d, dv, q, k, v, mask, maskLayout, causal, tk - tq,
                    1 / Math.sqrt(d), p, 77, out, lse));
            compare(what + " backward", 2e-4, new CpuStorage[] {q, k, v, mask, out, lse, rand(DType.FLOAT32, outN, -1, 1),
                    CpuStorage.allocate(DType.FLOAT32, q.size()), CpuStorage.allocate(DType.FLOAT32, k.size()),
                    CpuStorage.allocate(DType.FLOAT32, v.size())}, new int[] {7, 8, 9},
                    (be, s) -> be.attentionBackward(new AttentionArgs(bsz, h, hkv, tq, tk, d, dv, s[0], s[1], s[2], s[3],
                            maskLayout, causal, tk - tq, 1 / Math.sqrt(d), p, 77, s[4], s[5]), s[6], s[7], s[8], s[9]));
        }
    }

    @Test
    void fusedAdamWMatchesTheOptimizersMath() {
        int n = 1001;
        CpuStorage p = rand(DType.FLOAT32, n, -1, 1);
        CpuStorage g = rand(DType.FLOAT32, n, -1, 1);
        CpuStorage m = rand(DType.FLOAT32, n, -0.1, 0.1);
        CpuStorage v = rand(DType.FLOAT32, n, 0, 0.01);
        Storage dp = cuda.upload(p);
        Storage dm = cuda.upload(m);
        Storage dv = cuda.upload(v);
        double lr = 1e-3, b1 = 0.9, b2 = 0.95, eps = 1e-8, wd = 0.1;
        int step = 3;
        cuda.fusedAdamW(dp, cuda.upload(g), dm, dv, lr, b1, b2, eps, wd, step);
        CpuStorage gotP = (CpuStorage) cuda.download(dp);
        for (int i = 0; i < n; i++) {
            double pi = p.get(i) * (1 - lr * wd);
            double mi = b1 * m.get(i) + (1 - b1) * g.get(i);
            double vi = b2 * v.get(i) + (1 - b2) * g.get(i) * g.get(i);
            double expected = pi - lr / (1 - Math.pow(b1, step)) * mi / (Math.sqrt(vi) / Math.sqrt(1 - Math.pow(b2, step)) + eps);
            assertEquals(expected, gotP.get(i), 1e-6, "param " + i);
        }
    }
}
