package dev.qkv.io;

import dev.qkv.backend.Storage;
import dev.qkv.backend.cpu.CpuStorage;
import dev.qkv.tensor.DType;
import dev.qkv.tensor.Layout;
import dev.qkv.tensor.Tensor;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The conversions between tensor elements and safetensors bytes: little-endian, row-major,
 * one plain loop or bulk copy per dtype.
 */
final class TensorBytes {
    // Unaligned: the reader accepts tensors at any offset, whatever the writer did.
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Elements converted per step when writing: bounds the extra memory a save needs. */
    private static final int CHUNK = 1 << 16;

    private TensorBytes() {
    }

    /**
     * A fresh contiguous CPU tensor of this shape from {@code bytes}, which hold exactly
     * numel(shape) elements of {@code dtype}. The arrays go straight into the storage
     * (Tensor.fromArray would copy them again, doubling the peak memory of a large load).
     */
    static Tensor read(SafeTensorsDType dtype, MemorySegment bytes, int[] shape, int n) {
        Storage storage = switch (dtype) {
            case F32 -> {
                float[] v = new float[n];
                MemorySegment.copy(bytes, F32, 0, v, 0, n);
                yield new CpuStorage.F32(v);
            }
            case F16 -> {
                float[] v = new float[n];
                for (int i = 0; i < n; i++) {
                    v[i] = HalfFloats.f16ToFloat(bytes.get(I16, 2L * i));
                }
                yield new CpuStorage.F32(v);
            }
            case BF16 -> {
                float[] v = new float[n];
                for (int i = 0; i < n; i++) {
                    v[i] = HalfFloats.bf16ToFloat(bytes.get(I16, 2L * i));
                }
                yield new CpuStorage.F32(v);
            }
            case F64 -> {
                double[] v = new double[n];
                MemorySegment.copy(bytes, F64, 0, v, 0, n);
                yield new CpuStorage.F64(v);
            }
            case I64 -> {
                long[] v = new long[n];
                MemorySegment.copy(bytes, I64, 0, v, 0, n);
                yield new CpuStorage.I64(v);
            }
            case I32 -> {
                int[] v = new int[n];
                MemorySegment.copy(bytes, I32, 0, v, 0, n);
                yield new CpuStorage.I32(v);
            }
            case I8 -> new CpuStorage.Bytes(bytes.toArray(ValueLayout.JAVA_BYTE), DType.INT8);
            case U8 -> new CpuStorage.Bytes(bytes.toArray(ValueLayout.JAVA_BYTE), DType.UINT8);
            case BOOL -> {
                byte[] v = bytes.toArray(ValueLayout.JAVA_BYTE);
                for (int i = 0; i < n; i++) {
                    // qkv masks hold exactly 0 or 1; like numpy and torch, any non-zero byte is true
                    v[i] = (byte) (v[i] != 0 ? 1 : 0);
                }
                yield new CpuStorage.Bytes(v, DType.BOOL);
            }
        };
        return Tensor.fromStorage(storage, Layout.contiguous(shape));
    }

    /**
     * Writes the tensor's elements in row-major order (whatever its strides: views are fine)
     * as {@link SafeTensorsDType#forWriting} of its dtype, a chunk at a time.
     *
     * <p>Elements are copied straight from the storage array, bit for bit. Going through
     * {@code toLongArray()} / {@code toFloatArray()} would pass them through double, which
     * rounds INT64 values beyond 2^53 and quiets signaling NaNs.
     */
    static void write(Tensor t, OutputStream out) throws IOException {
        Tensor host = t.detach().cpu(); // detach: nothing here belongs in the autograd graph
        CpuStorage s = (CpuStorage) host.storage();
        Layout layout = host.layout();
        int n = host.numel();
        int size = s.dtype().byteSize();
        int[] at = new int[Math.min(n, CHUNK)]; // storage positions of the chunk's elements
        ByteBuffer buf = ByteBuffer.allocate(at.length * size).order(ByteOrder.LITTLE_ENDIAN);
        boolean contiguous = layout.isContiguous();
        for (int start = 0; start < n; start += CHUNK) {
            int len = Math.min(CHUNK, n - start);
            for (int k = 0; k < len; k++) {
                // element number start+k in row-major order
                at[k] = contiguous ? layout.offset() + start + k : layout.offsetOfLinear(start + k);
            }
            buf.clear();
            switch (s) {
                case CpuStorage.F32 f -> { for (int k = 0; k < len; k++) buf.putFloat(f.data[at[k]]); }
                case CpuStorage.F64 d -> { for (int k = 0; k < len; k++) buf.putDouble(d.data[at[k]]); }
                case CpuStorage.I64 l -> { for (int k = 0; k < len; k++) buf.putLong(l.data[at[k]]); }
                case CpuStorage.I32 i -> { for (int k = 0; k < len; k++) buf.putInt(i.data[at[k]]); }
                case CpuStorage.Bytes b -> { for (int k = 0; k < len; k++) buf.put(b.data[at[k]]); }
            }
            out.write(buf.array(), 0, len * size);
        }
    }
}
