package dev.qkv.backend.cuda;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Kernel arguments are packed into the exact bytes of the C parameters. */
class KernelArgsTest {

    private static ByteBuffer le(byte[] b) {
        return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
    }

    @Test
    void scalarsAreLittleEndianOfTheirCSize() {
        KernelArgs a = new KernelArgs().ptr(0x1122334455667788L).i32(-2).f64(0.5).u64(-1L).flag(true);
        assertEquals(List.of(ParamKind.PTR, ParamKind.I32, ParamKind.F64, ParamKind.U64, ParamKind.I32), a.kinds());
        assertEquals(0x1122334455667788L, le(a.value(0)).getLong());
        assertEquals((byte) 0x88, a.value(0)[0]);
        assertEquals(-2, le(a.value(1)).getInt());
        assertEquals(4, a.value(1).length);
        assertEquals(0.5, le(a.value(2)).getDouble());
        assertEquals(-1L, le(a.value(3)).getLong());
        assertEquals(1, le(a.value(4)).getInt());
        assertEquals(0L, le(new KernelArgs().ptr((CudaStorage) null).value(0)).getLong());
    }

    @Test
    void dimsAndStridesStructsMatchCommonCuh() {
        // struct Dims { int rank; int numel; int shape[8]; } and struct Strides { int offset; int stride[8]; }
        KernelArgs a = new KernelArgs().dims(new ViewMerge.Dims(new int[] {3, 5}, 15))
                .strides(new ViewMerge.Strides(7, new int[] {5, 1}));
        byte[] dims = a.value(0);
        assertEquals(40, dims.length);
        int[] d = new int[10];
        le(dims).asIntBuffer().get(d);
        assertArrayEquals(new int[] {2, 15, 3, 5, 0, 0, 0, 0, 0, 0}, d);
        byte[] strides = a.value(1);
        assertEquals(36, strides.length);
        int[] s = new int[9];
        le(strides).asIntBuffer().get(s);
        assertArrayEquals(new int[] {7, 5, 1, 0, 0, 0, 0, 0, 0}, s);
    }

    @Test
    void aLaunchWithTheWrongArgumentsIsRejectedBeforeTheDriver() {
        KernelSpec fill = Kernels.FILL;                             // (ptr, int, Strides, Dims, double)
        KernelArgs wrong = new KernelArgs().ptr(1).i32(5).dims(ViewMerge.dims(new int[] {2}))
                .strides(new ViewMerge.Strides(0, new int[] {1})).f64(0);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> fill.check(wrong));
        assertEquals(true, e.getMessage().startsWith("kernel fill_any takes [PTR, I32, STRIDES, DIMS, F64]"));
    }
}
