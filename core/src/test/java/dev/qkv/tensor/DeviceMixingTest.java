package dev.qkv.tensor;

import dev.qkv.nn.functional.F;
import dev.qkv.nn.functional.Reduction;
import dev.qkv.testing.FakeDevice;
import dev.qkv.testing.Rand;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two devices: the CPU and a test-only "fake" device (see {@link FakeDevice}) whose backend runs
 * the CPU reference kernels on its own buffers. Ops refuse to mix them, naming the op and both
 * devices; to() moves values and gradients between them.
 */
class DeviceMixingTest {

    private static final Device FAKE = FakeDevice.DEVICE;

    private static void assertMixingFails(String op, Executable call) {
        String m = assertThrows(IllegalArgumentException.class, call).getMessage();
        assertTrue(m.startsWith(op + ":") && m.contains("cpu") && m.contains("fake:0"), m);
    }

    @Test
    void toMovesValuesAndBack() {
        Tensor x = Tensor.randn(new Generator(1), 3, 4);
        Tensor f = x.to(FAKE);
        assertEquals(FAKE, f.device());
        assertEquals(FAKE, f.storage().device());
        assertNotSame(x.storage(), f.storage());
        assertArrayEquals(x.toFloatArray(), f.toFloatArray(), "read back through the host");
        Tensor back = f.to(Device.CPU);
        assertEquals(Device.CPU, back.device());
        assertArrayEquals(x.toFloatArray(), back.toFloatArray());
        assertSame(f, f.to(FAKE), "already there");
        // a non-contiguous view with an offset travels as its own elements
        Tensor view = x.t().narrow(0, 1, 2);
        assertArrayEquals(view.toFloatArray(), view.to(FAKE).toFloatArray());
        assertArrayEquals(new int[] {2, 3}, view.to(FAKE).shape());
        assertTrue(f.toString().contains("device=fake:0"), f.toString());
        Tensor ids = Tensor.ofLongs(3, 1).to(FAKE);
        assertEquals(DType.INT64, ids.dtype());
        assertArrayEquals(new long[] {3, 1}, ids.toLongArray());
    }

    @Test
    void mixingDevicesThrowsNamingTheOpAndBothDevices() {
        Tensor c = Tensor.ones(2, 2);
        Tensor f = Tensor.ones(2, 2).to(FAKE);
        assertMixingFails("add", () -> c.add(f));
        assertMixingFails("add", () -> f.add(c));
        assertMixingFails("mul", () -> c.mul(f));
        assertMixingFails("matmul", () -> c.matmul(f));
        assertMixingFails("matmul", () -> f.matmul(c));
        assertMixingFails("cat", () -> Tensor.cat(List.of(c, f), 0));
        assertMixingFails("cat", () -> Tensor.cat(List.of(f, f, c), 1));
        Tensor cond = Tensor.ones(2, 2).gt(0);
        assertMixingFails("where", () -> Tensor.where(cond, f, f));
        assertMixingFails("where", () -> Tensor.where(cond.to(FAKE), c, f));
        assertMixingFails("where", () -> Tensor.where(cond.to(FAKE), f, c));
        assertMixingFails("maskedFill", () -> f.maskedFill(cond, 0));
        assertMixingFails("indexSelect", () -> f.indexSelect(0, Tensor.ofLongs(0)));
        assertMixingFails("gather", () -> f.gather(0, Tensor.zeros(DType.INT64, 1, 1)));
        assertMixingFails("copy_", () -> c.copy_(f));
        assertMixingFails("add_", () -> c.add_(f));
        assertMixingFails("lt", () -> c.lt(f));
        Tensor y = Tensor.ones(2).requiresGrad(true).to(FAKE).mul(2);
        assertMixingFails("backward", () -> y.backward(Tensor.ones(2)));
    }

    @Test
    void opsOnTheFakeDeviceMatchTheCpu() {
        // a small network end to end on each device: same loss, same gradients
        Generator g = new Generator(2);
        Tensor x = Rand.uniform(g, -1, 1, 4, 3);
        Tensor w = Rand.uniform(g, -1, 1, 5, 3);
        Tensor lnW = Rand.uniform(g, 0.5, 1.5, 5);
        Tensor t = Tensor.ofLongs(1, 4, -100, 0);
        double[][] cpu = run(x, w, lnW, t, Device.CPU);
        double[][] fake = run(x, w, lnW, t, FAKE);
        for (int i = 0; i < cpu.length; i++) {
            assertArrayEquals(cpu[i], fake[i], 1e-12, "result " + i);
        }
    }

    /** {loss, dx, dw, dlnW} of a small model (linear, layerNorm, gelu, cat, cross-entropy, ...) on one device. */
    private static double[][] run(Tensor x0, Tensor w0, Tensor lnW0, Tensor t0, Device d) {
        Tensor x = x0.to(d).detach().requiresGrad(true);          // fresh leaves on device d
        Tensor w = w0.to(d).detach().requiresGrad(true);
        Tensor lnW = lnW0.to(d).detach().requiresGrad(true);
        Tensor h = F.layerNorm(F.linear(x, w, null), new int[] {5}, lnW, null, 1e-5).gelu(true);
        Tensor logits = Tensor.cat(List.of(h, h.narrow(1, 0, 2).mul(2)), 1);      // [4, 7]
        Tensor loss = F.crossEntropy(logits, t0.to(d), Reduction.MEAN, -100, 0.1)
                .add(F.softmax(logits, 0).max())
                .add(logits.indexSelect(0, Tensor.ofLongs(2, 2).to(d)).var());
        loss.backward();
        assertEquals(d, x.grad().device());
        return new double[][] {{loss.item()}, x.grad().toDoubleArray(), w.grad().toDoubleArray(), lnW.grad().toDoubleArray()};
    }

    @Test
    void gradientsFlowBackAcrossTo() {
        // y = Σ (2·x moved to fake) · v, so dy/dx = 2v, arriving on the CPU as the CPU leaf's grad
        Tensor x = Tensor.fromArray(new double[] {1, 2, 3}, 3).requiresGrad(true);
        Tensor v = Tensor.fromArray(new double[] {4, 5, 6}, 3).to(FAKE);
        Tensor y = x.mul(2).to(FAKE).mul(v).sum();
        assertEquals(FAKE, y.device());
        assertEquals(2 * (4 + 10 + 18), y.item());
        y.backward();
        assertEquals(Device.CPU, x.grad().device());
        assertArrayEquals(new double[] {8, 10, 12}, x.grad().toDoubleArray());
        // and the other way: a leaf on the fake device, a loss on the CPU
        Tensor p = Tensor.fromArray(new double[] {1, -1}, 2).to(FAKE).requiresGrad(true);
        p.mul(p).to(Device.CPU).sum().backward();
        assertEquals(FAKE, p.grad().device());
        assertArrayEquals(new double[] {2, -2}, p.grad().toDoubleArray());
    }
}
