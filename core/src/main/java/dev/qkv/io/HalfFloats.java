package dev.qkv.io;

/**
 * Widening the two 16-bit float formats of checkpoints to float32. Both conversions are exact:
 * every half and bfloat16 value, including subnormals, ±0 and ±infinity, is a float32 value.
 * NaNs stay NaN with their payload; a signaling half NaN comes out quiet (see below), a
 * bfloat16 one keeps its bits, both exactly as in PyTorch.
 *
 * <pre>
 *   IEEE half (F16):  sign:1  exponent:5 (bias 15)   fraction:10
 *   bfloat16 (BF16):  sign:1  exponent:8 (bias 127)  fraction:7   = the top half of a float32
 *   float32:          sign:1  exponent:8 (bias 127)  fraction:23
 * </pre>
 */
public final class HalfFloats {
    private HalfFloats() {
    }

    /** IEEE 754 binary16 bits (in the low 16 bits of {@code bits}) to float. */
    public static float f16ToFloat(short bits) {
        int sign = (bits >>> 15) & 1;
        int exponent = (bits >>> 10) & 0x1f;
        int fraction = bits & 0x3ff;
        if (exponent == 0) {
            // zero or subnormal: fraction · 2^-24, exact in float (10 bits, well inside its range)
            float magnitude = fraction * 0x1p-24f;
            return sign == 0 ? magnitude : -magnitude;
        }
        if (exponent == 0x1f && fraction == 0) {
            return sign == 0 ? Float.POSITIVE_INFINITY : Float.NEGATIVE_INFINITY;
        }
        if (exponent == 0x1f) {
            // NaN: the payload moves to the top of the float fraction, and the quiet bit (the
            // top fraction bit) is set, as IEEE 754 asks of a conversion between formats. This
            // is what torch's .float() and Java's Float.float16ToFloat give, bit for bit.
            return Float.intBitsToFloat(sign << 31 | 0xff << 23 | (fraction | 0x200) << 13);
        }
        // normal: (1 + fraction/2^10) · 2^(exponent-15); rebias the exponent, widen the fraction
        return Float.intBitsToFloat(sign << 31 | (exponent - 15 + 127) << 23 | fraction << 13);
    }

    /** bfloat16 bits to float: bfloat16 is a float32 with the low 16 fraction bits cut off. */
    public static float bf16ToFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xffff) << 16);
    }
}
