package dev.qkv.backend;

/**
 * Counter-based dropout for attention weights: whether weight (b, h, i, j) is kept is a pure
 * function of (seed, its linear index), so the fused kernel's backward pass, every device and
 * the unfused teaching path all regenerate the same mask without storing it.
 */
public final class AttentionDropout {
    private AttentionDropout() {
    }

    /** A uniform number in [0, 1) from (seed, index): SplitMix64's finalizer over both. */
    public static double uniform(long seed, long index) {
        long z = seed + (index + 1) * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        z = z ^ (z >>> 31);
        return (z >>> 11) * 0x1.0p-53;
    }

    /** The factor for weight (b, h, i, j): 1/(1−p) if kept, 0 if dropped (1 when p is 0). */
    public static double factor(long seed, double p, int b, int h, int i, int j, int numHeads, int tq, int tk) {
        if (p == 0) {
            return 1.0;
        }
        long index = (((long) b * numHeads + h) * tq + i) * tk + j;
        return uniform(seed, index) < p ? 0.0 : 1.0 / (1.0 - p);
    }
}
