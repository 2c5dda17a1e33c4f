package dev.qkv.backend;

import dev.qkv.tensor.Device;

/**
 * How an optional module (such as qkv-cuda) contributes a backend: list the implementation in
 * {@code META-INF/services/dev.qkv.backend.BackendProvider}.
 */
public interface BackendProvider {
    /** The device type this provider serves, e.g. "cuda". */
    String deviceType();

    /** The backend for one device of that type; throws with a clear message if unavailable. */
    Backend backend(int index);
}
