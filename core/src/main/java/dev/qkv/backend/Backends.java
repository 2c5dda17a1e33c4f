package dev.qkv.backend;

import dev.qkv.backend.cpu.CpuBackend;
import dev.qkv.tensor.Device;

import java.util.ServiceLoader;
import java.util.concurrent.ConcurrentHashMap;

/** Finds the backend for a device: the CPU backend built in, others through {@link BackendProvider}. */
public final class Backends {
    private static final ConcurrentHashMap<Device, Backend> CACHE = new ConcurrentHashMap<>();

    private Backends() {
    }

    public static Backend of(Device device) {
        if (device.isCpu()) {
            return CpuBackend.instance();
        }
        return CACHE.computeIfAbsent(device, d -> {
            for (BackendProvider p : ServiceLoader.load(BackendProvider.class)) {
                if (p.deviceType().equals(d.type())) {
                    return p.backend(d.index());
                }
            }
            throw new IllegalStateException("no backend for device " + d + ": add the qkv-" + d.type()
                    + " module to the classpath");
        });
    }
}
