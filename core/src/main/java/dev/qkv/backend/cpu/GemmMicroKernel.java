package dev.qkv.backend.cpu;

/**
 * The float32 GEMM micro-kernel ({@link VectorGemm}) on its own, for benchmarks that compare it
 * with the whole product: the gap between the two is what blocking and packing cost.
 *
 * <p>Exposed for {@code bench} only; not part of the library's API.
 */
public final class GemmMicroKernel {
    private GemmMicroKernel() {
    }

    /** Rows of the register tile (the A sliver's width). */
    public static final int MR = VectorGemm.MR;
    /** Columns of the register tile (the B sliver's width). */
    public static final int NR = VectorGemm.NR;

    /**
     * tile[MR×NR] = A sliver · B sliver: ap holds kc steps of MR values from ao, bp kc steps of
     * NR values from bo, as {@link GemmPacking} lays them out.
     *
     * @throws IllegalArgumentException when a sliver or the tile does not fit its array
     */
    public static void run(int kc, float[] ap, int ao, float[] bp, int bo, float[] tile) {
        if (kc < 0 || ao < 0 || bo < 0 || (long) ao + (long) kc * MR > ap.length
                || (long) bo + (long) kc * NR > bp.length || tile.length < MR * NR) {
            throw new IllegalArgumentException("GemmMicroKernel.run: kc " + kc + " needs ap[" + ao + " + " + kc * MR
                    + "] (has " + ap.length + "), bp[" + bo + " + " + kc * NR + "] (has " + bp.length
                    + ") and a tile of " + MR * NR + " (has " + tile.length + ")");
        }
        VectorGemm.microKernel(kc, ap, ao, bp, bo, tile);
    }
}
