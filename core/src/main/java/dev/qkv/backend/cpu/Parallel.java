package dev.qkv.backend.cpu;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * The CPU backend's threads: the calling thread plus {@code threads - 1} workers, sized to the
 * available cores (override with the system property {@code qkv.threads}). Work is split into
 * contiguous ranges, never by a shared accumulator, so results do not depend on the number of
 * threads.
 *
 * <p>Why not a {@code ForkJoinPool}: a GPT training step runs about 500 parallel regions, most
 * of a millisecond or less, with short serial stretches between them. A parked pool thread took
 * about 145 µs on average to wake on the 2-core VM (74 ms of a 770 ms step at 2 threads,
 * measured per region), and the caller waited for it. Here a worker that has just finished spins
 * for a while watching for the next region before it parks, as OpenMP runtimes and OpenBLAS's
 * threads do, so back-to-back regions start at once. The spin lasts {@code qkv.spinMicros}
 * (default 2000 µs; 0 parks at once): in alternating runs of the GPT step at 2 threads against
 * 200 and 20, 2000 gave the best step in all three rounds and the lowest median in two (within
 * 0.5 % of it in the third). The caller, its own chunk done, spins as long
 * for the workers, then parks.
 *
 * <p>One region runs at a time. A thread that calls while another thread's region runs, or from
 * inside a region, runs its work inline, so callers never wait for each other.
 */
public final class Parallel {
    private static volatile int threads = Math.max(1, Integer.getInteger("qkv.threads",
            Runtime.getRuntime().availableProcessors()));
    private static final long SPIN_NANOS = 1000L * Math.max(0, Integer.getInteger("qkv.spinMicros", 2000));
    private static volatile Pool pool = new Pool(threads - 1);

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
        Pool old = pool;
        threads = n;
        pool = new Pool(n - 1);
        old.shutdown();
    }

    /**
     * Runs body over [0, n) in up to {@link #threads()} chunks of at least {@code grain} indices;
     * runs inline when the work is small, when called from inside a region (a kernel calling a
     * kernel), or while another thread's region occupies the workers.
     */
    public static void forRange(int n, int grain, RangeBody body) {
        int chunks = Math.min(threads, Math.max(1, n / Math.max(grain, 1)));
        Pool p = pool;
        if (chunks <= 1 || Thread.currentThread() instanceof Worker || !p.busy.compareAndSet(false, true)) {
            body.run(0, n);
            return;
        }
        try {
            p.run(new Region(body, n, Math.min(chunks, p.workers.length + 1), Thread.currentThread()));
        } finally {
            p.busy.set(false);
            if (p.retired && p.busy.compareAndSet(false, true)) {
                p.stopWorkers();                         // resized while this region ran
            }
        }
    }

    /** One call's work, published to the workers as a whole (they read it once). */
    private static final class Region {
        final RangeBody body;
        final int n;
        final int chunks;
        final Thread caller;
        final AtomicInteger pending;
        volatile Throwable failure;

        Region(RangeBody body, int n, int chunks, Thread caller) {
            this.body = body;
            this.n = n;
            this.chunks = chunks;
            this.caller = caller;
            this.pending = new AtomicInteger(chunks - 1);
        }

        /** Chunk c: [n·c/chunks, n·(c+1)/chunks). */
        void runChunk(int c) {
            body.run((int) ((long) n * c / chunks), (int) ((long) n * (c + 1) / chunks));
        }
    }

    /** The workers and the region they run; one region at a time (the {@code busy} flag). */
    private static final class Pool {
        /** Set while a region runs; a thread that finds it set runs its work inline. */
        final AtomicBoolean busy = new AtomicBoolean();
        final Worker[] workers;
        /** The latest region; a worker runs its chunk of each new one it sees. */
        volatile Region region;
        /** Replaced by a resize: its workers end as soon as no region runs. */
        volatile boolean retired;
        /** Set once no region can run any more: the workers return. */
        volatile boolean stopped;

        Pool(int workerCount) {
            workers = new Worker[workerCount];
            for (int i = 0; i < workerCount; i++) {
                workers[i] = new Worker(this, i + 1);
                workers[i].start();
            }
        }

        /** Chunk 0 on the calling thread, chunk c on worker c - 1; returns when all are done. */
        void run(Region r) {
            region = r;
            for (int c = 1; c < r.chunks; c++) {
                Worker w = workers[c - 1];
                if (w.parked) {
                    LockSupport.unpark(w);
                }
            }
            Throwable own = null;
            try {
                r.runChunk(0);
            } catch (Throwable t) {
                own = t;
            }
            // Wait for the workers: spin first (chunks are near-equal, so the wait is short), then park.
            long spinUntil = System.nanoTime() + SPIN_NANOS;
            while (r.pending.get() > 0 && System.nanoTime() < spinUntil) {
                Thread.onSpinWait();
            }
            while (r.pending.get() > 0) {
                LockSupport.park(this);
            }
            Throwable t = own != null ? own : r.failure;
            if (t instanceof RuntimeException e) {
                throw e;
            }
            if (t instanceof Error e) {
                throw e;
            }
            if (t != null) {
                throw new IllegalStateException("Parallel.forRange: a chunk failed", t);
            }
        }

        /**
         * Lets the workers end once no region runs (now, or when the running one finishes: a
         * region's body may itself resize the pool); later callers run inline.
         */
        void shutdown() {
            retired = true;
            if (busy.compareAndSet(false, true)) {
                stopWorkers();
            }
        }

        void stopWorkers() {
            stopped = true;
            for (Worker w : workers) {
                LockSupport.unpark(w);
            }
        }
    }

    /** A pool thread: runs chunk {@code chunk} of each region that has more than that many chunks. */
    private static final class Worker extends Thread {
        private final Pool pool;
        private final int chunk;
        volatile boolean parked;

        Worker(Pool pool, int chunk) {
            super("qkv-cpu-" + chunk);
            this.pool = pool;
            this.chunk = chunk;
            setDaemon(true);
        }

        @Override
        public void run() {
            Region seen = null;
            while (true) {
                Region r = pool.region;
                if (r != seen) {
                    seen = r;
                    if (chunk < r.chunks) {
                        try {
                            r.runChunk(chunk);
                        } catch (Throwable t) {
                            r.failure = t;
                        } finally {
                            if (r.pending.decrementAndGet() == 0) {
                                LockSupport.unpark(r.caller);
                            }
                        }
                    }
                } else if (pool.stopped) {
                    return;
                } else {
                    idle(seen);
                }
            }
        }

        /** Spins for a while watching for the next region, then parks until woken. */
        private void idle(Region seen) {
            long spinUntil = System.nanoTime() + SPIN_NANOS;
            for (int i = 0; pool.region == seen && !pool.stopped; i++) {
                if ((i & 63) == 0 && System.nanoTime() > spinUntil) {
                    parked = true;                       // then look again, so that a region
                    if (pool.region == seen && !pool.stopped) {  // published meanwhile is not missed
                        LockSupport.park(this);
                    }
                    parked = false;
                    return;
                }
                Thread.onSpinWait();
            }
        }
    }
}
