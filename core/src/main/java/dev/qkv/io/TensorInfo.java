package dev.qkv.io;

import java.util.Arrays;
import java.util.Objects;

/**
 * One tensor entry of a safetensors header, as validated: its element type, its shape as stored
 * (dims may exceed an int for tensors qkv cannot load), and where its bytes lie as
 * {@code [begin, end)} relative to the start of the data buffer (the byte after the header).
 */
public record TensorInfo(String name, SafeTensorsDType dtype, long[] shape, long begin, long end) {
    public TensorInfo {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(dtype, "dtype");
        shape = shape.clone();
    }

    /** A copy of the shape. */
    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** Number of elements (the header validation guarantees it does not overflow). */
    public long numel() {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }

    /** Bytes of data: {@code end - begin}, which validation checked equals numel × element size. */
    public long byteSize() {
        return end - begin;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorInfo t && name.equals(t.name) && dtype == t.dtype
                && Arrays.equals(shape, t.shape) && begin == t.begin && end == t.end;
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, dtype, Arrays.hashCode(shape), begin, end);
    }

    @Override
    public String toString() {
        return Json.quote(name, 100) + " " + dtype + " " + Arrays.toString(shape) + " bytes [" + begin + ", " + end + ")";
    }
}
