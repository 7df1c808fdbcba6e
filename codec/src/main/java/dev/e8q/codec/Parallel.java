package dev.e8q.codec;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The process's one thread pool. Kernels split row ranges over it. The size defaults to the number of
 * cores and can be set with the system property {@code e8q.threads} or {@link #setThreads(int)}.
 *
 * <p>Built for many short calls: token-by-token generation makes one call per linear layer, each a few hundred
 * microseconds of work. The calling thread takes chunks itself, next to {@code threads − 1} workers, and a worker
 * spins for a short while after each call before it parks, so the next call does not wait for a thread to wake up.
 * A ForkJoinPool with a blocked caller lost about 70 µs per call to that wake-up on the 2-vCPU machine
 * (docs/kernels.md, "Thread pool").
 */
public final class Parallel {
    /** How long an idle worker spins before it parks. */
    private static final long SPIN_NS = 200_000;

    private static volatile int threads = Integer.getInteger("e8q.threads", Runtime.getRuntime().availableProcessors());
    private static volatile Pool pool;

    private Parallel() {}

    /** A body run on the half-open range [from, to). */
    @FunctionalInterface
    public interface RangeBody {
        void run(int from, int to);
    }

    public static synchronized void setThreads(int n) {
        if (n < 1) throw new IllegalArgumentException("thread count must be >= 1, got " + n);
        if (pool != null && threads != n) {
            pool.stop();
            pool = null;
        }
        threads = n;
    }

    public static int threads() {
        return threads;
    }

    private static Pool pool() {
        Pool p = pool;
        if (p == null) {
            synchronized (Parallel.class) {
                p = pool;
                if (p == null) {
                    p = new Pool(threads - 1);
                    pool = p;
                }
            }
        }
        return p;
    }

    /**
     * Runs body over [0, n) in chunks of at least {@code grain} items, in parallel when there is more
     * than one chunk and more than one thread. Runs inline (no task overhead) otherwise, when called from inside
     * a running call (nested calls never deadlock), and when another thread's call holds the pool. An exception
     * thrown by the body reaches the caller once every chunk has finished.
     */
    public static void forRange(int n, int grain, RangeBody body) {
        if (n <= 0) return;
        int g = Math.max(1, grain);
        int t = threads;
        if (t == 1 || n <= g) {
            body.run(0, n);
            return;
        }
        Pool p = pool();
        if (Thread.currentThread() instanceof Worker || !p.busy.compareAndSet(false, true)) {
            body.run(0, n);
            return;
        }
        try {
            // About 4 chunks per thread balances uneven rows without drowning in tasks.
            int chunks = Math.min((n + g - 1) / g, t * 4);
            int step = (n + chunks - 1) / chunks;
            chunks = (n + step - 1) / step;
            Job j = new Job(body, n, step, chunks);
            p.publish(j);
            try {
                j.work();
                j.await();
            } finally {
                p.current = null; // the pool must not keep the body (and the arrays it captures) alive
            }
            if (j.error != null) {
                if (j.error instanceof RuntimeException e) throw e;
                if (j.error instanceof Error e) throw e;
                throw new IllegalStateException(j.error);
            }
        } finally {
            p.busy.set(false);
        }
    }

    /** One call: chunks handed out by a counter to the caller and the workers. */
    private static final class Job {
        private static final AtomicLong SEQ = new AtomicLong();
        final long seq = SEQ.incrementAndGet();
        final RangeBody body;
        final int n, step, chunks;
        final AtomicInteger next = new AtomicInteger(), done = new AtomicInteger();
        volatile Throwable error;

        Job(RangeBody body, int n, int step, int chunks) {
            this.body = body;
            this.n = n;
            this.step = step;
            this.chunks = chunks;
        }

        void work() {
            for (int c; (c = next.getAndIncrement()) < chunks; ) {
                try {
                    int from = c * step;
                    body.run(from, Math.min(n, from + step));
                } catch (Throwable e) {
                    if (error == null) error = e;
                } finally {
                    done.incrementAndGet();
                }
            }
        }

        void await() {
            long t0 = System.nanoTime();
            while (done.get() < chunks) {
                if (System.nanoTime() - t0 < SPIN_NS) Thread.onSpinWait();
                else Thread.yield();
            }
        }
    }

    private static final class Pool {
        final AtomicBoolean busy = new AtomicBoolean();
        final Worker[] workers;
        volatile Job current;
        volatile boolean stopped;

        Pool(int n) {
            workers = new Worker[n];
            for (int i = 0; i < n; i++) {
                workers[i] = new Worker(this, "e8q-worker-" + i);
                workers[i].start();
            }
        }

        void publish(Job j) {
            current = j;
            for (Worker w : workers) LockSupport.unpark(w);
        }

        void stop() {
            stopped = true;
            for (Worker w : workers) LockSupport.unpark(w);
        }
    }

    private static final class Worker extends Thread {
        private final Pool pool;

        Worker(Pool pool, String name) {
            super(name);
            this.pool = pool;
            setDaemon(true);
        }

        @Override
        public void run() {
            long seen = 0;
            while (!pool.stopped) {
                Job j = pool.current;
                if (j != null && j.seq != seen) {
                    seen = j.seq;
                    j.work();
                    continue;
                }
                long t0 = System.nanoTime();
                while (!pool.stopped && ((j = pool.current) == null || j.seq == seen)) {
                    if (System.nanoTime() - t0 < SPIN_NS) Thread.onSpinWait();
                    else LockSupport.park(this);
                }
            }
        }
    }
}
