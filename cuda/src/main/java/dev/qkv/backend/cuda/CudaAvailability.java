package dev.qkv.backend.cuda;

/**
 * Whether a CUDA device can be opened here, and if not why, asked once per JVM. For tests and
 * tools that want to skip GPU work with a reason instead of failing.
 */
public final class CudaAvailability {
    /** available, and otherwise the reason (the CudaUnavailableException's message). */
    public record Status(boolean available, String reason) {
    }

    private static volatile Status status;

    private CudaAvailability() {
    }

    /** Opens device 0 through {@link dev.qkv.backend.Backends} the first time; the result is cached. */
    public static Status check() {
        Status s = status;
        if (s == null) {
            synchronized (CudaAvailability.class) {
                s = status;
                if (s == null) {
                    try {
                        dev.qkv.backend.Backend be = dev.qkv.backend.Backends.of(dev.qkv.tensor.Device.cuda(0));
                        s = new Status(true, "CUDA device: " + be);
                    } catch (RuntimeException | LinkageError e) {
                        s = new Status(false, e.getMessage());
                    }
                    status = s;
                }
            }
        }
        return s;
    }
}
