package dev.e8q.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

class ParallelTest {
    @Test
    void coversEveryIndexExactlyOnce() {
        for (int n : new int[] {1, 2, 7, 64, 1000, 4097}) {
            AtomicIntegerArray hits = new AtomicIntegerArray(n);
            Parallel.forRange(n, 3, (from, to) -> {
                for (int i = from; i < to; i++) hits.incrementAndGet(i);
            });
            for (int i = 0; i < n; i++) assertEquals(1, hits.get(i), "n=" + n + " index " + i);
        }
    }

    @Test
    void runsChunksOnPoolThreadsConcurrently() throws InterruptedException {
        if (Parallel.threads() < 2) return; // a single-thread configuration has nothing to show
        // Two chunks each wait for the other: this only finishes if they run at the same time.
        CountDownLatch both = new CountDownLatch(2);
        Set<String> threads = ConcurrentHashMap.newKeySet();
        Parallel.forRange(2, 1, (from, to) -> {
            threads.add(Thread.currentThread().getName());
            both.countDown();
            try {
                assertTrue(both.await(20, TimeUnit.SECONDS), "chunks did not run concurrently");
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        });
        assertTrue(threads.size() >= 2, "expected >= 2 threads, saw " + threads);
    }

    @Test
    void nestedCallsRunInline() {
        AtomicIntegerArray hits = new AtomicIntegerArray(100);
        Parallel.forRange(10, 1, (a, b) -> {
            for (int i = a; i < b; i++) {
                int base = i * 10;
                Parallel.forRange(10, 1, (c, d) -> {
                    for (int j = c; j < d; j++) hits.incrementAndGet(base + j);
                });
            }
        });
        for (int i = 0; i < 100; i++) assertEquals(1, hits.get(i));
    }

    @Test
    void anExceptionReachesTheCallerAfterEveryChunkRan() {
        AtomicIntegerArray hits = new AtomicIntegerArray(64);
        IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                () -> Parallel.forRange(64, 1, (from, to) -> {
                    for (int i = from; i < to; i++) hits.incrementAndGet(i);
                    if (from == 0) throw new IllegalStateException("chunk 0");
                }));
        assertEquals("chunk 0", e.getMessage());
        for (int i = 0; i < 64; i++) assertEquals(1, hits.get(i), "index " + i);
        // the pool is usable afterwards
        coversEveryIndexExactlyOnce();
    }

    @Test
    void concurrentCallersFromOtherThreadsAllComplete() throws Exception {
        int callers = 4, n = 5000;
        AtomicIntegerArray hits = new AtomicIntegerArray(callers * n);
        Thread[] ts = new Thread[callers];
        for (int c = 0; c < callers; c++) {
            int base = c * n;
            ts[c] = new Thread(() -> {
                for (int rep = 0; rep < 50; rep++)
                    Parallel.forRange(n, 7, (from, to) -> {
                        for (int i = from; i < to; i++) hits.incrementAndGet(base + i);
                    });
            });
            ts[c].start();
        }
        for (Thread t : ts) t.join(60_000);
        for (int i = 0; i < callers * n; i++) assertEquals(50, hits.get(i), "index " + i);
    }
}
