package dev.qkv.backend.cuda;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Launch arithmetic, without a GPU: every item covered, every block legal. */
class LaunchShapesTest {

    @Test
    void nextPowerOfTwo() {
        assertEquals(1, LaunchShapes.nextPowerOfTwo(0));
        assertEquals(1, LaunchShapes.nextPowerOfTwo(1));
        assertEquals(2, LaunchShapes.nextPowerOfTwo(2));
        assertEquals(4, LaunchShapes.nextPowerOfTwo(3));
        assertEquals(1024, LaunchShapes.nextPowerOfTwo(1000));
        assertEquals(1024, LaunchShapes.nextPowerOfTwo(1024));
    }

    @Test
    void elementwiseGridsCoverNOrCapForTheGridStrideLoop() {
        assertEquals(1, LaunchShapes.elementwise(1).gridX());
        assertEquals(1, LaunchShapes.elementwise(256).gridX());
        assertEquals(2, LaunchShapes.elementwise(257).gridX());
        assertEquals(65535, LaunchShapes.elementwise(Integer.MAX_VALUE).gridX());
        for (int n : new int[] {1, 31, 256, 1000, 1 << 20, 123_456_789}) {
            LaunchShape s = LaunchShapes.elementwise(n).check();
            assertTrue(s.blocks() * s.threadsPerBlock() >= Math.min(n, 65535L * 256), "n=" + n);
        }
    }

    @Test
    void rowKernelsUseWholeWarpsAndCoverEveryRow() {
        for (int cols : new int[] {1, 5, 32, 100, 128, 129, 768, 1024, 4096, 50257}) {
            for (int rows : new int[] {1, 3, 8, 9, 1000, 65537}) {
                LaunchShape s = LaunchShapes.rows(rows, cols).check();
                int g = s.blockX();
                assertTrue(Integer.bitCount(g) == 1 && g >= 32 && g <= 1024, "group " + g);
                assertEquals(0, s.threadsPerBlock() % 32);
                assertTrue((long) s.gridX() * s.blockY() >= rows, "rows covered");
                assertTrue((long) (s.gridX() - 1) * s.blockY() < rows, "no empty block");
            }
        }
        assertEquals(32, LaunchShapes.rows(10, 5).blockX());         // a warp even for short rows
        assertEquals(256, LaunchShapes.rows(10, 768).blockX());      // ~4 elements per thread
        assertEquals(1024, LaunchShapes.rows(10, 50257).blockX());
    }

    @Test
    void reductionsGiveTinyRowsOneThreadAndLongRowsABlock() {
        LaunchShape one = LaunchShapes.reduce(1000, 1).check();
        assertEquals(1, one.blockX());
        assertEquals(256, one.blockY());
        assertEquals(4, one.gridX());
        LaunchShape small = LaunchShapes.reduce(10, 12).check();      // 4 threads per output
        assertEquals(4, small.blockX());
        assertEquals(64, small.blockY());
        LaunchShape big = LaunchShapes.reduce(3, 1 << 20).check();
        assertEquals(1024, big.blockX());
        assertEquals(1, big.blockY());
        assertEquals(3, big.gridX());
        for (int n = 0; n < 5000; n += 37) {
            LaunchShape s = LaunchShapes.reduce(7, n).check();
            assertEquals(0, s.threadsPerBlock() % 32, "full warps for n=" + n);
        }
    }

    @Test
    void normParameterGradientsUseAtMost1024ChunksCoveringEveryRow() {
        for (int rows : new int[] {0, 1, 63, 64, 65, 8192, 65536, 1 << 20, 10_000_019}) {
            int chunks = LaunchShapes.normChunks(rows);
            int per = LaunchShapes.normRowsPerChunk(rows);
            assertTrue(chunks >= 1 && chunks <= 1024, rows + " rows: " + chunks + " chunks");
            assertTrue((long) chunks * per >= rows);
            LaunchShapes.normParamPartial(rows, 768).check();
        }
    }

