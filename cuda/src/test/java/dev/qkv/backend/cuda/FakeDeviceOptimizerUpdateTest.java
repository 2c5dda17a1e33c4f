package dev.qkv.backend.cuda;

import dev.qkv.backend.AdamUpdate;
import dev.qkv.backend.SgdUpdate;
import dev.qkv.backend.Storage;
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

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link CudaBackend#adamUpdate} and {@link CudaBackend#sgdUpdate} on the fake device (no GPU;
 * launches are recorded, not run): which kernel runs when, and every argument it gets — buffer
 * addresses with their view offsets, the element count, and each scalar exactly as the composed
 * CPU update rounds it (1 − β1, lr / (1 − β1ᵗ), √(1 − β2ᵗ), 1 − lr·wd, 1 − dampening, ...).
 * What the kernel computes with them is checked by {@link OptimKernelMathTest} (a Java transcription,
 * no GPU) and {@link CudaOptimizerUpdateTest} (the kernel, on a GPU).
 */
class FakeDeviceOptimizerUpdateTest {
    private HostMemoryDriver driver;
    private CudaBackend be;

    @BeforeEach
    void open() {
        driver = new HostMemoryDriver();
        be = new CudaBackend(Device.cuda(0), driver, new HostBlas(driver), 1L << 30);
    }

    @AfterEach
    void close() {
        be.close();
    }

    private CudaStorage f32(int n) {
        return (CudaStorage) be.allocate(DType.FLOAT32, n);
    }

    private static long pointer(HostMemoryDriver.Launch l, int arg) {
        return ByteBuffer.wrap(l.args().value(arg)).order(ByteOrder.LITTLE_ENDIAN).getLong();
    }

    private static int int32(HostMemoryDriver.Launch l, int arg) {
        return ByteBuffer.wrap(l.args().value(arg)).order(ByteOrder.LITTLE_ENDIAN).getInt();
    }

    private static double f64(HostMemoryDriver.Launch l, int arg) {
        return ByteBuffer.wrap(l.args().value(arg)).order(ByteOrder.LITTLE_ENDIAN).getDouble();
    }

    private List<String> launched() {
        List<String> names = driver.kernelNames();
        driver.launches.clear();
        return names;
    }

    @Test
    void adamIsOneKernelWithTheComposedUpdatesScalars() {
        // A [2, 3] parameter at element 2 of its storage; the state buffers at offset 0 and 1.
        CudaStorage p = f32(8);
        CudaStorage g = f32(6);
        CudaStorage m = f32(7);
        CudaStorage v = f32(6);
        CudaStorage vMax = f32(6);
        Layout at2 = new Layout(new int[] {2, 3}, new int[] {3, 1}, 2);
        Layout at1 = new Layout(new int[] {2, 3}, new int[] {3, 1}, 1);
        Layout c = Layout.contiguous(2, 3);
        double lr = 3e-3;
        double wd = 0.05;
        long step = 4;
        for (int mode = 0; mode < 3; mode++) {
            driver.launches.clear();
            boolean decoupled = mode == 2;
            double decay = mode == 0 ? 0 : wd;
            be.adamUpdate(new AdamUpdate(p, at2, g, c, m, at1, v, c, mode == 1 ? vMax : null, mode == 1 ? c : null, lr,
                    0.8, 0.95, 1e-6, decay, decoupled, step));
            assertEquals(List.of("adam_update_f32"), driver.kernelNames(), "mode " + mode);
            HostMemoryDriver.Launch l = driver.launches.getFirst();
            assertEquals(p.address() + 8, pointer(l, 0), "param at element 2");
            assertEquals(g.address(), pointer(l, 1));
            assertEquals(m.address() + 4, pointer(l, 2), "exp_avg at element 1");
            assertEquals(v.address(), pointer(l, 3));
            assertEquals(mode == 1 ? vMax.address() : 0, pointer(l, 4), "max_exp_avg_sq only with AMSGrad");
            assertEquals(6, int32(l, 5));
            assertEquals(0.8, f64(l, 6));
            assertEquals(1 - 0.8, f64(l, 7));
            assertEquals(0.95, f64(l, 8));
            assertEquals(1 - 0.95, f64(l, 9));
            assertEquals(mode, int32(l, 10), "decay mode: 0 none, 1 L2 (Adam), 2 decoupled (AdamW)");
            assertEquals(decay, f64(l, 11));
            assertEquals(1 - lr * decay, f64(l, 12));
            assertEquals(Math.sqrt(1 - Math.pow(0.95, step)), f64(l, 13));
            assertEquals(1e-6, f64(l, 14));
            assertEquals(lr / (1 - Math.pow(0.8, step)), f64(l, 15));
        }
    }

