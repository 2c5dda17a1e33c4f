package dev.qkv.backend.cuda;

/**
 * No usable CUDA device: no driver, no GPU, an index past the last GPU, a GPU or driver too old
 * for qkv's kernels. The message starts with "no CUDA device: " and says which.
 */
public final class CudaUnavailableException extends IllegalStateException {
    public CudaUnavailableException(String reason, Throwable cause) {
        super("no CUDA device: " + reason, cause);
    }

    public CudaUnavailableException(String reason) {
        this(reason, null);
    }
}
