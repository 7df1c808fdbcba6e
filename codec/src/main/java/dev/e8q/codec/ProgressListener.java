package dev.e8q.codec;

/**
 * Receives progress of long operations. Library code reports; only the command line draws bars.
 * Implementations must be thread-safe: kernels may report from worker threads.
 */
@FunctionalInterface
public interface ProgressListener {
    ProgressListener NONE = (task, done, total) -> {};

    /** {@code done} of {@code total} units of {@code task} are finished. */
    void update(String task, long done, long total);
}
