package dev.qkv.io;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HalfFloatsTest {
    private static int bits(float f) {
        return Float.floatToRawIntBits(f);
    }

    @Test
    void f16KnownValues() {
        assertEquals(1.0f, HalfFloats.f16ToFloat((short) 0x3c00));
        assertEquals(-2.0f, HalfFloats.f16ToFloat((short) 0xc000));
        assertEquals(65504f, HalfFloats.f16ToFloat((short) 0x7bff), "largest half");
        assertEquals(0x1p-14f, HalfFloats.f16ToFloat((short) 0x0400), "smallest normal");
        assertEquals(0x1p-24f, HalfFloats.f16ToFloat((short) 0x0001), "smallest subnormal");
        assertEquals(0x3ffp-24f, HalfFloats.f16ToFloat((short) 0x03ff), "largest subnormal");
        assertEquals(bits(-0.0f), bits(HalfFloats.f16ToFloat((short) 0x8000)));
        assertEquals(Float.POSITIVE_INFINITY, HalfFloats.f16ToFloat((short) 0x7c00));
        assertEquals(Float.NEGATIVE_INFINITY, HalfFloats.f16ToFloat((short) 0xfc00));
        assertEquals(0x7fc00000, bits(HalfFloats.f16ToFloat((short) 0x7e00)), "quiet NaN keeps its payload position");
    }

    /** Every one of the 65536 halves, against the JDK's own conversion, bit for bit (NaN payloads too). */
    @Test
    void f16MatchesTheJdkForEveryBitPattern() {
        for (int i = 0; i < 1 << 16; i++) {
            int h = i;
            float ours = HalfFloats.f16ToFloat((short) h);
            float jdk = Float.float16ToFloat((short) h);
            assertEquals(bits(jdk), bits(ours), () -> "half 0x" + Integer.toHexString(h));
            if (!Float.isNaN(ours)) {
                // exact: narrowing back gives the same half
                assertEquals((short) h, Float.floatToFloat16(ours), () -> "round trip of 0x" + Integer.toHexString(h));
            }
        }
    }

    @Test
    void bf16IsTheTopHalfOfAFloat() {
        assertEquals(1.0f, HalfFloats.bf16ToFloat((short) 0x3f80));
        assertEquals(-2.0f, HalfFloats.bf16ToFloat((short) 0xc000));
        assertEquals(0x1p-133f, HalfFloats.bf16ToFloat((short) 0x0001), "smallest subnormal");
        assertEquals(bits(-0.0f), bits(HalfFloats.bf16ToFloat((short) 0x8000)));
        assertEquals(Float.NEGATIVE_INFINITY, HalfFloats.bf16ToFloat((short) 0xff80));
        assertTrue(Float.isNaN(HalfFloats.bf16ToFloat((short) 0x7fc1)));
        for (int h = 0; h < 1 << 16; h++) {
            float f = HalfFloats.bf16ToFloat((short) h);
            assertEquals(h, bits(f) >>> 16, "high half");
            assertEquals(0, bits(f) & 0xffff, "low half is zero");
        }
    }
}
