package dev.e8q.finetune;

import dev.e8q.codec.Parallel;
import java.util.TreeMap;

/**
 * Loss and gradient over a batch of sequences, parallel over sequences with {@link Parallel#forRange}.
 * Each chunk accumulates into its own gradient buffers; chunks are summed in index order, so the result
 * is deterministic for a given thread count.
 */
final class Batches {
    private Batches() {}

    @FunctionalInterface
    interface SequenceGrad {
        /** Adds sequence i's gradient into g (null: loss only) and returns its summed loss. */
        double run(int i, double[][] g);
    }

    /**
     * Runs {@code fn} for i in [0, n), at most {@code concurrency} sequences at a time, adding gradients
     * into {@code acc} (when non-null). Returns the summed loss.
     */
    static double run(int n, int concurrency, ParamSet set, double[][] acc, SequenceGrad fn) {
        double total = 0;
        int step = Math.max(1, concurrency);
        for (int start = 0; start < n; start += step) {
            int end = Math.min(n, start + step);
            TreeMap<Integer, double[][]> grads = new TreeMap<>();
            TreeMap<Integer, Double> losses = new TreeMap<>();
            int s0 = start;
            Parallel.forRange(end - start, 1, (from, to) -> {
                double[][] g = acc == null ? null : set.newGrads();
                double l = 0;
                for (int i = from; i < to; i++) l += fn.run(s0 + i, g);
                synchronized (grads) {
                    if (g != null) grads.put(from, g);
                    losses.put(from, l);
                }
            });
            for (double l : losses.values()) total += l;
            if (acc != null) for (double[][] g : grads.values()) ParamSet.addInto(acc, g);
        }
        return total;
    }
}
