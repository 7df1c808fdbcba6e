package dev.e8q.codec;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.RecursiveAction;

/**
 * The process's one thread pool. Kernels split row ranges over it. The size defaults to the number of
 * cores and can be set once with the system property {@code e8q.threads} or {@link #setThreads(int)}
 * before first use.
 */
public final class Parallel {
    private static volatile ForkJoinPool pool;
    private static volatile int threads = Integer.getInteger("e8q.threads", Runtime.getRuntime().availableProcessors());

    private Parallel() {}

    /** A body run on the half-open range [from, to). */
    @FunctionalInterface
    public interface RangeBody {
        void run(int from, int to);
    }

    public static synchronized void setThreads(int n) {
        if (n < 1) throw new IllegalArgumentException("thread count must be >= 1, got " + n);
        if (pool != null && threads != n) {
            pool.shutdown();
            pool = null;
        }
        threads = n;
    }

    public static int threads() {
        return threads;
    }

    private static ForkJoinPool pool() {
        ForkJoinPool p = pool;
        if (p == null) {
            synchronized (Parallel.class) {
                p = pool;
                if (p == null) {
                    p = new ForkJoinPool(threads);
                    pool = p;
                }
            }
        }
        return p;
    }

    /**
     * Runs body over [0, n) in chunks of at least {@code grain} items, in parallel when there is more
     * than one chunk and more than one thread. Runs inline (no task overhead) otherwise, and when called
     * from inside the pool, so nested calls never deadlock.
     */
    public static void forRange(int n, int grain, RangeBody body) {
        if (n <= 0) return;
        int g = Math.max(1, grain);
        int t = threads;
        if (t == 1 || n <= g || java.util.concurrent.ForkJoinTask.getPool() == pool()) {
            body.run(0, n);
            return;
        }
        // About 4 chunks per thread balances uneven rows without drowning in tasks.
        int chunks = Math.min((n + g - 1) / g, t * 4);
        int step = (n + chunks - 1) / chunks;
        pool().invoke(new Chunk(body, 0, n, step));
    }

    private static final class Chunk extends RecursiveAction {
        private final RangeBody body;
        private final int from, to, step;

        Chunk(RangeBody body, int from, int to, int step) {
            this.body = body;
            this.from = from;
            this.to = to;
            this.step = step;
        }

        @Override
        protected void compute() {
            if (to - from <= step) {
                body.run(from, to);
                return;
            }
            int mid = from + ((to - from) / step / 2) * step;
            if (mid <= from) mid = from + step;
            invokeAll(new Chunk(body, from, mid, step), new Chunk(body, mid, to, step));
        }
    }
}
