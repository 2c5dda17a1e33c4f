package dev.qkv.backend.cuda;

import dev.qkv.backend.Storage;
import dev.qkv.tensor.DType;
import dev.qkv.tensor.Device;

/**
 * A flat buffer in a GPU's memory. Closing it returns its block to the backend's caching
 * allocator at once; a buffer that is never closed (the common case: tensors made by ops)
 * returns when the JVM collects it. Closing twice is harmless; using a buffer after closing it
 * throws (its block may already hold another tensor).
 */
public final class CudaStorage extends Storage implements AutoCloseable {
    private final CudaBackend backend;
    private final DType dtype;
    private final int size;
    private final CachingAllocator.Allocation allocation;
    private volatile boolean closed;

    CudaStorage(CudaBackend backend, DType dtype, int size) {
        if (size < 0) {
            throw new IllegalArgumentException("negative size " + size);
        }
        this.backend = backend;
        this.dtype = dtype;
        this.size = size;
        this.allocation = backend.allocator().allocate(this, (long) size * dtype.byteSize());
    }

    @Override
    public DType dtype() {
        return dtype;
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public Device device() {
        return backend.device();
    }

    CudaBackend backend() {
        return backend;
    }

    /** Device address of element 0. */
    long address() {
        if (closed) {
            throw new IllegalStateException(this + " was used after close(): its memory went back to the allocator");
        }
        return allocation.address();
    }

    long bytes() {
        return (long) size * dtype.byteSize();
    }

    /** Returns the memory to the allocator's cache now. */
    @Override
    public void close() {
        closed = true;
        backend.allocator().release(allocation);
    }

    @Override
    public String toString() {
        return "CudaStorage[" + dtype + " x " + size + " on " + device() + "]";
    }
}
