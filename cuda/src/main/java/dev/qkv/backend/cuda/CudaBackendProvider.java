package dev.qkv.backend.cuda;

import dev.qkv.backend.Backend;
import dev.qkv.backend.BackendProvider;

/**
 * Registers the CUDA backend for device type "cuda" (listed in
 * META-INF/services/dev.qkv.backend.BackendProvider). Loading this class loads nothing native;
 * {@link #backend(int)} opens the device and throws {@link CudaUnavailableException}
 * ("no CUDA device: ...") when there is none.
 */
public final class CudaBackendProvider implements BackendProvider {
    @Override
    public String deviceType() {
        return "cuda";
    }

    @Override
    public Backend backend(int index) {
        try {
            return CudaBackend.open(index);
        } catch (CudaUnavailableException e) {
            throw e;
        } catch (LinkageError e) {
            throw new CudaUnavailableException("the CUDA bindings could not be loaded: " + e, e);
        }
    }
}
