package dev.qkv.autograd;

import dev.qkv.backend.Storage;
import dev.qkv.tensor.DType;
import dev.qkv.tensor.Device;
import dev.qkv.tensor.Layout;
import dev.qkv.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The engine closes the buffers of gradients it has consumed (device memory comes back without
 * the JVM's collector), but never one that a pending gradient or the caller's gradient shares.
 * The storages here only count their closes; the whole path runs on a GPU in the cuda module's
 * training and leak tests, where a buffer used after close throws.
 */
class ConsumedGradientsTest {

    /** A device buffer stand-in: nothing but a close counter. */
    static final class Closeable extends Storage implements AutoCloseable {
        int closes;

        @Override
        public DType dtype() {
            return DType.FLOAT32;
        }

        @Override
        public int size() {
            return 4;
        }

        @Override
        public Device device() {
            return Device.cuda(0);
        }

        @Override
        public void close() {
            closes++;
        }
    }

    private static Tensor over(Storage s) {
        return Tensor.fromStorage(s, Layout.contiguous(4));
    }

    @Test
    void closesWhatNothingPendingShares() {
        Closeable dead = new Closeable();
        Closeable shared = new Closeable();
        Closeable callers = new Closeable();
        Tensor gradient = over(callers);
        Map<Tensor, Tensor> pending = new IdentityHashMap<>();
        pending.put(over(new Closeable()), over(shared).reshape(2, 2));      // a view of the same buffer
        List<Tensor> consumed = new ArrayList<>(List.of(over(dead), over(dead).reshape(2, 2), over(shared),
                gradient));
        Engine.closeUnshared(consumed, pending, gradient);
        assertEquals(1, dead.closes, "two views of one dead buffer: closed once");
        assertEquals(0, shared.closes, "a pending gradient shares it");
        assertEquals(0, callers.closes, "the caller's gradient is the caller's");
        assertTrue(consumed.isEmpty());
    }

    @Test
    void cpuBuffersAreLeftToTheCollector() {
        Tensor cpu = Tensor.zeros(4);
        List<Tensor> consumed = new ArrayList<>(List.of(cpu));
        Engine.closeUnshared(consumed, new IdentityHashMap<>(), Tensor.zeros(1));
        assertFalse(cpu.storage() instanceof AutoCloseable);
        assertEquals(0.0, cpu.sum().item());                                   // still usable
    }
}
