package dev.qkv.backend.cuda;

import java.lang.ref.PhantomReference;
import java.lang.ref.Reference;
import java.lang.ref.ReferenceQueue;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;

/**
 * A caching device-memory allocator in the spirit of PyTorch's: asking the driver for memory
 * (cuMemAlloc) and giving it back (cuMemFree, which also waits for the GPU) are slow, while a
 * training loop asks for the same few sizes over and over. So released blocks are not freed
 * but kept in bins by size and handed out again.
 *
 * <ul>
 *   <li><b>Size classes.</b> Requests are rounded up to a class: multiples of 512 bytes up to
 *   2 KiB, then four classes per power of two (2^k, 1.25·2^k, 1.5·2^k, 1.75·2^k), so at most
 *   25% is wasted and a few dozen classes cover everything a model asks for.</li>
 *   <li><b>Reuse.</b> A request takes a cached block of exactly its class if there is one. Blocks
 *   are never split or merged: simple, and enough for the repetitive sizes of training.</li>
 *   <li><b>Release.</b> A buffer goes back to the cache when its owner is closed, or, since most
 *   tensors are never closed explicitly, when the owner becomes unreachable: each allocation holds
 *   a phantom reference to its owner, and the queue of collected owners is drained on every
 *   allocation (on the allocating thread, so no other thread ever touches the cache's order).</li>
 *   <li><b>Garbage collection.</b> The JVM does not see device memory, so it may not collect dead
 *   tensors before the GPU fills up. When the memory handed out (live blocks, including those of
 *   owners that are dead but not yet collected) would pass a threshold, or the driver is out of
 *   memory, the allocator asks the JVM to collect, drains the queue and tries the cache again; the
 *   threshold then grows to twice the memory still live, but past {@code gcThresholdCap} only to
 *   the live memory plus the initial threshold (so a large model does not let garbage fill the GPU).
 *   With a background collector (what CudaBackend uses) the threshold only starts a collection on
 *   another thread and the allocation goes on with fresh memory: a collection takes about 12 ms
 *   even when concurrent (System.gc waits for the cycle), which stalled a GPT-2 step on an H100
 *   twice per step. The queue is still drained here, on the allocating thread. Only when the
 *   driver is out of memory does an allocation wait for a collection. Cached blocks do not count: counting them
 *   made every allocation after the first collection collect again once the cache was large
 *   (measured on an H100: 9.9 ms per 1024² product instead of 0.06).</li>
 *   <li><b>A full cache.</b> Blocks of sizes no longer asked for stay cached. When a fresh block
 *   would take what is reserved past a soft limit (CudaBackend: 85% of the device), the cached
 *   blocks are freed first, rather than running into the driver's out-of-memory error, whose
 *   remedy (a collection on the allocating thread) is slow.</li>
 *   <li><b>Out of memory.</b> If that is not enough, the cache is emptied (cached blocks freed)
 *   and the driver asked once more (so, as in PyTorch, what the allocator reserves only shrinks
 *   when the device is full, or on {@link #emptyCache()}), then {@link CudaOutOfMemoryException} reports the request and
 *   the counters.</li>
 * </ul>
 *
 * Reusing a block as soon as it is released is safe because all of qkv's kernels, copies and
 * cuBLAS calls for a device run in order on one stream: work queued later cannot start before the
 * work that last used the block has finished.
 */
final class CachingAllocator {

    /** The driver's allocation functions (cuMemAlloc / cuMemFree), or a fake in tests. */
    interface RawAllocator {
        /** A fresh device buffer; throws {@link OutOfDeviceMemory} when the device is full. */
        long malloc(long bytes);

        void free(long address);

        /** Waits until the device has finished all queued work (called before freeing blocks). */
        void synchronize();
    }

    /** Thrown by a {@link RawAllocator} when the device has no room for a request. */
    static final class OutOfDeviceMemory extends RuntimeException {
        OutOfDeviceMemory(String message) {
            super(message);
        }
    }

    /** One block of device memory: its address and its size class. */
    record Block(long address, long size) {
    }

    /**
     * A block handed out to an owner. It is a phantom reference to the owner so that the block
     * comes back when the owner is collected without being released.
     */
    static final class Allocation extends PhantomReference<Object> {
        final Block block;
        final long requested;

        private Allocation(Object owner, ReferenceQueue<Object> queue, Block block, long requested) {
            super(owner, queue);
            this.block = block;
            this.requested = requested;
        }

