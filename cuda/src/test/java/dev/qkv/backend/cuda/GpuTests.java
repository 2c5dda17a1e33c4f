package dev.qkv.backend.cuda;

import dev.qkv.backend.Backends;
import dev.qkv.tensor.Device;
import org.junit.jupiter.api.Assumptions;

/** For tests that need a GPU: the shared CUDA backend, or a skip with the reason printed. */
final class GpuTests {
    private static final java.util.Set<String> ANNOUNCED = java.util.concurrent.ConcurrentHashMap.newKeySet();

    private GpuTests() {
    }

    /** The backend of cuda:0; aborts the calling test (skipped, reason on stdout) without one. */
    static CudaBackend requireCuda(String test) {
        CudaAvailability.Status s = CudaAvailability.check();
        if (!s.available()) {
            String reason = test + " skipped: " + s.reason();
            if (ANNOUNCED.add(test)) {
                System.out.println(reason);
            }
            Assumptions.assumeTrue(false, reason);
        }
        CudaBackend be = (CudaBackend) Backends.of(Device.cuda(0));
        if (ANNOUNCED.add(test)) {
            System.out.println(test + " runs on " + be);
        }
        return be;
    }
}