    @Test
    void attentionSharedMemoryFitsTheDefaultLimitUpToHeadDim128() {
        // attention.cu: forward (TILE·(D+1) + TILE·Dv + WARPS·D) floats; D = Dv = 128: 36992 bytes.
        assertEquals(4 * (32 * 129 + 32 * 128 + 8 * 128), LaunchShapes.attentionForwardShared(128, 128));
        assertEquals(36992, LaunchShapes.attentionForwardShared(128, 128));
        assertEquals(41216, LaunchShapes.attentionDqShared(128, 128));
        assertEquals(41472, LaunchShapes.attentionDkDvShared(128, 128));
        for (int d = 1; d <= 128; d++) {
            for (int dv : new int[] {1, d, 128}) {
                LaunchShapes.attentionQueryRows(2, 3, 5, LaunchShapes.attentionDqShared(d, dv)).check();
                LaunchShapes.attentionKeyRows(2, 3, 5, LaunchShapes.attentionDkDvShared(d, dv)).check();
            }
        }
        assertTrue(LaunchShapes.attentionSupports(64, 64));
        assertTrue(!LaunchShapes.attentionSupports(256, 64));
        LaunchShape s = LaunchShapes.attentionQueryRows(4, 12, 17, 0);
        assertEquals(3 * 4 * 12, s.gridX());                         // ceil(17 / 8) query tiles per head
        assertEquals(256, s.blockX());
    }

    @Test
    void tiledAttentionSharedMemoryAndWhichDevicesFitIt() {
        // attention.cu, tiled kernels: tiles [64][DP+4] and score tiles [64][68], in floats.
        assertEquals(64, LaunchShapes.attentionTiledDim(1, 64));
        assertEquals(128, LaunchShapes.attentionTiledDim(65, 3));
        assertEquals(4 * (5 * 64 * 68 + 64 * 68), LaunchShapes.attentionTiledForwardShared(64));
        assertEquals(186368, LaunchShapes.attentionTiledForwardShared(128));
        assertEquals(152576, LaunchShapes.attentionTiledDqShared(128));
        assertEquals(170496, LaunchShapes.attentionTiledDkDvShared(128));
        assertEquals(104960, LaunchShapes.attentionTiledDkDvShared(64));
        int hopper = 232448;      // MAX_SHARED_MEMORY_PER_BLOCK_OPTIN, sm_90: 227 KiB
        int a100 = 166912;        // sm_80: 163 KiB
        int ada = 101376;         // sm_86, sm_89: 99 KiB
        for (int dp : new int[] {64, 128}) {
            LaunchShapes.attentionTiles(8 * 12, 1024, LaunchShapes.attentionTiledForwardShared(dp)).check(hopper);
            LaunchShapes.attentionTiles(8 * 12, 1024, LaunchShapes.attentionTiledDkDvShared(dp)).check(hopper);
        }
        LaunchShapes.attentionTiles(8, 65, LaunchShapes.attentionTiledForwardShared(64)).check(a100);
        LaunchShapes.attentionTiles(8, 65, LaunchShapes.attentionTiledDkDvShared(64)).check(a100);
        assertThrows(IllegalArgumentException.class,
                () -> LaunchShapes.attentionTiles(8, 65, LaunchShapes.attentionTiledDkDvShared(128)).check(a100));
        assertThrows(IllegalArgumentException.class,
                () -> LaunchShapes.attentionTiles(8, 65, LaunchShapes.attentionTiledDkDvShared(64)).check(ada));
        LaunchShape s = LaunchShapes.attentionTiles(4 * 12, 129, 0);
        assertEquals(3 * 4 * 12, s.gridX());                         // ceil(129 / 64) tiles per head
        assertEquals(256, s.blockX());
    }

    @Test
    void illegalShapesAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> new LaunchShape(1, 1, 1, 2048, 1, 1, 0).check());
        assertThrows(IllegalArgumentException.class, () -> new LaunchShape(1, 70000, 1, 32, 1, 1, 0).check());
        assertThrows(IllegalArgumentException.class, () -> new LaunchShape(1, 1, 1, 32, 1, 1, 64 * 1024).check());
        assertThrows(IllegalArgumentException.class, () -> new LaunchShape(0, 1, 1, 32, 1, 1, 0).check());
    }
}