        long address() {
            return block.address();
        }
    }

    static final long MIN_BLOCK = 512;
    /** Default memory handed out above which the allocator first asks the JVM to collect. */
    static final long DEFAULT_GC_THRESHOLD = 1L << 30;

    private final RawAllocator raw;
    private final Runnable requestGc;
    private final long initialGcThreshold;
    private final long gcThresholdCap;
    /** Reserved bytes above which the cache is emptied before the driver is asked for more. */
    private long reservedSoftLimit = Long.MAX_VALUE;
    /** Runs requestGc off the allocating thread; null: collect synchronously. */
    private final java.util.concurrent.Executor gcExecutor;
    /** A background collection was started and has not been seen to finish. */
    private boolean gcPending;
    private volatile boolean gcFinished;
    private final ReferenceQueue<Object> dead = new ReferenceQueue<>();
    /** Live allocations: keeps the phantom references reachable until they are processed. */
    private final Set<Allocation> live = new HashSet<>();
    private final TreeMap<Long, ArrayDeque<Block>> cache = new TreeMap<>();

    private long gcThreshold;
    private long allocated;
    private long requested;
    private long reserved;
    private long peakAllocated;
    private long peakReserved;
    private int cachedBlocks;
    private long mallocs;
    private long frees;
    private long hits;
    private long gcRuns;

    /**
     * @param raw         the driver's allocator
     * @param gcThreshold bytes handed out above which a JVM collection is tried before growing further
     * @param requestGc   asks the JVM to collect (System::gc; a fake in tests)
     */
    CachingAllocator(RawAllocator raw, long gcThreshold, Runnable requestGc) {
        this(raw, gcThreshold, Long.MAX_VALUE, requestGc);
    }

    /**
     * @param gcThresholdCap above this, the threshold grows only to live memory + {@code gcThreshold}
     *                       instead of twice the live memory (CudaBackend: half the device)
     */
    CachingAllocator(RawAllocator raw, long gcThreshold, long gcThresholdCap, Runnable requestGc) {
        this(raw, gcThreshold, gcThresholdCap, requestGc, null);
    }

    /** @param gcExecutor runs the threshold's collections in the background; null: on the allocating thread */
    CachingAllocator(RawAllocator raw, long gcThreshold, long gcThresholdCap, Runnable requestGc,
                     java.util.concurrent.Executor gcExecutor) {
        this.gcExecutor = gcExecutor;
        this.gcThresholdCap = gcThresholdCap;
        this.raw = raw;
        this.initialGcThreshold = gcThreshold;
        this.gcThreshold = gcThreshold;
        this.requestGc = requestGc;
    }

    /** Sets the reserved total above which cached blocks are freed before new ones are made. */
    synchronized void setReservedSoftLimit(long bytes) {
        reservedSoftLimit = bytes;
    }

    /**
     * The size class of a request: 512-byte steps up to 2 KiB, above that a quarter of the
     * request's highest power of two, so a block is at most 25% larger than asked for.
     */
    static long roundSize(long bytes) {
        if (bytes <= MIN_BLOCK) {
            return MIN_BLOCK;
        }
        long step = Math.max(MIN_BLOCK, Long.highestOneBit(bytes) / 4);
        return (bytes + step - 1) / step * step;
    }

