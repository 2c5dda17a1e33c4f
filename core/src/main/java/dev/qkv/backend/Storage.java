package dev.qkv.backend;

import dev.qkv.tensor.DType;
import dev.qkv.tensor.Device;

/**
 * A flat buffer of elements of one {@link DType} on one {@link Device}. A tensor is a storage
 * plus a {@link dev.qkv.tensor.Layout}; many tensors (views) may share one storage. Storages of
 * devices with their own memory also implement {@link AutoCloseable}.
 */
public abstract class Storage {
    /** Element type of every element in this buffer. */
    public abstract DType dtype();

    /** Number of elements. */
    public abstract int size();

    public abstract Device device();
}
