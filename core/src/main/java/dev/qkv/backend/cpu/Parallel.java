package dev.qkv.backend.cpu;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;

/**
 * The CPU backend's fixed thread pool, sized to the available cores (override with the system
 * property {@code qkv.threads}). Work is split into contiguous ranges, never by a shared
 * accumulator, so results do not depend on the number of threads.
 */
public final class Parallel {
    private static volatile int threads = Math.max(1, Integer.getInteger("qkv.threads",
            Runtime.getRuntime().availableProcessors()));
    private static volatile ForkJoinPool pool = newPool(threads);

    private Parallel() {
    }

    /** A body that processes indices [start, end). */
    @FunctionalInterface
    public interface RangeBody {
        void run(int start, int end);
    }

    public static int threads() {
        return threads;
    }

    /** Resizes the pool (for benchmarks at a given thread count). */
    public static synchronized void setThreads(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("Parallel.setThreads: need at least 1 thread, got " + n);
        }
        ForkJoinPool old = pool;
        threads = n;
        pool = newPool(n);
        old.shutdown();
    }

    private static ForkJoinPool newPool(int n) {
        return new ForkJoinPool(n, p -> {
            var t = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(p);
            t.setDaemon(true);
            t.setName("qkv-cpu-" + t.getPoolIndex());
            return t;
        }, null, false);
    }

    /**
     * Runs body over [0, n) in up to {@link #threads()} chunks of at least {@code grain} indices;
     * runs inline when the work is small or already on a pool thread.
     */
    public static void forRange(int n, int grain, RangeBody body) {
        int chunks = Math.min(threads, Math.max(1, n / Math.max(grain, 1)));
        // Inside one of our own workers (a kernel calling a kernel), run inline: the pool is busy.
        // Other pools' threads (e.g. a parallel stream's) may still use ours.
        if (chunks <= 1 || (Thread.currentThread() instanceof java.util.concurrent.ForkJoinWorkerThread w
                && w.getPool() == pool)) {
            body.run(0, n);
            return;
        }
        List<ForkJoinTask<?>> tasks = new ArrayList<>(chunks);
        for (int c = 0; c < chunks; c++) {
            int start = (int) ((long) n * c / chunks);
            int end = (int) ((long) n * (c + 1) / chunks);
            tasks.add(ForkJoinTask.adapt(() -> body.run(start, end)));
        }
        ForkJoinPool p = pool;
        for (int c = 1; c < chunks; c++) {
            p.execute(tasks.get(c));
        }
        tasks.get(0).invoke();                         // the caller does the first chunk itself
        for (int c = 1; c < chunks; c++) {
            tasks.get(c).join();
        }
    }
}