    /** A block of at least {@code bytes} for {@code owner}; 0 bytes gives address 0. */
    synchronized Allocation allocate(Object owner, long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("negative allocation: " + bytes);
        }
        if (bytes == 0) {
            return new Allocation(owner, null, new Block(0, 0), 0);   // nothing to track
        }
        drainDead();
        if (gcPending && gcFinished) {
            gcPending = false;                              // the background collection is done:
            updateThreshold();                              // what it freed has been drained above
        }
        long size = roundSize(bytes);
        Block b = takeCached(size);
        if (b == null && allocated + size > gcThreshold && !gcPending) {
            if (gcExecutor != null) {
                gcPending = true;                           // collect elsewhere; go on with fresh memory
                gcFinished = false;
                gcRuns++;
                gcExecutor.execute(() -> {
                    try {
                        requestGc.run();
                    } finally {
                        gcFinished = true;
                    }
                });
            } else {
                collect();                                  // dead owners give their blocks back
                b = takeCached(size);
            }
        }
        if (b == null && reserved + size > reservedSoftLimit && cachedBlocks > 0) {
            emptyCache();                                   // unused sizes go back before the device fills up
        }
        if (b == null) {
            b = mallocWithRetries(size, bytes);
        } else {
            hits++;
        }
        Allocation a = new Allocation(owner, dead, b, bytes);
        live.add(a);
        allocated += size;
        requested += bytes;
        peakAllocated = Math.max(peakAllocated, allocated);
        return a;
    }

    private Block mallocWithRetries(long size, long bytes) {
        try {
            return malloc(size);
        } catch (OutOfDeviceMemory first) {
            collect();                                      // dead tensors the JVM has not collected yet
            Block b = takeCached(size);
            if (b != null) {
                hits++;
                return b;
            }
            emptyCache();                                   // cached blocks of other sizes
            try {
                return malloc(size);
            } catch (OutOfDeviceMemory second) {
                throw new CudaOutOfMemoryException(String.format(
                        "CUDA out of memory: tried to allocate %s (%d bytes asked); %s allocated by qkv in %d "
                                + "buffers, %s reserved, peak %s. Driver: %s",
                        mib(size), bytes, mib(allocated), live.size(), mib(reserved), mib(peakAllocated),
                        second.getMessage()));
            }
        }
    }

    private static String mib(long bytes) {
        return String.format("%.2f MiB", bytes / (1024.0 * 1024.0));
    }

    private Block malloc(long size) {
        long address = raw.malloc(size);
        mallocs++;
        reserved += size;
        peakReserved = Math.max(peakReserved, reserved);
        return new Block(address, size);
    }

    private Block takeCached(long size) {
        ArrayDeque<Block> bin = cache.get(size);
        if (bin == null || bin.isEmpty()) {
            return null;
        }
        cachedBlocks--;
        return bin.pop();
    }

    /** Gives a block back to the cache; a second release of the same allocation does nothing. */
    synchronized void release(Allocation a) {
        if (a.block.size() == 0 || !live.remove(a)) {
            return;
        }
        a.clear();
        returnToCache(a);
    }

    private void returnToCache(Allocation a) {
        allocated -= a.block.size();
        requested -= a.requested;
        cache.computeIfAbsent(a.block.size(), s -> new ArrayDeque<>()).push(a.block);
        cachedBlocks++;
    }

    /** Returns the blocks of owners the JVM has collected. */
    synchronized void drainDead() {
        for (Reference<?> r; (r = dead.poll()) != null; ) {
            Allocation a = (Allocation) r;
            if (live.remove(a)) {
                returnToCache(a);
            }
        }
    }

    /** Asks the JVM to collect, gives reference processing a moment, and drains the queue. */
    private void collect() {
        gcRuns++;
        requestGc.run();
        for (int i = 0; i < 5; i++) {
            Reference<?> r;
            try {
                r = dead.remove(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            if (r == null) {
                break;
            }
            Allocation a = (Allocation) r;
            if (live.remove(a)) {
                returnToCache(a);
            }
        }
        drainDead();
        updateThreshold();
    }

    private void updateThreshold() {
        long doubled = 2 * allocated;
        gcThreshold = Math.max(initialGcThreshold,
                doubled <= gcThresholdCap ? doubled : Math.max(gcThresholdCap, allocated + initialGcThreshold));
    }

    /** Frees every cached block (like torch.cuda.empty_cache()); live buffers are untouched. */
    synchronized void emptyCache() {
        drainDead();
        if (cachedBlocks == 0) {
            return;
        }
        raw.synchronize();                                  // no queued kernel may still use a block
        List<Block> blocks = new ArrayList<>();
        cache.values().forEach(blocks::addAll);
        cache.clear();
        cachedBlocks = 0;
        for (Block b : blocks) {
            raw.free(b.address());
            frees++;
            reserved -= b.size();
        }
    }

    synchronized MemoryStats stats() {
        return new MemoryStats(allocated, requested, reserved, peakAllocated, peakReserved, live.size(),
                cachedBlocks, mallocs, frees, hits, gcRuns, gcThreshold);
    }

    synchronized void resetPeakStats() {
        peakAllocated = allocated;
        peakReserved = reserved;
    }

    /** Frees everything, live blocks included (the backend is closing). */
    synchronized void releaseAll() {
        for (Allocation a : live) {
            a.clear();
            returnToCache(a);
        }
        live.clear();
        emptyCache();
    }
}
