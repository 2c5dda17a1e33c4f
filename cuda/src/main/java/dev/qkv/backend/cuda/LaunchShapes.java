package dev.qkv.backend.cuda;

/**
 * The launch arithmetic of every kernel family, as plain functions that tests check without a
 * GPU. The thread layouts they size are described at the top of each .cu file.
 */
final class LaunchShapes {
    /** Threads per block of the one-thread-per-element kernels. */
    static final int ELEMENTWISE_BLOCK = 256;
    /** Grid cap of the grid-stride loops: enough blocks to fill any current GPU many times over. */
    static final int MAX_ELEMENTWISE_BLOCKS = 65535;
    /** Threads per block of the group kernels (rows, reductions); a multiple of the warp size. */
    static final int GROUP_BLOCK = 256;
    /** Attention: warps per block and tile length (WARPS, TILE, MAX_DIM in attention.cu). */
    static final int ATTENTION_WARPS = 8;
    static final int ATTENTION_TILE = 32;
    static final int ATTENTION_MAX_DIM = 128;
    /** Norm parameter gradients: rows summed per chunk, and the most chunks (grid.y). */
    static final int NORM_ROWS_PER_CHUNK = 64;
    static final int NORM_MAX_CHUNKS = 1024;

    private LaunchShapes() {
    }

    static int ceilDiv(long a, long b) {
        return Math.toIntExact((a + b - 1) / b);
    }

    /** The smallest power of two >= n (1 for n <= 1). */
    static int nextPowerOfTwo(int n) {
        return n <= 1 ? 1 : Integer.highestOneBit(n - 1) << 1;
    }

    /** One thread per element, grid-stride: ceil(n / 256) blocks, capped. */
    static LaunchShape elementwise(int n) {
        return LaunchShape.linear(Math.max(1, Math.min(ceilDiv(n, ELEMENTWISE_BLOCK), MAX_ELEMENTWISE_BLOCKS)),
                ELEMENTWISE_BLOCK);
    }

    /**
     * Threads per group for a row (or reduction) of n elements: about four elements per thread, a
     * power of two between {@code min} and 1024.
     */
    static int groupSize(int n, int min) {
        return Math.max(min, Math.min(1024, nextPowerOfTwo(ceilDiv(Math.max(n, 1), 4))));
    }

    /**
     * The row kernels (softmax, norms, cross-entropy): a group of G >= 32 threads per row
     * (blockDim.x = G), 256 / G rows per block (blockDim.y), as many blocks as needed.
     */
    static LaunchShape rows(int rows, int cols) {
        int g = groupSize(cols, 32);
        int perBlock = Math.max(1, GROUP_BLOCK / g);
        return new LaunchShape(ceilDiv(rows, perBlock), 1, 1, g, perBlock, 1, 0);
    }

    /**
     * Reductions of {@code outer} outputs over n elements each: G threads per output (1 for tiny
     * n, up to 1024), 256 / G outputs per block. Blocks always hold a multiple of 32 threads, so
     * every warp is full when the groups shuffle.
     */
    static LaunchShape reduce(int outer, int n) {
        int g = groupSize(n, 1);
        int perBlock = Math.max(1, GROUP_BLOCK / g);
        return new LaunchShape(ceilDiv(outer, perBlock), 1, 1, g, perBlock, 1, 0);
    }

    /** Rows per chunk of the norm parameter-gradient partial sums: 64, more if that gives over 1024 chunks. */
    static int normRowsPerChunk(int rows) {
        return Math.max(NORM_ROWS_PER_CHUNK, ceilDiv(rows, NORM_MAX_CHUNKS));
    }

    static int normChunks(int rows) {
        return Math.max(1, ceilDiv(rows, normRowsPerChunk(rows)));
    }

    /** norm_param_grad_partial: one thread per column, grid = column tiles × row chunks. */
    static LaunchShape normParamPartial(int rows, int cols) {
        return new LaunchShape(ceilDiv(cols, ELEMENTWISE_BLOCK), normChunks(rows), 1, ELEMENTWISE_BLOCK, 1, 1, 0);
    }

    /** column_sum: one thread per column. */
    static LaunchShape columns(int cols) {
        return LaunchShape.linear(ceilDiv(cols, ELEMENTWISE_BLOCK), ELEMENTWISE_BLOCK);
    }

    /** True when the fused attention kernels handle these head dims. */
    static boolean attentionSupports(int headDim, int valueDim) {
        return headDim >= 1 && valueDim >= 1 && headDim <= ATTENTION_MAX_DIM && valueDim <= ATTENTION_MAX_DIM;
    }

