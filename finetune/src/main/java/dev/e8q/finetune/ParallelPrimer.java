package dev.e8q.finetune;

import dev.e8q.codec.Parallel;
import java.util.concurrent.ForkJoinPool;

/**
 * Works around Parallel.forRange (codec, commit 083b66b): it treats "not inside any ForkJoinPool" as
 * "inside its own pool" while that pool has not been created yet (both sides null), and so runs every
 * call inline. One call made from inside another pool creates the pool; harmless once that is fixed.
 * (Kept in its own class: a lambda of a class still being initialized cannot run on another thread.)
 */
final class ParallelPrimer {
    private static volatile boolean primed;

    private ParallelPrimer() {}

    static void prime() {
        if (primed) return;
        synchronized (ParallelPrimer.class) {
            if (primed) return;
            try {
                ForkJoinPool.commonPool().submit(ParallelPrimer::touch).get();
            } catch (Exception e) {
                // keep whatever Parallel does
            }
            primed = true;
        }
    }

    private static void touch() {
        Parallel.forRange(2, 1, ParallelPrimer::nothing);
    }

    private static void nothing(int from, int to) {}
}
