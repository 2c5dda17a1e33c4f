package dev.qkv.backend.cuda;

/**
 * What {@link CudaBackend} needs from the CUDA driver for one device: memory, copies, kernel
 * launches on one stream, and synchronisation. {@link JCudaDriver} implements it with JCuda;
 * tests implement it on the host to check the backend's bookkeeping and launches without a GPU.
 *
 * <p>Ordering: kernels, memsets and device-to-device copies are queued on the device's stream;
 * the host-device copies are synchronous and ordered after everything queued before them.
 */
interface CudaDriver extends CachingAllocator.RawAllocator, AutoCloseable {

    /** Human-readable device description, e.g. "NVIDIA H100 80GB HBM3 (sm_90, 79.1 GiB, driver 13.0)". */
    String describe();

    /** Raw handle of the stream all work is queued on (a {@code CUstream} / {@code cudaStream_t}). */
    long streamHandle();

    /** The driver binding's own stream object, for libraries that want it (JCublas); null in fakes. */
    Object streamObject();

    /**
     * Makes the device's context current on the calling thread, for libraries (cuBLAS) that
     * use whatever context is current. The driver's own methods do this themselves.
     */
    void makeCurrent();

    /** Sets {@code bytes} bytes at {@code address} to zero (queued). */
    void memsetZero(long address, long bytes);

    /** Sets {@code bytes} bytes at {@code address} to {@code value} (queued); fakes may support only 0. */
    default void memsetBytes(long address, byte value, long bytes) {
        if (value != 0) {
            throw new UnsupportedOperationException("memsetBytes(" + value + ") on " + describe());
        }
        memsetZero(address, bytes);
    }

    /** Copies a primitive host array ({@code float[]}, {@code long[]}, ...) to the device. */
    void copyToDevice(long dst, Object hostArray, long bytes);

    /** Copies device memory into a primitive host array, after all queued work has finished. */
    void copyToHost(Object hostArray, long src, long bytes);

    /** Copies device to device (queued). */
    void copyDeviceToDevice(long dst, long src, long bytes);

    /**
     * The most dynamic shared memory one block may use once its kernel opts in (the device's
     * {@code MAX_SHARED_MEMORY_PER_BLOCK_OPTIN}); launches above 48 KiB opt in by themselves.
     */
    default int maxSharedBytesPerBlock() {
        return LaunchShape.DEFAULT_SHARED_LIMIT;
    }

    /** Queues a kernel; {@code args} has already been checked against {@code kernel}. */
    void launch(KernelSpec kernel, LaunchShape shape, KernelArgs args);

    /** {free, total} device memory in bytes, as the driver sees it. */
    long[] memoryInfo();

    @Override
    void close();
}
