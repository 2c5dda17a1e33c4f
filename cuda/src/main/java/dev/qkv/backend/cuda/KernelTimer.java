package dev.qkv.backend.cuda;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Where a workload's GPU time goes, kernel by kernel: a plain profiler for when no Nsight is at
 * hand. While enabled, the backend waits for the GPU before and after every kernel launch, cuBLAS
 * call and memset, and adds the wall time in between to that kernel's row; the allocator's driver
 * calls and JVM collections get rows too. Waiting after every launch removes the overlap of host
 * and device work, so the total is an upper bound on the GPU time and the per-row split is what
 * it is for. Off by default; {@link CudaBackend#kernelTimer()}.
 */
public final class KernelTimer {
    private final Map<String, long[]> rows = new LinkedHashMap<>();   // name -> {calls, nanos}
    private boolean enabled;

    KernelTimer() {
    }

    public synchronized void enable() {
        enabled = true;
    }

    public synchronized void disable() {
        enabled = false;
    }

    public synchronized boolean enabled() {
        return enabled;
    }

    public synchronized void reset() {
        rows.clear();
    }

    synchronized void add(String name, long nanos) {
        long[] r = rows.computeIfAbsent(name, k -> new long[2]);
        r[0]++;
        r[1] += nanos;
    }

    /** {name -> {calls, nanoseconds}}, a copy. */
    public synchronized Map<String, long[]> rows() {
        Map<String, long[]> copy = new LinkedHashMap<>();
        rows.forEach((k, v) -> copy.put(k, v.clone()));
        return copy;
    }

    /** The rows, slowest first, as a table with each row's share of the total. */
    public synchronized String report() {
        List<Map.Entry<String, long[]>> sorted = new ArrayList<>(rows.entrySet());
        sorted.sort((a, b) -> Long.compare(b.getValue()[1], a.getValue()[1]));
        long total = sorted.stream().mapToLong(e -> e.getValue()[1]).sum();
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%-48s %8s %10s %6s%n", "kernel", "calls", "ms",
                "share"));
        for (Map.Entry<String, long[]> e : sorted) {
            sb.append(String.format(Locale.ROOT, "%-48s %8d %10.3f %5.1f%%%n", e.getKey(), e.getValue()[0],
                    e.getValue()[1] / 1e6, 100.0 * e.getValue()[1] / Math.max(1, total)));
        }
        sb.append(String.format(Locale.ROOT, "%-48s %8s %10.3f%n", "total", "", total / 1e6));
        return sb.toString();
    }
}
