package dev.qkv.backend.cuda;

import dev.qkv.backend.AttentionArgs;
import dev.qkv.backend.Backend;
import dev.qkv.backend.BinaryOp;
import dev.qkv.backend.Gemm;
import dev.qkv.backend.Storage;
import dev.qkv.backend.UnaryOp;
import dev.qkv.backend.cpu.CpuBackend;
import dev.qkv.backend.cpu.CpuStorage;
import dev.qkv.tensor.DType;
import dev.qkv.tensor.Layout;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Needs a GPU (skipped with the reason printed otherwise). What core's shared contract suite
 * ({@link CudaBackendContractTest}) does not cover, against the CPU's scalar reference kernels
 * ({@code new CpuBackend(REFERENCE)}): the fused attention kernels (GQA, causal offsets, masks,
 * dropout), INT32 data and mixed-dtype conversions through the any-dtype kernels, INT32 indices,
 * and integer matrix products on the plain {@code gemm_any} kernel.
 *
 * <p>Each case is one lambda run twice: on host copies of the inputs with the reference backend,
 * and on uploaded copies with the CUDA backend; the buffers named as outputs are then compared.
 */
class CudaBeyondContractTest {
    private static final Backend REF = new CpuBackend(CpuBackend.Kernels.REFERENCE);
    private static CudaBackend cuda;
    private final Random random = new Random(2024);