    @Test
    void sgdIsOneKernelWithTheComposedUpdatesScalars() {
        CudaStorage p = f32(5);
        CudaStorage g = f32(5);
        CudaStorage b = f32(6);
        Layout c = Layout.contiguous(5);
        be.sgdUpdate(new SgdUpdate(p, c, g, c, b, new Layout(new int[] {5}, new int[] {1}, 1), 0.05, 0.9, 0.25, 0.01,
                false, true));
        HostMemoryDriver.Launch l = driver.launches.getLast();
        assertEquals("sgd_update_f32", l.kernel().name());
        assertEquals(List.of(p.address(), g.address(), b.address() + 4), List.of(pointer(l, 0), pointer(l, 1), pointer(l, 2)));
        assertEquals(5, int32(l, 3));
        assertEquals(List.of(0.05, 0.9, 1 - 0.25, 0.01), List.of(f64(l, 4), f64(l, 5), f64(l, 6), f64(l, 7)));
        assertEquals(List.of(0, 1), List.of(int32(l, 8), int32(l, 9)), "nesterov off, first step");
        be.sgdUpdate(new SgdUpdate(p, c, g, c, null, null, 0.1, 0, 0, 0, false, false));
        l = driver.launches.getLast();
        assertEquals(0, pointer(l, 2), "no momentum: no buffer");
    }

    @Test
    void stridedOrFloat64BuffersUseTheComposedDefaultOnTheDevice() {
        CudaStorage p = f32(6);
        Layout c = Layout.contiguous(2, 3);
        Layout transposed = Layout.contiguous(3, 2).transpose(0, 1);
        be.adamUpdate(new AdamUpdate(p, c, f32(6), transposed, f32(6), c, f32(6), c, null, null, 1e-3, 0.9, 0.999, 1e-8,
                0, false, 1));
        List<String> names = launched();
        assertFalse(names.contains("adam_update_f32"), names.toString());
        assertTrue(names.contains("sqrt_f32") && names.contains("div_f32") && names.contains("sub_f32"), names.toString());
        Storage p64 = be.allocate(DType.FLOAT64, 6);
        be.sgdUpdate(new SgdUpdate(p64, c, be.allocate(DType.FLOAT64, 6), c, null, null, 0.1, 0, 0, 0, false, false));
        names = launched();
        assertFalse(names.contains("sgd_update_f32"), names.toString());
        assertTrue(names.contains("mul_any") && names.contains("sub_any"), names.toString());
    }

    @Test
    void anEmptyParameterLaunchesNothingAndHostBuffersAreRefused() {
        Layout empty = Layout.contiguous(0, 4);
        be.adamUpdate(new AdamUpdate(f32(0), empty, f32(0), empty, f32(0), empty, f32(0), empty, null, null, 1e-3, 0.9,
                0.999, 1e-8, 0, false, 1));
        assertEquals(List.of(), launched());
        Storage host = CpuBackend.instance().allocate(DType.FLOAT32, 3);
        Layout c = Layout.contiguous(3);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> be.sgdUpdate(new SgdUpdate(f32(3),
                c, host, c, null, null, 0.1, 0, 0, 0, false, false)));
        assertEquals("sgdUpdate: expected a buffer on cuda:0, got one on cpu", e.getMessage());
    }

    @Test
    void theOptimizerStateSurvivesOnTheFakeDevice() {
        // The buffers a launch names must be live device memory (HostMemoryDriver checks every pointer).
        CpuStorage host = new CpuStorage.F32(new float[] {1, 2, 3});
        Storage p = be.upload(host);
        Layout c = Layout.contiguous(3);
        be.adamUpdate(new AdamUpdate(p, c, be.upload(host), c, f32(3), c, f32(3), c, f32(3), c, 1e-3, 0.9, 0.999, 1e-8,
                0.1, true, 1));
        assertEquals(1, driver.launches.size());
        assertEquals(3, ((CpuStorage) be.download(p)).size());
    }
}
