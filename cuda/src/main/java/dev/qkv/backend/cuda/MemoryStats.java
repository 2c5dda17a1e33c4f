package dev.qkv.backend.cuda;

/**
 * A snapshot of the caching allocator's counters, named like PyTorch's
 * {@code torch.cuda.memory_stats()}.
 *
 * @param allocatedBytes     bytes in blocks handed out and not yet released (rounded to size classes)
 * @param requestedBytes     bytes the live buffers actually asked for
 * @param reservedBytes      bytes obtained from the driver: live blocks plus cached free blocks
 * @param peakAllocatedBytes the highest allocatedBytes since creation or the last reset
 * @param peakReservedBytes  the highest reservedBytes since creation or the last reset
 * @param liveBlocks         blocks handed out and not yet released
 * @param cachedBlocks       free blocks kept for reuse
 * @param driverMallocs      calls to the driver's allocation function
 * @param driverFrees        calls to the driver's free function
 * @param cacheHits          allocations served from the cache
 * @param gcRuns             times the allocator asked the JVM to collect unreachable buffers
 * @param gcThresholdBytes   reserved bytes above which the next miss first asks the JVM to collect
 */
public record MemoryStats(long allocatedBytes, long requestedBytes, long reservedBytes, long peakAllocatedBytes,
                          long peakReservedBytes, int liveBlocks, int cachedBlocks, long driverMallocs,
                          long driverFrees, long cacheHits, long gcRuns, long gcThresholdBytes) {
}
