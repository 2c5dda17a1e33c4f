package dev.qkv.backend.cuda;

import dev.qkv.backend.BackendProvider;
import dev.qkv.backend.Backends;
import dev.qkv.tensor.Device;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.util.ServiceLoader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Having the module on the classpath is harmless without a GPU, and asking for one fails clearly. */
class ProviderWithoutDeviceTest {

    @Test
    void theProviderIsRegisteredForCuda() {
        boolean found = false;
        for (BackendProvider p : ServiceLoader.load(BackendProvider.class)) {
            if (p instanceof CudaBackendProvider) {
                assertEquals("cuda", p.deviceType());
                found = true;
            }
        }
        assertTrue(found, "META-INF/services lists CudaBackendProvider");
    }

    @Test
    void withoutAGpuAskingForOneThrowsNoCudaDevice() {
        CudaAvailability.Status status = CudaAvailability.check();
        if (status.available()) {
            String reason = "a CUDA device is present here (" + status.reason() + ")";
            System.out.println("ProviderWithoutDeviceTest: skipping the no-device check: " + reason);
            Assumptions.abort(reason);
        }
        System.out.println("ProviderWithoutDeviceTest: " + status.reason());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Backends.of(Device.cuda(0)));
        assertTrue(e.getMessage().startsWith("no CUDA device: "), e.getMessage());
        assertTrue(e instanceof CudaUnavailableException);
        // Asking again gives the same clear answer, not a NoClassDefFoundError from a failed class init.
        IllegalStateException again = assertThrows(IllegalStateException.class, () -> Backends.of(Device.cuda(0)));
        assertTrue(again.getMessage().startsWith("no CUDA device: "), again.getMessage());
    }

    @Test
    void aDeviceIndexPastTheLastGpuThrowsNoCudaDeviceEverywhere() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Backends.of(Device.cuda(4096)));
        assertTrue(e.getMessage().startsWith("no CUDA device: "), e.getMessage());
    }
}
