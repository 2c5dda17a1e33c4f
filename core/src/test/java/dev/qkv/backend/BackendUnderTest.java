package dev.qkv.backend;

import dev.qkv.backend.cpu.CpuBackend;
import dev.qkv.backend.cpu.CpuStorage;
import dev.qkv.tensor.DType;

/**
 * What every part of the backend contract needs: the backend under test, the reference it is
 * held to, and the two ways data crosses between them. Inputs are made on the host, uploaded
 * with {@link Backend#upload} and results read with {@link Backend#download}, so the same suite
 * runs on a device backend (the cuda module extends {@link BackendContractTest}).
 */
public interface BackendUnderTest {

    /** The definition every backend is held to: the scalar, double-precision CPU kernels. */
    CpuBackend REFERENCE = new CpuBackend(CpuBackend.Kernels.REFERENCE);

    /** The backend under test. */
    Backend backend();

    /** Whether the backend has kernels for this dtype; the suite skips the cases it lacks. */
    default boolean supports(DType dtype) {
        return true;
    }

    /** A device copy of a host buffer. The host buffer is copied first, so the two never alias. */
    default Storage up(CpuStorage host) {
        return backend().upload(HostData.copy(host));
    }

    /** A device buffer's contents, on the host. */
    default CpuStorage down(Storage s) {
        return (CpuStorage) backend().download(s);
    }
}
