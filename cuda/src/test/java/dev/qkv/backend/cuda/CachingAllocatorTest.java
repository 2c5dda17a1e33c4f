package dev.qkv.backend.cuda;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The caching allocator's bookkeeping, on a fake raw allocator (no GPU). */
class CachingAllocatorTest {

    /** Counts calls; runs out of memory past {@code capacity} bytes. */
    static final class FakeRaw implements CachingAllocator.RawAllocator {
        long capacity;
        long inUse;
        long next = 4096;
        int mallocs;
        int frees;
        int syncs;
        final List<String> events = new ArrayList<>();
        final java.util.Map<Long, Long> sizes = new java.util.HashMap<>();

        FakeRaw(long capacity) {
            this.capacity = capacity;
        }

        public long malloc(long bytes) {
            if (inUse + bytes > capacity) {
                events.add("oom " + bytes);
                throw new CachingAllocator.OutOfDeviceMemory("fake: " + bytes);
            }
            inUse += bytes;
            mallocs++;
            events.add("malloc " + bytes);
            long a = next;
            next += bytes;
            sizes.put(a, bytes);
            return a;
        }

        public void free(long address) {
            frees++;
            inUse -= sizes.remove(address);
            events.add("free");
        }

        public void synchronize() {
            syncs++;
            events.add("sync");
        }
    }

    private static CachingAllocator allocator(FakeRaw raw, Runnable gc) {
        return new CachingAllocator(raw, Long.MAX_VALUE / 4, gc);
    }

    @Test
    void sizeClassesRoundUpByAtMostAQuarter() {
        assertEquals(512, CachingAllocator.roundSize(1));
        assertEquals(512, CachingAllocator.roundSize(512));
        assertEquals(1024, CachingAllocator.roundSize(513));
        assertEquals(1536, CachingAllocator.roundSize(1025));     // 512-byte steps below 2 KiB
        assertEquals(2048, CachingAllocator.roundSize(2047));
        assertEquals(2560, CachingAllocator.roundSize(2049));      // 2048 + 512 (a quarter of 2048)
        assertEquals(5120, CachingAllocator.roundSize(5000));      // quarter of 4096 = 1024
        assertEquals(1 << 20, CachingAllocator.roundSize(1_000_000));
        assertEquals(1_310_720, CachingAllocator.roundSize((1 << 20) + 1));   // 1.25 MiB
        for (long b = 1; b < 50_000_000; b = b * 3 + 7) {
            long r = CachingAllocator.roundSize(b);
            assertTrue(r >= b && r % 512 == 0, "class of " + b);
            assertTrue(b <= 512 || r <= b * 1.25 + 512, "waste for " + b + ": " + r);
        }
    }

    @Test
    void releasedBlocksAreReusedForTheSameClass() {
        FakeRaw raw = new FakeRaw(1 << 30);
        CachingAllocator a = allocator(raw, () -> { });
        Object o1 = new Object();
        CachingAllocator.Allocation x = a.allocate(o1, 1000);      // class 1024
        assertEquals(1, raw.mallocs);
        a.release(x);
        a.release(x);                                               // a second release does nothing
        CachingAllocator.Allocation y = a.allocate(new Object(), 1024);   // same class: reused
        assertEquals(1, raw.mallocs);
        assertEquals(x.address(), y.address());
        CachingAllocator.Allocation z = a.allocate(new Object(), 1025);   // class 1536: a new block
        assertEquals(2, raw.mallocs);
        assertNotEquals(y.address(), z.address());
        MemoryStats s = a.stats();
        assertEquals(1024 + 1536, s.allocatedBytes());
        assertEquals(1024 + 1025, s.requestedBytes());
        assertEquals(1024 + 1536, s.reservedBytes());
        assertEquals(1, s.cacheHits());
        assertEquals(2, s.liveBlocks());
        assertEquals(0, s.cachedBlocks());
    }