    @BeforeEach
    void device() {
        cuda = GpuTests.requireCuda("CudaBeyondContractTest");
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

    @Test
    void integerAndMixedDtypeElementwise() {
        compare("neg int32", 0, new CpuStorage[] {rand(DType.INT32, 11, -100, 100), CpuStorage.allocate(DType.INT32, 11)},
                new int[] {1}, (be, b) -> be.unary(UnaryOp.NEG, b[0], Layout.contiguous(11), b[1], Layout.contiguous(11)));
        compare("exp int32 to float32", 2e-6, new CpuStorage[] {rand(DType.INT32, 11, -5, 5),
                CpuStorage.allocate(DType.FLOAT32, 11)}, new int[] {1},
                (be, b) -> be.unary(UnaryOp.EXP, b[0], Layout.contiguous(11), b[1], Layout.contiguous(11)));
        compare("add int32 and float64 into float32", 2e-6, new CpuStorage[] {rand(DType.INT32, 15, -9, 9),
                rand(DType.FLOAT64, 5, -1, 1), CpuStorage.allocate(DType.FLOAT32, 15)}, new int[] {2},
                (be, b) -> be.binary(BinaryOp.ADD, b[0], Layout.contiguous(3, 5), b[1],
                        new Layout(new int[] {3, 5}, new int[] {0, 1}, 0), b[2], Layout.contiguous(3, 5)));
        compare("lt int32 into bool", 0, new CpuStorage[] {rand(DType.INT32, 12, -3, 3), rand(DType.INT32, 12, -3, 3),
                CpuStorage.allocate(DType.BOOL, 12)}, new int[] {2},
                (be, b) -> be.binary(BinaryOp.LT, b[0], Layout.contiguous(12), b[1], Layout.contiguous(12), b[2],
                        Layout.contiguous(12)));
    }

    @Test
    void fillAndCopyToAndFromInt32() {
        for (DType t : new DType[] {DType.INT32}) {
            compare("fill " + t, 0, new CpuStorage[] {rand(t, 40, 0, 2)}, new int[] {0},
                    (be, s) -> be.fill(s[0], new Layout(new int[] {3, 5}, new int[] {10, 2}, 1), -2.75));
        }
        DType[] types = {DType.FLOAT32, DType.FLOAT64, DType.INT64, DType.INT32, DType.BOOL};
        for (DType from : types) {
            for (DType to : types) {
                if (from != DType.INT32 && to != DType.INT32) {
                    continue;                                 // the shared suite covers the other pairs
                }
                compare("copy " + from + " to " + to, 0, new CpuStorage[] {rand(from, 35, -9, 9), CpuStorage.allocate(to, 35)},
                        new int[] {1}, (be, s) -> be.copy(s[0], Layout.contiguous(7, 5).transpose(0, 1), s[1],
                                Layout.contiguous(5, 7)));
            }
        }
    }

    @Test
    void integerProductsOnThePlainGemmKernel() {
        for (int trial = 0; trial < 12; trial++) {
            DType t = trial % 2 == 0 ? DType.INT64 : DType.INT32;
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
            double beta = random.nextBoolean() ? 0 : 2;
            compare("gemm " + t + " trial " + trial, 0, new CpuStorage[] {a, b, c},
                    new int[] {2}, (be, s) -> be.gemm(new Gemm(batch, m, n, k, s[0], 1, aStride, lda, ta, s[1], 0, bSize,
                            ldb, tb, s[2], 0, m * n, n, 3, beta)));
        }
    }

    @Test
    void int32Indices() {
        CpuStorage table = rand(DType.FLOAT32, 9 * 5, -1, 1);
        compare("indexSelect dim 1 of a transposed view with int32 indices", 0, new CpuStorage[] {table,
                new CpuStorage.I32(new int[] {8, 2}), CpuStorage.allocate(DType.FLOAT32, 5 * 2)}, new int[] {2},
                (be, s) -> be.indexSelect(s[0], Layout.contiguous(9, 5).transpose(0, 1), 1, s[1], Layout.contiguous(2), s[2]));
        CpuStorage idx = new CpuStorage.I32(new int[] {0, 4, 4, 2, 1, 1, 3, 0, 0, 4, 2, 2});
        compare("scatterAdd with int32 indices", 1e-12, new CpuStorage[] {rand(DType.FLOAT64, 6 * 5, -1, 1), idx,
                rand(DType.FLOAT64, 12, -1, 1)}, new int[] {0},
                (be, s) -> be.scatterAdd(s[0], Layout.contiguous(6, 5), 1, s[1], Layout.contiguous(4, 3), s[2],
                        Layout.contiguous(4, 3)));
    }

    /** Copies whose views share a contiguous inner run of 4k elements take copy_x4 (16 bytes per thread). */
    @Test
    void copiesInSixteenByteUnits() {
        int b = 2, t = 7, h = 3, d = 12;
        for (DType dt : new DType[] {DType.FLOAT32, DType.INT32}) {
            Layout heads = new Layout(new int[] {b, h, t, d}, new int[] {t * h * d, d, h * d, 1}, 4);
            compare("copy of a [B, T, H, D] transpose, " + dt, 0, new CpuStorage[] {rand(dt, 4 + b * t * h * d, -100, 100),
                    CpuStorage.allocate(dt, 8 + b * h * t * d)}, new int[] {1},
                    (be, s) -> be.copy(s[0], heads, s[1], new Layout(new int[] {b, h, t, d}, new int[] {h * t * d, t * d, d, 1}, 8)));
        }
    }

    /** Sums over the leading dim of row-major blocks (bias gradients) take the column-sum kernels. */
    @Test
    void columnSumsOverTheLeadingDim() {
        for (int[] rc : new int[][] {{2, 1}, {65, 3}, {1000, 37}, {4099, 300}}) {
            int rows = rc[0], cols = rc[1];
            // A view at offset 5 of a larger buffer, as a slice would be.
            CpuStorage x = rand(DType.FLOAT32, 5 + rows * cols, -1, 1);
            Layout view = new Layout(new int[] {rows, cols}, new int[] {cols, 1}, 5);
            compare("sum over dim 0 of [" + rows + ", " + cols + "]", 1e-4, new CpuStorage[] {x,
                    CpuStorage.allocate(DType.FLOAT32, cols)}, new int[] {1},
                    (be, s) -> be.reduce(dev.qkv.backend.ReduceOp.SUM, s[0], view, new boolean[] {true, false}, s[1]));
        }
    }

    /**
     * Both kernel families (tiled, warp-per-row) against the reference, on shapes that cross the
     * tiled kernels' 64-row tiles and pad their head dims (64 or 128), with and without 16-byte
     * loads (head dims not divisible by 4), fully hidden rows (Tq > Tk, causal), GQA, masks with
     * −∞ entries and dropout.
     */
    @ParameterizedTest
    @EnumSource(value = CudaAttention.KernelFamily.class, names = {"TILED", "WARP_PER_ROW"})
    void fusedAttentionForwardAndBackward(CudaAttention.KernelFamily family) {
        cuda.useAttentionKernels(family);
        try {
            fusedAttentionCases();
        } finally {
            cuda.useAttentionKernels(CudaAttention.KernelFamily.AUTO);
        }
    }

    private void fusedAttentionCases() {
        // {B, H, Hkv, Tq, Tk, D, Dv, causal, mask, dropout}
        int[][] cases = {
            {2, 4, 2, 13, 17, 24, 40, 1, 1, 0},
            {1, 3, 3, 33, 33, 64, 64, 1, 0, 1},
            {2, 2, 1, 5, 70, 128, 96, 0, 1, 1},
            {1, 2, 2, 1, 9, 16, 16, 1, 0, 0},        // one query against a cache of 9 keys
            {1, 2, 1, 130, 129, 64, 64, 1, 0, 0},    // three query tiles, the last of two rows
            {2, 3, 3, 64, 64, 32, 32, 0, 0, 0},      // exactly one tile
            {1, 1, 1, 65, 200, 99, 128, 1, 1, 0},    // D = 99: 4-byte loads; Dv = 128
            {1, 4, 2, 200, 200, 128, 128, 1, 0, 1},  // GQA and dropout over many tiles
            {1, 2, 2, 70, 20, 64, 64, 1, 0, 0},      // Tq > Tk: the first 50 rows see no key
            {1, 1, 1, 1, 1, 1, 1, 0, 0, 0},
            {1, 2, 2, 67, 67, 3, 5, 0, 1, 0},
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
            String what = "attention (" + familyName() + ") " + java.util.Arrays.toString(c);
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

    private static String familyName() {
        return cuda.attentionKernelFamily().name();
    }
}
