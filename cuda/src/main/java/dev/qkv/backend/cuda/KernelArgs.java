package dev.qkv.backend.cuda;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * The arguments of one kernel launch, in order, each as the exact bytes the kernel's parameter
 * holds (little-endian, as on every CUDA host). The driver binding hands the driver one pointer
 * per argument to these bytes ({@code cuLaunchKernel}'s {@code kernelParams}); the driver copies
 * them when the launch is queued.
 */
final class KernelArgs {
    private final List<ParamKind> kinds = new ArrayList<>();
    private final List<byte[]> values = new ArrayList<>();
    /** Buffers whose addresses are in the arguments: kept reachable until the launch is queued. */
    private final List<Object> keepAlive = new ArrayList<>();

    private KernelArgs add(ParamKind kind, ByteBuffer value) {
        kinds.add(kind);
        values.add(value.array());
        return this;
    }

    private static ByteBuffer buffer(int bytes) {
        return ByteBuffer.allocate(bytes).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** A device address (0 for a null pointer). */
    KernelArgs ptr(long address) {
        return add(ParamKind.PTR, buffer(8).putLong(address));
    }

    /** A buffer's device address, or a null pointer for null. */
    KernelArgs ptr(CudaStorage s) {
        if (s == null) {
            return ptr(0L);
        }
        keepAlive.add(s);
        return ptr(s.address());
    }

    /** The device address of element {@code elementOffset} of a buffer, or a null pointer for null. */
    KernelArgs ptr(CudaStorage s, int elementOffset) {
        if (s == null) {
            return ptr(0L);
        }
        keepAlive.add(s);
        return ptr(s.address() + (long) elementOffset * s.dtype().byteSize());
    }

    KernelArgs i32(int value) {
        return add(ParamKind.I32, buffer(4).putInt(value));
    }

    /** A boolean as the int 0 or 1. */
    KernelArgs flag(boolean value) {
        return i32(value ? 1 : 0);
    }

    KernelArgs u64(long value) {
        return add(ParamKind.U64, buffer(8).putLong(value));
    }

    KernelArgs f64(double value) {
        return add(ParamKind.F64, buffer(8).putDouble(value));
    }

    /** The {@code Dims} struct: rank, numel, shape[8] (unused dims 0). */
    KernelArgs dims(ViewMerge.Dims d) {
        ByteBuffer b = buffer(ParamKind.DIMS.bytes).putInt(d.shape().length).putInt(d.numel());
        for (int s : d.shape()) {
            b.putInt(s);
        }
        return add(ParamKind.DIMS, b);
    }

    /** The {@code Strides} struct: offset, stride[8] (unused dims 0). */
    KernelArgs strides(ViewMerge.Strides s) {
        ByteBuffer b = buffer(ParamKind.STRIDES.bytes).putInt(s.offset());
        for (int st : s.strides()) {
            b.putInt(st);
        }
        return add(ParamKind.STRIDES, b);
    }

    List<ParamKind> kinds() {
        return List.copyOf(kinds);
    }

    /** The bytes of argument i. */
    byte[] value(int i) {
        return values.get(i);
    }

    int size() {
        return kinds.size();
    }
}
