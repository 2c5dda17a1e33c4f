package dev.qkv.backend.cpu;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The thread pool under the CPU kernels: coverage, failures, nesting, several callers, resizing. */
class ParallelTest {
    private int saved;

    @BeforeEach
    void save() {
        saved = Parallel.threads();
    }

    /** Restores the thread count; on a daemon thread, so that a pool stuck by a bug fails the test instead of hanging the build. */
    @AfterEach
    void restore() throws InterruptedException {
        Thread t = new Thread(() -> Parallel.setThreads(saved));
        t.setDaemon(true);
        t.start();
        t.join(30_000);
        assertTrue(!t.isAlive(), "Parallel.setThreads(" + saved + ") did not return within 30 s");
    }

    /** Each index in [0, n) is visited exactly once, whatever the thread count and grain. */
    private static void assertCoversOnce(int n, int grain) {
        AtomicIntegerArray hits = new AtomicIntegerArray(Math.max(n, 1));
        AtomicInteger calls = new AtomicInteger();
        Parallel.forRange(n, grain, (s, e) -> {
            calls.incrementAndGet();
            assertTrue(0 <= s && s <= e && e <= n, "range [" + s + ", " + e + ") outside [0, " + n + ")");
            for (int i = s; i < e; i++) {
                hits.incrementAndGet(i);
            }
        });
        for (int i = 0; i < n; i++) {
            assertEquals(1, hits.get(i), "index " + i + " of n = " + n + ", grain " + grain + ", threads "
                    + Parallel.threads());
        }
        assertTrue(calls.get() <= Parallel.threads(), "more chunks than threads: " + calls.get());
    }

    @Test
    void everyIndexOnceForAnyThreadCountAndGrain() {
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            for (int t : new int[] {1, 2, 3, 5}) {
                Parallel.setThreads(t);
                for (int n : new int[] {0, 1, 2, 3, 7, 100, 1001}) {
                    for (int grain : new int[] {1, 4, 1000}) {
                        for (int rep = 0; rep < 20; rep++) {             // regions back to back
                            assertCoversOnce(n, grain);
                        }
                    }
                }
            }
        });
    }

    @Test
    void aFailingChunkIsRethrownToTheCallerAndThePoolGoesOn() {
        Parallel.setThreads(3);
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            for (int failing : new int[] {0, 50, 99}) {                  // the caller's chunk, a worker's
                IllegalStateException boom = new IllegalStateException("boom at " + failing);
                IllegalStateException thrown = assertThrows(IllegalStateException.class,
                        () -> Parallel.forRange(100, 1, (s, e) -> {
                            if (s <= failing && failing < e) {
                                throw boom;
                            }
                        }));
                assertSame(boom, thrown);
                assertCoversOnce(100, 1);
            }
        });
    }

    @Test
    void aRegionInsideARegionRunsInline() {
        Parallel.setThreads(2);
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            AtomicIntegerArray hits = new AtomicIntegerArray(40 * 30);
            Parallel.forRange(40, 1, (s, e) -> {
                for (int i = s; i < e; i++) {
                    int row = i;
                    Parallel.forRange(30, 1, (s2, e2) -> {
                        for (int j = s2; j < e2; j++) {
                            hits.incrementAndGet(row * 30 + j);
                        }
                    });
                }
            });
            for (int i = 0; i < hits.length(); i++) {
                assertEquals(1, hits.get(i), "nested index " + i);
            }
        });
    }

    @Test
    void severalCallingThreadsAtOnce() throws Exception {
        Parallel.setThreads(2);
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            List<Thread> callers = new ArrayList<>();
            List<Throwable> errors = new ArrayList<>();
            for (int c = 0; c < 4; c++) {
                Thread t = new Thread(() -> {
                    for (int rep = 0; rep < 300; rep++) {
                        assertCoversOnce(17 + rep % 50, 1);
                    }
                });
                t.setUncaughtExceptionHandler((th, e) -> {
                    synchronized (errors) {
                        errors.add(e);
                    }
                });
                callers.add(t);
                t.start();
            }
            for (Thread t : callers) {
                t.join();
            }
            assertTrue(errors.isEmpty(), "caller failures: " + errors);
        });
    }

    @Test
    void resizingBetweenRegions() {
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            for (int t : new int[] {4, 1, 2, 3, 2}) {
                Parallel.setThreads(t);
                assertEquals(t, Parallel.threads());
                assertCoversOnce(257, 1);
            }
            assertThrows(IllegalArgumentException.class, () -> Parallel.setThreads(0));
        });
    }

    @Test
    void resizingFromInsideARegionDoesNotHang() throws InterruptedException {
        Parallel.setThreads(2);
        AtomicIntegerArray hits = new AtomicIntegerArray(64);
        // On a daemon thread: a pool that waited for its own region to end would spin forever.
        Thread t = new Thread(() -> Parallel.forRange(64, 1, (s, e) -> {
            if (s == 0) {
                Parallel.setThreads(3);                              // the running pool retires
            }
            for (int i = s; i < e; i++) {
                hits.incrementAndGet(i);
            }
        }));
        t.setDaemon(true);
        t.start();
        t.join(30_000);
        assertTrue(!t.isAlive(), "a region that resized the pool did not finish within 30 s");
        for (int i = 0; i < 64; i++) {
            assertEquals(1, hits.get(i), "index " + i);
        }
        assertEquals(3, Parallel.threads());
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> assertCoversOnce(1000, 1));
    }
}
