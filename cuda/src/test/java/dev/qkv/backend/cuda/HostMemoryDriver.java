package dev.qkv.backend.cuda;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A {@link CudaDriver} whose "device memory" is host byte arrays and whose kernel launches are
 * recorded, not run. It lets the backend's bookkeeping (allocation, copies, launch arguments and
 * shapes) be tested on a machine without a GPU.
 */
final class HostMemoryDriver implements CudaDriver {
    /** One recorded launch. */
    record Launch(KernelSpec kernel, LaunchShape shape, KernelArgs args) {
    }

    private final TreeMap<Long, byte[]> blocks = new TreeMap<>();
    private final long capacity;
    private long next = 0x1000_0000L;
    private long inUse;
    final List<Launch> launches = new ArrayList<>();
    int synchronizations;
    int frees;

    HostMemoryDriver(long capacity) {
        this.capacity = capacity;
    }

    HostMemoryDriver() {
        this(1L << 40);
    }

    @Override
    public long malloc(long bytes) {
        if (inUse + bytes > capacity) {
            throw new CachingAllocator.OutOfDeviceMemory("fake device full");
        }
        long a = next;
        next += (bytes + 255) / 256 * 256 + 256;
        blocks.put(a, new byte[Math.toIntExact(bytes)]);
        inUse += bytes;
        return a;
    }

    @Override
    public void free(long address) {
        byte[] b = blocks.remove(address);
        if (b == null) {
            throw new IllegalStateException("free of unknown address " + Long.toHexString(address));
        }
        inUse -= b.length;
        frees++;
    }

    @Override
    public void synchronize() {
        synchronizations++;
    }

    /** The bytes from {@code address} to the end of its block, little-endian. */
    ByteBuffer at(long address, long bytes) {
        Map.Entry<Long, byte[]> e = blocks.floorEntry(address);
        if (e == null || address - e.getKey() + bytes > e.getValue().length) {
            throw new IllegalStateException("access outside any block at " + Long.toHexString(address) + " (+" + bytes + ")");
        }
        return ByteBuffer.wrap(e.getValue(), (int) (address - e.getKey()), (int) bytes).slice()
                .order(ByteOrder.LITTLE_ENDIAN);
    }

    @Override
    public void makeCurrent() {
    }

    @Override
    public String describe() {
        return "host-memory fake device";
    }

    @Override
    public long streamHandle() {
        return 0;
    }

    @Override
    public Object streamObject() {
        return null;
    }

    @Override
    public void memsetZero(long address, long bytes) {
        ByteBuffer b = at(address, bytes);
        for (int i = 0; i < bytes; i++) {
            b.put(i, (byte) 0);
        }
    }

    @Override
    public void copyToDevice(long dst, Object array, long bytes) {
        ByteBuffer b = at(dst, bytes);
        switch (array) {
            case float[] a -> b.asFloatBuffer().put(a, 0, (int) (bytes / 4));
            case double[] a -> b.asDoubleBuffer().put(a, 0, (int) (bytes / 8));
            case long[] a -> b.asLongBuffer().put(a, 0, (int) (bytes / 8));
            case int[] a -> b.asIntBuffer().put(a, 0, (int) (bytes / 4));
            case byte[] a -> b.put(a, 0, (int) bytes);
            default -> throw new IllegalArgumentException(array.getClass().toString());
        }
    }

    @Override
    public void copyToHost(Object array, long src, long bytes) {
        ByteBuffer b = at(src, bytes);
        switch (array) {
            case float[] a -> b.asFloatBuffer().get(a, 0, (int) (bytes / 4));
            case double[] a -> b.asDoubleBuffer().get(a, 0, (int) (bytes / 8));
            case long[] a -> b.asLongBuffer().get(a, 0, (int) (bytes / 8));
            case int[] a -> b.asIntBuffer().get(a, 0, (int) (bytes / 4));
            case byte[] a -> b.get(a, 0, (int) bytes);
            default -> throw new IllegalArgumentException(array.getClass().toString());
        }
    }

    @Override
    public void copyDeviceToDevice(long dst, long src, long bytes) {
        byte[] tmp = new byte[(int) bytes];
        at(src, bytes).get(tmp);
        at(dst, bytes).put(tmp);
    }

    @Override
    public void launch(KernelSpec kernel, LaunchShape shape, KernelArgs args) {
        // Every pointer argument must point into a live block (or be null).
        for (int i = 0; i < args.size(); i++) {
            if (args.kinds().get(i) == ParamKind.PTR) {
                long p = ByteBuffer.wrap(args.value(i)).order(ByteOrder.LITTLE_ENDIAN).getLong();
                if (p != 0) {
                    at(p, 1);
                }
            }
        }
        launches.add(new Launch(kernel, shape, args));
    }

    @Override
    public long[] memoryInfo() {
        return new long[] {capacity - inUse, capacity};
    }

    @Override
    public void close() {
    }

    List<String> kernelNames() {
        return launches.stream().map(l -> l.kernel().name()).toList();
    }

    long bytesInUse() {
        return inUse;
    }

    @Override
    public String toString() {
        return "HostMemoryDriver" + Arrays.toString(new long[] {inUse, capacity});
    }
}
