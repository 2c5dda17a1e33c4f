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
import dev.qkv.tensor.Device;
import dev.qkv.tensor.Layout;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link CudaBackend} on a fake device whose memory is host arrays and whose launches are
 * recorded (no GPU): copies and memory bookkeeping run for real; every op must launch the kernel
 * it should, with arguments that pass the kernel's spec (which PtxResourcesTest holds to the
 * PTX) and a legal launch shape; cuBLAS calls run on a host GEMM, so the row-major mapping and
 * the operand addresses are checked numerically. What the kernels compute is not checked here:
 * that needs a GPU (CudaBackendContractTest).
 */
class FakeDeviceBackendTest {
    private HostMemoryDriver driver;
    private HostBlas blas;
    private CudaBackend be;
    private final Random random = new Random(3);

    @BeforeEach
    void open() {
        driver = new HostMemoryDriver();
        blas = new HostBlas(driver);
        be = new CudaBackend(Device.cuda(0), driver, blas, 1L << 30);
        driver.launches.clear();
    }

    @AfterEach
    void close() {
        be.close();
        assertEquals(0, driver.bytesInUse(), "closing the backend frees all device memory");
    }

    private Storage f32(float... v) {
        return be.upload(new CpuStorage.F32(v));
    }

    private float[] floats(Storage s) {
        return ((CpuStorage.F32) be.download(s)).data;
    }

    private List<String> launched() {
        List<String> names = driver.kernelNames();
        driver.launches.clear();
        return names;
    }

    @Test
    void theKernelTimerBooksLaunchesMemsetsAndAllocationsOnlyWhileEnabled() {
        Storage a = f32(1, 2, 3, 4, 5);
        Storage out = be.allocate(DType.FLOAT32, 5);                 // before enabling: not booked
        assertTrue(be.kernelTimer().rows().isEmpty());
        be.kernelTimer().enable();
        be.unary(UnaryOp.NEG, a, Layout.contiguous(5), out, Layout.contiguous(5));
        be.unary(UnaryOp.NEG, a, Layout.contiguous(5), out, Layout.contiguous(5));
        be.allocate(DType.FLOAT32, 1 << 20);                           // a fresh block, zeroed
        be.kernelTimer().disable();
        be.unary(UnaryOp.NEG, a, Layout.contiguous(5), out, Layout.contiguous(5));
        java.util.Map<String, long[]> rows = be.kernelTimer().rows();
        assertEquals(2, rows.get("neg_f32")[0], rows.keySet().toString());
        assertEquals(1, rows.get("memset")[0]);
        assertEquals(1, rows.get("cuMemAlloc")[0]);
        assertTrue(be.kernelTimer().report().contains("neg_f32"));
        be.kernelTimer().reset();
        assertTrue(be.kernelTimer().rows().isEmpty());
    }

