package dev.qkv.backend.cuda;

/** The device has no memory left for an allocation, even after the cache was emptied. */
public final class CudaOutOfMemoryException extends RuntimeException {
    public CudaOutOfMemoryException(String message) {
        super(message);
    }
}
