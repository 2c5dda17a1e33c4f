package dev.qkv.backend.cpu;

import dev.qkv.backend.Storage;
import dev.qkv.tensor.DType;
import dev.qkv.tensor.Device;

/**
 * A heap array on the CPU. Every element can be read and written as a double, which is how the
 * scalar reference kernels handle all dtypes with one loop; the fast kernels use the typed
 * subclasses' arrays directly.
 */
public abstract sealed class CpuStorage extends Storage
        permits CpuStorage.F32, CpuStorage.F64, CpuStorage.I64, CpuStorage.I32, CpuStorage.Bytes {

    public abstract double get(int i);

    /** Stores v converted to this dtype (truncating toward zero for integers, v != 0 for BOOL). */
    public abstract void set(int i, double v);

    /** Element i as a long: exact for every integer dtype (a double holds only 53 bits). */
    public long getLong(int i) {
        return (long) get(i);
    }

    /** Stores an integer exactly (for integer dtypes; floats round as usual). */
    public void setLong(int i, long v) {
        set(i, v);
    }

    @Override
    public Device device() {
        return Device.CPU;
    }

    /** A zero-filled buffer. */
    public static CpuStorage allocate(DType dtype, int n) {
        return switch (dtype) {
            case FLOAT32 -> new F32(new float[n]);
            case FLOAT64 -> new F64(new double[n]);
            case INT64 -> new I64(new long[n]);
            case INT32 -> new I32(new int[n]);
            case BOOL, INT8, UINT8 -> new Bytes(new byte[n], dtype);
        };
    }

    /** float32 elements. */
    public static final class F32 extends CpuStorage {
        public final float[] data;

        public F32(float[] data) {
            this.data = data;
        }

        public DType dtype() { return DType.FLOAT32; }
        public int size() { return data.length; }
        public double get(int i) { return data[i]; }
        public void set(int i, double v) { data[i] = (float) v; }
    }

    /** float64 elements: used for double-precision gradient checks. */
    public static final class F64 extends CpuStorage {
        public final double[] data;

        public F64(double[] data) {
            this.data = data;
        }

        public DType dtype() { return DType.FLOAT64; }
        public int size() { return data.length; }
        public double get(int i) { return data[i]; }
        public void set(int i, double v) { data[i] = v; }
    }

    /** int64 elements: token ids, targets, indices. */
    public static final class I64 extends CpuStorage {
        public final long[] data;

        public I64(long[] data) {
            this.data = data;
        }

        public DType dtype() { return DType.INT64; }
        public int size() { return data.length; }
        public double get(int i) { return data[i]; }
        public void set(int i, double v) { data[i] = (long) v; }
        @Override public long getLong(int i) { return data[i]; }
        @Override public void setLong(int i, long v) { data[i] = v; }
    }

    public static final class I32 extends CpuStorage {
        public final int[] data;

        public I32(int[] data) {
            this.data = data;
        }

        public DType dtype() { return DType.INT32; }
        public int size() { return data.length; }
        public double get(int i) { return data[i]; }
        public void set(int i, double v) { data[i] = (int) (long) v; }
    }

    /** One byte per element: BOOL (0/1), INT8 or UINT8. */
    public static final class Bytes extends CpuStorage {
        public final byte[] data;
        private final DType dtype;

        public Bytes(byte[] data, DType dtype) {
            this.data = data;
            this.dtype = dtype;
        }

        public DType dtype() { return dtype; }
        public int size() { return data.length; }

        public double get(int i) {
            return dtype == DType.UINT8 ? data[i] & 0xff : data[i];
        }

        public void set(int i, double v) {
            data[i] = dtype == DType.BOOL ? (byte) (v != 0 ? 1 : 0) : (byte) (long) v;
        }
    }
}
