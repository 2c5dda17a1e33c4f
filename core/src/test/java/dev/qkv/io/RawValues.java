package dev.qkv.io;

import dev.qkv.backend.cpu.CpuStorage;
import dev.qkv.tensor.Tensor;

/**
 * A CPU tensor's elements in row-major order as raw bits (floats as their bit patterns,
 * integers as themselves, UINT8 as 0..255), read straight from the storage by walking the
 * strides. Tests compare with this rather than toLongArray()/toFloatArray(), which pass values
 * through double and so round large INT64 values and quiet signaling NaNs.
 */
final class RawValues {
    private RawValues() {
    }

    static long[] of(Tensor t) {
        CpuStorage s = (CpuStorage) t.storage();
        int[] shape = t.shape();
        int[] strides = t.strides();
        long[] out = new long[t.numel()];
        int[] index = new int[shape.length]; // odometer over the multi-index, last dim fastest
        for (int i = 0; i < out.length; i++) {
            int p = t.layout().offset();
            for (int d = 0; d < shape.length; d++) {
                p += index[d] * strides[d];
            }
            out[i] = switch (s) {
                case CpuStorage.F32 f -> Float.floatToRawIntBits(f.data[p]);
                case CpuStorage.F64 f -> Double.doubleToRawLongBits(f.data[p]);
                case CpuStorage.I64 l -> l.data[p];
                case CpuStorage.I32 n -> n.data[p];
                case CpuStorage.Bytes b -> (long) b.get(p); // signed, or 0..255 for UINT8
            };
            for (int d = shape.length - 1; d >= 0 && ++index[d] == shape[d]; d--) {
                index[d] = 0;
            }
        }
        return out;
    }
}