    /** Forward: K tile [TILE][D+1], V tile [TILE][Dv], q rows [WARPS][D], in floats. */
    static int attentionForwardShared(int d, int dv) {
        return 4 * (ATTENTION_TILE * (d + 1) + ATTENTION_TILE * dv + ATTENTION_WARPS * d);
    }

    /** dQ: K tile [TILE][D+1], V tile [TILE][Dv+1], q rows [WARPS][D], dO rows [WARPS][Dv]. */
    static int attentionDqShared(int d, int dv) {
        return 4 * (ATTENTION_TILE * (d + 1) + ATTENTION_TILE * (dv + 1) + ATTENTION_WARPS * (d + dv));
    }

    /** dK/dV: q tile [TILE][D+1], dO tile [TILE][Dv+1], k/v rows [WARPS][D + Dv], lse and D [TILE] each. */
    static int attentionDkDvShared(int d, int dv) {
        return 4 * (ATTENTION_TILE * (d + 1) + ATTENTION_TILE * (dv + 1) + ATTENTION_WARPS * (d + dv)
                + 2 * ATTENTION_TILE);
    }

    /** One warp per query row: ceil(Tq / WARPS) blocks for each of the B·H heads, flattened into grid.x. */
    static LaunchShape attentionQueryRows(int batch, int heads, int tq, int sharedBytes) {
        long blocks = (long) ceilDiv(tq, ATTENTION_WARPS) * batch * heads;
        return new LaunchShape(Math.toIntExact(blocks), 1, 1, 32 * ATTENTION_WARPS, 1, 1, sharedBytes);
    }

    /** One warp per key row: ceil(Tk / WARPS) blocks for each of the B·Hkv key/value heads. */
    static LaunchShape attentionKeyRows(int batch, int kvHeads, int tk, int sharedBytes) {
        long blocks = (long) ceilDiv(tk, ATTENTION_WARPS) * batch * kvHeads;
        return new LaunchShape(Math.toIntExact(blocks), 1, 1, 32 * ATTENTION_WARPS, 1, 1, sharedBytes);
    }

    // ---------------------------------------------------------------- tiled attention kernels
    /** Query rows and keys per tile of the tiled kernels (TQ, TK in attention.cu), and their threads per block. */
    static final int ATTENTION_TILED_ROWS = 64;
    static final int ATTENTION_TILED_THREADS = 256;

    /** The padded head dim DP of the tiled kernels: 64 for head and value dims up to 64, else 128. */
    static int attentionTiledDim(int d, int dv) {
        return Math.max(d, dv) <= 64 ? 64 : 128;
    }

    /** Tiled forward: the Q tile and two K and two V tiles [64][DP+4] (double-buffered), the P tile [64][68], in bytes. */
    static int attentionTiledForwardShared(int dp) {
        return 4 * (5 * ATTENTION_TILED_ROWS * (dp + 4) + ATTENTION_TILED_ROWS * (ATTENTION_TILED_ROWS + 4));
    }

    /** Tiled dQ: Q, dO, K, V tiles [64][DP+4] and the dS tile [64][68]. */
    static int attentionTiledDqShared(int dp) {
        return 4 * (4 * ATTENTION_TILED_ROWS * (dp + 4) + ATTENTION_TILED_ROWS * (ATTENTION_TILED_ROWS + 4));
    }

    /** Tiled dK/dV: K, V, Q, dO tiles [64][DP+4], the P and dS tiles [64][68], lse and D [64] each. */
    static int attentionTiledDkDvShared(int dp) {
        return 4 * (4 * ATTENTION_TILED_ROWS * (dp + 4) + 2 * ATTENTION_TILED_ROWS * (ATTENTION_TILED_ROWS + 4)
                + 2 * ATTENTION_TILED_ROWS);
    }

    /** A block per 64 rows (query rows, or keys for dK/dV) of each of {@code heads} heads, flattened into grid.x. */
    static LaunchShape attentionTiles(int heads, int rows, int sharedBytes) {
        long blocks = (long) ceilDiv(rows, ATTENTION_TILED_ROWS) * heads;
        return new LaunchShape(Math.toIntExact(blocks), 1, 1, ATTENTION_TILED_THREADS, 1, 1, sharedBytes);
    }

    /** attention_backward_delta: one warp per row, 8 rows per block. */
    static LaunchShape warpPerRow(int rows) {
        return LaunchShape.linear(ceilDiv(rows, ATTENTION_WARPS), 32 * ATTENTION_WARPS);
    }
}