    @Test
    void statsTrackPeaksAndEmptyCacheFreesOnlyCachedBlocksAfterSynchronizing() {
        FakeRaw raw = new FakeRaw(1 << 30);
        CachingAllocator a = allocator(raw, () -> { });
        List<CachingAllocator.Allocation> xs = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            xs.add(a.allocate(new Object(), 4096));
        }
        a.release(xs.get(0));
        a.release(xs.get(1));
        MemoryStats s = a.stats();
        assertEquals(2 * 4096, s.allocatedBytes());
        assertEquals(4 * 4096, s.reservedBytes());
        assertEquals(4 * 4096, s.peakAllocatedBytes());
        assertEquals(2, s.cachedBlocks());
        raw.events.clear();
        a.emptyCache();
        assertEquals(List.of("sync", "free", "free"), raw.events);
        s = a.stats();
        assertEquals(2 * 4096, s.reservedBytes());
        assertEquals(0, s.cachedBlocks());
        assertEquals(4 * 4096, s.peakReservedBytes());
        a.resetPeakStats();
        assertEquals(2 * 4096, a.stats().peakAllocatedBytes());
        a.emptyCache();                                             // nothing cached: no sync, no free
        assertEquals(List.of("sync", "free", "free"), raw.events);
    }

    @Test
    void zeroBytesNeedNoBlock() {
        FakeRaw raw = new FakeRaw(0);
        CachingAllocator a = allocator(raw, () -> { });
        CachingAllocator.Allocation z = a.allocate(new Object(), 0);
        assertEquals(0, z.address());
        a.release(z);
        assertEquals(0, raw.mallocs);
        assertEquals(0, a.stats().liveBlocks());
    }

    @Test
    void outOfMemoryFirstCollectsThenEmptiesTheCacheThenReports() {
        FakeRaw raw = new FakeRaw(8192);
        int[] gcs = {0};
        CachingAllocator a = allocator(raw, () -> gcs[0]++);
        CachingAllocator.Allocation big = a.allocate(new Object(), 4096);
        CachingAllocator.Allocation other = a.allocate(new Object(), 2048);
        a.release(big);                                             // 4096 cached, 2048 live: 6144 reserved
        raw.events.clear();
        CachingAllocator.Allocation c = a.allocate(new Object(), 3000);   // class 3072: no room beside 6144
        assertEquals(1, gcs[0], "asked the JVM to collect first");
        assertEquals(List.of("oom 3072", "sync", "free", "malloc 3072"), raw.events);
        assertEquals(2048 + 3072, a.stats().reservedBytes());
        CudaOutOfMemoryException e = assertThrows(CudaOutOfMemoryException.class,
                () -> a.allocate(new Object(), 1 << 20));
        assertTrue(e.getMessage().startsWith("CUDA out of memory: tried to allocate 1.00 MiB"), e.getMessage());
        assertTrue(e.getMessage().contains("in 2 buffers"), e.getMessage());
        assertEquals(2, a.stats().gcRuns());
        a.release(other);
        a.release(c);
    }

    @Test
    void passingTheGcThresholdAsksTheJvmToCollectBeforeGrowing() {
        FakeRaw raw = new FakeRaw(1 << 30);
        int[] gcs = {0};
        CachingAllocator a = new CachingAllocator(raw, 10_000, () -> gcs[0]++);
        a.allocate(new Object(), 4096);
        a.allocate(new Object(), 4096);
        assertEquals(0, gcs[0]);
        a.allocate(new Object(), 4096);                             // 12288 > 10000
        assertEquals(1, gcs[0]);
        // The threshold is now max(10000, 2 × 8192 live at the collection): 16384 is not above it.
        a.allocate(new Object(), 4096);
        assertEquals(1, gcs[0]);
    }

    @Test
    void cachedBlocksDoNotCountTowardTheThreshold() {
        FakeRaw raw = new FakeRaw(1 << 30);
        int[] gcs = {0};
        CachingAllocator a = new CachingAllocator(raw, 10_000, () -> gcs[0]++);
        a.release(a.allocate(new Object(), 8192));               // cached, unused
        raw.events.clear();
        a.allocate(new Object(), 4096);                          // 4096 handed out: no collection, nothing freed
        assertEquals(List.of("malloc 4096"), raw.events);
        assertEquals(0, gcs[0]);
        assertEquals(8192 + 4096, a.stats().reservedBytes());
    }

    @Test
    void pastTheCapTheThresholdIsLiveMemoryPlusTheInitialOne() {
        FakeRaw raw = new FakeRaw(1 << 30);
        int[] gcs = {0};
        CachingAllocator a = new CachingAllocator(raw, 10_000, 30_000, () -> gcs[0]++);
        a.allocate(new Object(), 8192);
        a.allocate(new Object(), 8192);                           // 16384 > 10000: collect (8192 live)
        assertEquals(16_384, a.stats().gcThresholdBytes());       // 2 × 8192: under the cap
        a.allocate(new Object(), 8192);                           // 24576 > 16384: collect (16384 live)
        assertEquals(30_000, a.stats().gcThresholdBytes());       // 2 × 16384 passes the cap; 16384 + 10000 is less
        a.allocate(new Object(), 8192);                           // 32768 > 30000: collect (24576 live)
        assertEquals(24_576 + 10_000, a.stats().gcThresholdBytes()); // live + initial: never at or below live
        assertEquals(3, gcs[0]);
    }

    @Test
    void aBackgroundCollectorDoesNotStallTheAllocationAndItsResultIsUsedAfterwards() {
        FakeRaw raw = new FakeRaw(1 << 30);
        List<Runnable> started = new ArrayList<>();
        List<CachingAllocator.Allocation> dead = new ArrayList<>();
        CachingAllocator[] holder = new CachingAllocator[1];
        CachingAllocator a = new CachingAllocator(raw, 10_000, Long.MAX_VALUE, () -> {
            dead.forEach(holder[0]::release);           // what the JVM would find dead
            dead.clear();
        }, started::add);                               // an executor that runs only when told
        holder[0] = a;
        dead.add(a.allocate(new Object(), 4096));
        dead.add(a.allocate(new Object(), 4096));
        raw.events.clear();
        a.allocate(new Object(), 4096);                 // 12288 > 10000: a collection starts, fresh memory meanwhile
        assertEquals(1, started.size());
        assertEquals(List.of("malloc 4096"), raw.events);
        a.allocate(new Object(), 4096);                 // still pending: no second collection
        assertEquals(1, started.size());
        started.get(0).run();                           // the collection finishes on "its thread"
        raw.events.clear();
        a.allocate(new Object(), 4096);                 // its two blocks are back: a cache hit
        assertEquals(List.of(), raw.events);
        assertEquals(2 * 8192, a.stats().gcThresholdBytes());   // 2 × what was live when it was seen to finish
        assertEquals(1, a.stats().gcRuns());
    }

    @Test
    void pastTheSoftLimitTheCacheIsEmptiedBeforeTheDriverIsAsked() {
        FakeRaw raw = new FakeRaw(1 << 30);
        int[] gcs = {0};
        CachingAllocator a = new CachingAllocator(raw, 1 << 20, () -> gcs[0]++);
        a.setReservedSoftLimit(20_000);
        a.release(a.allocate(new Object(), 8192));
        a.release(a.allocate(new Object(), 6144));                // 14336 reserved, all cached
        raw.events.clear();
        a.allocate(new Object(), 4096);                           // 18432: under the limit
        assertEquals(List.of("malloc 4096"), raw.events);
        raw.events.clear();
        a.allocate(new Object(), 5120);                           // 23552 > 20000: the cache goes first
        assertEquals(List.of("sync", "free", "free", "malloc 5120"), raw.events);
        assertEquals(4096 + 5120, a.stats().reservedBytes());
        assertEquals(0, gcs[0]);
    }

    @Test
    void aLargeCacheDoesNotMakeEveryAllocationCollect() {
        // A loop that drops each result (a product in a benchmark): owners die but are released
        // only when the "JVM" collects. A large cache of another size must not make every
        // allocation after the first collection collect again (seen on an H100 before the fix).
        FakeRaw raw = new FakeRaw(1 << 30);
        List<CachingAllocator.Allocation> dead = new ArrayList<>();
        CachingAllocator[] holder = new CachingAllocator[1];
        int[] gcs = {0};
        CachingAllocator a = new CachingAllocator(raw, 100_000, () -> {
            gcs[0]++;
            dead.forEach(holder[0]::release);
            dead.clear();
        });
        holder[0] = a;
        for (int i = 0; i < 4; i++) {
            a.release(a.allocate(new Object(), 65_536));          // 256 KiB cached in another class
        }
        for (int i = 0; i < 200; i++) {
            dead.add(a.allocate(new Object(), 4096));
        }
        // 100000 / 4096 = 24 results fit under the threshold between collections: about 9.
        assertTrue(gcs[0] <= 10, gcs[0] + " collections for 200 allocations");
        assertTrue(gcs[0] >= 5, gcs[0] + " collections for 200 allocations");
    }

    @Test
    void blocksOfCollectedOwnersReturnToTheCache() throws InterruptedException {
        FakeRaw raw = new FakeRaw(1 << 30);
        CachingAllocator a = allocator(raw, System::gc);
        allocateAndDrop(a);
        assertEquals(1, a.stats().liveBlocks());
        for (int i = 0; i < 50 && a.stats().liveBlocks() > 0; i++) {
            System.gc();
            Thread.sleep(20);
            a.drainDead();
        }
        assertEquals(0, a.stats().liveBlocks(), "the owner was collected, so its block is back");
        assertEquals(1, a.stats().cachedBlocks());
        a.allocate(new Object(), 100_000);                          // same class: served from the cache
        assertEquals(1, raw.mallocs);
    }

    private static void allocateAndDrop(CachingAllocator a) {
        a.allocate(new Object(), 100_000);
    }

    @Test
    void releaseAllFreesEverything() {
        FakeRaw raw = new FakeRaw(1 << 30);
        CachingAllocator a = allocator(raw, () -> { });
        Object keep = new Object();
        a.allocate(keep, 4096);
        a.release(a.allocate(new Object(), 8192));
        a.releaseAll();
        assertEquals(2, raw.frees);
        assertEquals(0, a.stats().reservedBytes());
        assertEquals(0, a.stats().allocatedBytes());
    }
}