    @Test
    void aBufferUsedAfterCloseThrows() {
        CudaStorage a = (CudaStorage) f32(1, 2, 3);
        Storage out = be.allocate(DType.FLOAT32, 3);
        a.close();
        a.close();                                                     // twice: harmless
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> be.unary(UnaryOp.NEG, a, Layout.contiguous(3), out, Layout.contiguous(3)));
        assertTrue(e.getMessage().contains("used after close"), e.getMessage());
    }

    @Test
    void uploadAndDownloadRoundTripEveryDtype() {
        CpuStorage[] hosts = {
            new CpuStorage.F32(new float[] {1.5f, -2, Float.NaN}),
            new CpuStorage.F64(new double[] {Math.PI, -0.0}),
            new CpuStorage.I64(new long[] {Long.MIN_VALUE, 42, (1L << 53) + 1}),
            new CpuStorage.I32(new int[] {-7, Integer.MAX_VALUE}),
            new CpuStorage.Bytes(new byte[] {0, 1, 1}, DType.BOOL),
            new CpuStorage.Bytes(new byte[] {-1, 5}, DType.UINT8),
            new CpuStorage.F32(new float[0]),
        };
        for (CpuStorage h : hosts) {
            Storage d = be.upload(h);
            assertEquals(h.dtype(), d.dtype());
            assertEquals(h.size(), d.size());
            assertEquals(Device.cuda(0), d.device());
            CpuStorage back = (CpuStorage) be.download(d);
            for (int i = 0; i < h.size(); i++) {
                assertEquals(Double.doubleToLongBits(h.get(i)), Double.doubleToLongBits(back.get(i)), h.dtype() + " at " + i);
            }
        }
        assertEquals(List.of(), launched(), "copies launch no kernels");
    }

    @Test
    void allocateIsZeroFilledEvenWhenABlockIsReused() {
        CudaStorage a = (CudaStorage) f32(1, 2, 3, 4);
        long address = a.address();
        a.close();
        CudaStorage b = (CudaStorage) be.allocate(DType.FLOAT32, 4);
        assertEquals(address, b.address(), "the cached block is reused");
        assertArrayEquals(new float[4], floats(b));
        MemoryStats s = be.memoryStats();
        assertEquals(1, s.cacheHits());
        b.close();
        b.close();
        assertEquals(0, be.memoryStats().liveBlocks() - 1, "only the backend's error buffer is live");
    }

    @Test
    void elementwiseOpsLaunchTheirKernels() {
        Storage x = f32(1, 2, 3, 4, 5, 6);
        Storage out = be.allocate(DType.FLOAT32, 6);
        Layout c = Layout.contiguous(2, 3);
        be.unary(UnaryOp.GELU_TANH, x, c, out, c);
        be.binary(BinaryOp.ADD, x, c, out, Layout.contiguous(3, 2).transpose(0, 1), out, c);
        Storage ints = be.upload(new CpuStorage.I64(new long[] {1, 2, 3}));
        Storage mask = be.allocate(DType.BOOL, 3);
        be.binary(BinaryOp.NE, ints, Layout.contiguous(3), ints, new Layout(new int[] {3}, new int[] {0}, 0), mask,
                Layout.contiguous(3));
        be.unary(UnaryOp.EXP, ints, Layout.contiguous(3), out, Layout.contiguous(3));
        be.where(mask, Layout.contiguous(3), x, Layout.contiguous(3), ints, Layout.contiguous(3), out, Layout.contiguous(3));
        be.fill(out, c, 0.0);                                          // whole buffer, +0: a memset
        be.fill(out, c.transpose(0, 1), 2.5);
        be.copy(x, c, out, c);                                         // contiguous: a memcpy
        be.copy(x, c.transpose(0, 1), out, Layout.contiguous(3, 2));
        be.copy(x, Layout.contiguous(3), ints, Layout.contiguous(3));  // float32 to int64: converted
        assertEquals(List.of("gelu_tanh_f32", "add_f32", "ne_any", "exp_any", "where_any", "fill_any", "copy_any",
                "copy_any"), launched());
    }

    @Test
    void reductionsPickF32OrAnyAndGroupSizes() {
        Storage x = f32(new float[24]);
        Layout l = Layout.contiguous(2, 3, 4);
        Storage out = be.allocate(DType.FLOAT32, 6);
        Storage idx = be.allocate(DType.INT64, 6);
        be.reduce(ReduceOp.SUM, x, l, new boolean[] {false, false, true}, out);
        be.reduce(ReduceOp.MAX, x, l, new boolean[] {true, false, false}, be.allocate(DType.FLOAT32, 12));
        be.reduce(ReduceOp.ARGMAX, x, l, new boolean[] {false, false, true}, idx);
        be.reduce(ReduceOp.SUM, x, l, new boolean[] {true, true, true}, be.allocate(DType.FLOAT64, 1));
        be.reduce(ReduceOp.MIN, idx, Layout.contiguous(6), new boolean[] {true}, be.allocate(DType.INT64, 1));
        assertEquals(List.of("reduce_sum_f32", "reduce_max_f32", "reduce_argmax_f32", "reduce_sum_any", "reduce_min_any"),
                launched());
    }

    @Test
    void fusedOpsUseKernelsForFloatsAndTheComposedDefaultOtherwise() {
        int rows = 3;
        int cols = 5;
        Storage x = f32(new float[rows * cols]);
        Storage y = be.allocate(DType.FLOAT32, rows * cols);
        Storage w = f32(1, 1, 1, 1, 1);
        Storage mean = be.allocate(DType.FLOAT32, rows);
        Storage rstd = be.allocate(DType.FLOAT32, rows);
        be.softmax(x, y, rows, cols, false);
        be.softmaxBackward(y, x, y, rows, cols, true);
        be.layerNorm(x, w, w, y, mean, rstd, rows, cols, 1e-5);
        be.layerNormBackward(x, w, mean, rstd, y, x, be.allocate(DType.FLOAT32, cols), be.allocate(DType.FLOAT32, cols),
                rows, cols);
        be.rmsNorm(x, null, y, rstd, rows, cols, 1e-6);
        be.rmsNormBackward(x, null, rstd, y, x, null, rows, cols);
        Storage targets = be.upload(new CpuStorage.I64(new long[] {0, -100, 4}));
        Storage loss = be.allocate(DType.FLOAT32, rows);
        be.crossEntropy(x, targets, loss, rstd, rows, cols, -100, 0.1);
        be.crossEntropyBackward(x, targets, rstd, loss, y, rows, cols, -100, 0.1);
        assertEquals(List.of("softmax_forward_f32", "softmax_backward_f32", "layernorm_forward_f32", "norm_backward_f32",
                "norm_param_grad_partial_f32", "column_sum_f32", "column_sum_f32", "rmsnorm_forward_f32",
                "norm_backward_f32", "cross_entropy_forward_f32", "cross_entropy_backward_f32"), launched());
        // Integer softmax has no kernel: Backend's default composes it from primitives.
        Storage xi = be.upload(new CpuStorage.I64(new long[rows * cols]));
        be.softmax(xi, be.allocate(DType.INT64, rows * cols), rows, cols, false);
        List<String> composed = launched();
        assertTrue(composed.contains("reduce_max_any") && composed.contains("exp_any"), composed.toString());
    }

    @Test
    void indexingKernelsGetTheirIndexLayouts() {
        Storage table = f32(new float[5 * 3]);
        Storage ids = be.upload(new CpuStorage.I64(new long[] {4, 0, 4, 1}));
        Storage out = be.allocate(DType.FLOAT32, 4 * 3);
        be.indexSelect(table, Layout.contiguous(5, 3), 0, ids, Layout.contiguous(4), out);
        be.indexAdd(table, Layout.contiguous(5, 3), 0, ids, Layout.contiguous(4), out, Layout.contiguous(4, 3));
        Storage idx2 = be.upload(new CpuStorage.I64(new long[] {0, 1, 2, 2, 1, 0}));
        be.indexSelect(table, Layout.contiguous(5, 3), 0, idx2, Layout.contiguous(2, 3).transpose(0, 1), out);
        be.gather(table, Layout.contiguous(5, 3), 1, idx2, Layout.contiguous(2, 3), be.allocate(DType.FLOAT32, 6));
        be.scatterAdd(table, Layout.contiguous(5, 3), 1, idx2, Layout.contiguous(2, 3), out, Layout.contiguous(2, 3));
        assertEquals(List.of("index_select_any", "index_add_any", "copy_any", "index_select_any", "gather_any",
                "scatter_add_any"), launched(), "a non-contiguous 2-D index is copied flat first");
    }

    @Test
    void aKernelsOutOfRangeIndexIsReportedAtTheNextSynchronisation() {
        // What report_index_error in common.cuh writes: {op, index lo, index hi, size}.
        ByteBuffer err = driver.at(be.errorBuffer().address(), 16);
        err.order(ByteOrder.LITTLE_ENDIAN).putInt(0, 1).putInt(4, 12).putInt(8, 0).putInt(12, 10);
        IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class, be::synchronize);
        assertEquals("indexSelect: index 12 is out of bounds for dimension of size 10 (reported by a CUDA kernel; "
                + "that op's output is incomplete)", e.getMessage());
        be.synchronize();                                              // the report was cleared
    }

    @Test
    void matrixProductsGoThroughTheRowMajorMappingToCublas() {
        CpuBackend ref = new CpuBackend(CpuBackend.Kernels.REFERENCE);
        for (int trial = 0; trial < 40; trial++) {
            int batch = 1 + random.nextInt(3);
            int m = 1 + random.nextInt(5);
            int n = 1 + random.nextInt(5);
            int k = 1 + random.nextInt(5);
            boolean ta = random.nextBoolean();
            boolean tb = random.nextBoolean();
            int lda = ta ? m : k;
            int ldb = tb ? k : n;
            boolean f64 = trial % 4 == 3;
            int aStride = trial % 5 == 0 ? 0 : m * k;
            CpuStorage a = randomHost(f64, 1 + batch * m * k);
            CpuStorage b = randomHost(f64, batch * k * n);
            CpuStorage c = randomHost(f64, batch * m * n);
            Gemm host = new Gemm(batch, m, n, k, a, 1, aStride, lda, ta, b, 0, k * n, ldb, tb, c, 0, m * n, n, 0.5, 0.25);
            Storage da = be.upload(a);
            Storage db = be.upload(b);
            Storage dc = be.upload(c);
            be.gemm(new Gemm(batch, m, n, k, da, 1, aStride, lda, ta, db, 0, k * n, ldb, tb, dc, 0, m * n, n, 0.5, 0.25));
            ref.gemm(host);
            CpuStorage got = (CpuStorage) be.download(dc);
            for (int i = 0; i < c.size(); i++) {
                assertEquals(c.get(i), got.get(i), 1e-5 * (1 + Math.abs(c.get(i))), "trial " + trial + " at " + i);
            }
        }
        assertTrue(blas.calls.contains("sgemm") && blas.calls.contains("gemmEx R_64F COMPUTE_64F"), blas.calls.toString());
        assertEquals(List.of(), launched(), "float products never use the plain kernel");
        be.setAllowTf32(true);
        assertTrue(blas.tf32);
        Storage ia = be.upload(new CpuStorage.I64(new long[] {1, 2, 3, 4}));
        be.gemm(new Gemm(1, 2, 2, 2, ia, 0, 0, 2, false, ia, 0, 0, 2, false, be.allocate(DType.INT64, 4), 0, 0, 2, 1, 0));
        assertEquals(List.of("gemm_any"), launched());
    }

    private CpuStorage randomHost(boolean f64, int n) {
        CpuStorage s = CpuStorage.allocate(f64 ? DType.FLOAT64 : DType.FLOAT32, n);
        for (int i = 0; i < n; i++) {
            s.set(i, random.nextGaussian());
        }
        return s;
    }

    @Test
    void attentionUsesItsKernelsForFloat32AndTheHostFallbackOtherwise() {
        int b = 1;
        int h = 4;
        int hkv = 2;
        int t = 5;
        int d = 8;
        Storage q = f32(new float[b * h * t * d]);
        Storage kv = f32(new float[b * hkv * t * d]);
        Storage out = be.allocate(DType.FLOAT32, b * h * t * d);
        Storage lse = be.allocate(DType.FLOAT32, b * h * t);
        Storage mask = f32(new float[t * t]);
        Layout maskLayout = new Layout(new int[] {b, h, t, t}, new int[] {0, 0, t, 1}, 0);
        AttentionArgs args = new AttentionArgs(b, h, hkv, t, t, d, d, q, kv, kv, mask, maskLayout, true, 0,
                1 / Math.sqrt(d), 0.1, 42, out, lse);
        be.attentionForward(args);
        be.attentionBackward(args, out, be.allocate(DType.FLOAT32, b * h * t * d), be.allocate(DType.FLOAT32, b * hkv * t * d),
                be.allocate(DType.FLOAT32, b * hkv * t * d));
        assertEquals(List.of("attention_forward_f32", "attention_backward_delta_f32", "attention_backward_dq_f32",
                "attention_backward_dkdv_f32"), launched());
        // float64 has no kernel: Backend's default copies to the host, runs the CPU kernel, copies back.
        CpuStorage hq = randomHost(true, t * d);
        CpuStorage hk = randomHost(true, t * d);
        CpuStorage hv = randomHost(true, t * d);
        CpuStorage hout = CpuStorage.allocate(DType.FLOAT64, t * d);
        CpuStorage hlse = CpuStorage.allocate(DType.FLOAT64, t);
        new CpuBackend(CpuBackend.Kernels.REFERENCE).attentionForward(new AttentionArgs(1, 1, 1, t, t, d, d, hq, hk, hv,
                null, null, true, 0, 0.3, 0, 0, hout, hlse));
        Storage dout = be.allocate(DType.FLOAT64, t * d);
        be.attentionForward(new AttentionArgs(1, 1, 1, t, t, d, d, be.upload(hq), be.upload(hk), be.upload(hv), null,
                null, true, 0, 0.3, 0, 0, dout, be.allocate(DType.FLOAT64, t)));
        assertArrayEquals(((CpuStorage.F64) hout).data, ((CpuStorage.F64) be.download(dout)).data, 1e-12);
        assertTrue(launched().stream().noneMatch(n -> n.startsWith("attention")));
    }

    @Test
    void buffersOfOtherDevicesAreRejectedNamingTheOp() {
        Backend cpu = CpuBackend.instance();
        Storage host = cpu.allocate(DType.FLOAT32, 3);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> be.unary(UnaryOp.EXP, host, Layout.contiguous(3), host, Layout.contiguous(3)));
        assertEquals("exp: expected a buffer on cuda:0, got one on cpu", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> be.upload(be.allocate(DType.FLOAT32, 1)));
    }

    @Test
    void tooManyDimsAfterMergingIsAClearError() {
        int[] shape = {2, 2, 2, 2, 2, 2, 2, 2, 2};
        int[] strides = new int[9];
        for (int d = 0, st = 1; d < 9; d++, st *= 3) {
            strides[8 - d] = st;
        }
        Storage x = be.allocate(DType.FLOAT32, 3 * 6561);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> be.fill(x, new Layout(shape, strides, 0), 1));
        assertTrue(e.getMessage().contains("at most 8 dims"), e.getMessage());
    }
}
