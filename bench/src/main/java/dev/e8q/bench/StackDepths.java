package dev.e8q.bench;

import java.util.Locale;

/**
 * Best-of timing of one call, repeated from 0..n−1 extra stack frames ({@code -De8q.loop.depths=n}, default 1): a
 * kernel whose compiled code spills vectors to the stack can run at two speeds depending on whether those 64-byte
 * slots straddle cache lines, which follows the callers' frames (docs/kernels.md, "Shift tables").
 */
final class StackDepths {
    private StackDepths() {}

    /** Best nanoseconds over all depths and the number of calls made. */
    record Best(long nanos, long calls) {}

    /**
     * At each depth, calls op at least minCalls times and for at least minNanos; prints each depth's best when there
     * is more than one.
     */
    static Best time(Runnable op, int minCalls, long minNanos) {
        int depths = Math.max(1, Integer.getInteger("e8q.loop.depths", 1));
        long best = Long.MAX_VALUE, calls = 0;
        for (int d = 0; d < depths; d++) {
            long bestAtDepth = Long.MAX_VALUE, end = System.nanoTime() + minNanos;
            for (int i = 0; i < minCalls || System.nanoTime() < end; i++) {
                long t = System.nanoTime();
                call(d, op);
                bestAtDepth = Math.min(bestAtDepth, System.nanoTime() - t);
                calls++;
            }
            if (depths > 1) System.out.printf(Locale.ROOT, "  %d frame(s) deeper: best %.1f us%n", d, bestAtDepth / 1e3);
            best = Math.min(best, bestAtDepth);
        }
        return new Best(best, calls);
    }

    // the + 1 keeps the call from being a tail call that a compiler could turn into a jump
    private static int call(int depth, Runnable op) {
        if (depth > 0) return call(depth - 1, op) + 1;
        op.run();
        return 0;
    }
}
