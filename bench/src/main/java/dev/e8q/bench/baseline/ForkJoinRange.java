package dev.e8q.bench.baseline;

import dev.e8q.codec.Parallel;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.RecursiveAction;

/**
 * The range splitter e8q used before its own pool (kept as the baseline of {@code ParallelBench}): a
 * ForkJoinPool of {@code threads} workers, the caller blocked in {@code invoke}, chunks split recursively.
 */
public final class ForkJoinRange {
    private final ForkJoinPool pool;
    private final int threads;

    public ForkJoinRange(int threads) {
        this.threads = threads;
        this.pool = new ForkJoinPool(threads);
    }

    public void forRange(int n, int grain, Parallel.RangeBody body) {
        int g = Math.max(1, grain);
        if (threads == 1 || n <= g) {
            body.run(0, n);
            return;
        }
        int chunks = Math.min((n + g - 1) / g, threads * 4);
        int step = (n + chunks - 1) / chunks;
        pool.invoke(new Chunk(body, 0, n, step));
    }

    public void close() {
        pool.shutdown();
    }

    private static final class Chunk extends RecursiveAction {
        private final Parallel.RangeBody body;
        private final int from, to, step;

        Chunk(Parallel.RangeBody body, int from, int to, int step) {
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
