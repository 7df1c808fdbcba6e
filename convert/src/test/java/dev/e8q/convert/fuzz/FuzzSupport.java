package dev.e8q.convert.fuzz;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/** Copy of llama's dev.e8q.llama.fuzz.FuzzSupport (test classes are not shared between modules).
 * The invariant every parser fuzz target checks (docs/robustness.md): an input either loads into a
 * consistent object or is rejected with the parser's documented exception naming the file; anything
 * else (index errors, NegativeArraySize, OutOfMemoryError, StackOverflowError, arithmetic, null pointers,
 * undocumented exception types) is a finding. Each input must also stay within a CPU-time budget
 * (default 1 s, {@code -De8q.fuzz.cpuMs=...}) and a heap budget proportional to its size (a parser that
 * believes a declared length before checking it against the file allocates far more than the file holds).
 */
public final class FuzzSupport {
    /** CPU time one input may take (thread CPU time, so other engineers' load on the machine does not count). */
    public static final long CPU_LIMIT_NS = Long.getLong("e8q.fuzz.cpuMs", 1000) * 1_000_000L;
    /** Heap an input may allocate: a fixed allowance plus this many bytes per input byte. */
    public static final long ALLOC_FIXED = 64L << 20, ALLOC_PER_BYTE = 256;

    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    private FuzzSupport() {}

    /** Code under test. */
    @FunctionalInterface
    public interface Body {
        void run() throws Exception;
    }

    /**
     * Runs {@code body} on an input of {@code inputBytes} bytes. A throwable of one of the {@code allowed}
     * types is an accepted rejection when its message contains {@code mustMention} (the file, typically);
     * anything else fails, as does exceeding the CPU or heap budget.
     */
    @SafeVarargs
    public static void run(long inputBytes, Body body, String mustMention, Class<? extends Throwable>... allowed) {
        String overBudget = attempt(inputBytes, body, mustMention, allowed);
        // One-time costs (class initialization, JIT, instrumentation) can push a first run over budget:
        // an input fails only when a second, warm run is over budget too.
        if (overBudget != null && attempt(inputBytes, body, mustMention, allowed) != null) throw new AssertionError(overBudget);
    }

    /** One run of {@code body}; fails on undocumented exceptions, returns a message when over budget, else null. */
    private static String attempt(long inputBytes, Body body, String mustMention, Class<? extends Throwable>[] allowed) {
        long cpu0 = THREADS.getCurrentThreadCpuTime();
        long alloc0 = THREADS.getCurrentThreadAllocatedBytes();
        try {
            body.run();
        } catch (Throwable t) {
            if (!isAllowed(t, allowed)) {
                throw new AssertionError("undocumented failure " + t.getClass().getName() + " on a " + inputBytes
                        + "-byte input: " + t.getMessage(), t);
            }
            String msg = String.valueOf(t.getMessage());
            if (mustMention != null && !msg.contains(mustMention)) {
                throw new AssertionError("rejection does not name '" + mustMention + "': " + msg, t);
            }
        }
        return budget(inputBytes, cpu0, alloc0);
    }

    private static boolean isAllowed(Throwable t, Class<? extends Throwable>[] allowed) {
        for (Class<? extends Throwable> c : allowed) if (c.isInstance(t)) return true;
        return false;
    }

    private static String budget(long inputBytes, long cpu0, long alloc0) {
        long cpu = THREADS.getCurrentThreadCpuTime() - cpu0;
        long alloc = THREADS.getCurrentThreadAllocatedBytes() - alloc0;
        if (cpu > CPU_LIMIT_NS) {
            return "input of " + inputBytes + " bytes took " + cpu / 1_000_000 + " ms of CPU (limit " + CPU_LIMIT_NS / 1_000_000 + " ms)";
        }
        long allowance = ALLOC_FIXED + ALLOC_PER_BYTE * inputBytes;
        if (alloc > allowance) {
            return "input of " + inputBytes + " bytes allocated " + alloc + " bytes of heap (allowance " + allowance + ")";
        }
        return null;
    }

    /** Splits {@code data} at every occurrence of {@code marker} (multi-file inputs). */
    public static List<byte[]> split(byte[] data, byte[] marker) {
        List<byte[]> parts = new ArrayList<>();
        int start = 0;
        outer:
        for (int i = 0; i + marker.length <= data.length; i++) {
            for (int j = 0; j < marker.length; j++) if (data[i + j] != marker[j]) continue outer;
            parts.add(java.util.Arrays.copyOfRange(data, start, i));
            start = i + marker.length;
            i = start - 1;
        }
        parts.add(java.util.Arrays.copyOfRange(data, start, data.length));
        return parts;
    }

    /** A scratch directory per fuzz target, emptied before each input and deleted when the JVM exits. */
    public static final class Scratch {
        private final Path dir;

        public Scratch(String name) {
            try {
                dir = Files.createTempDirectory("e8q-fuzz-" + name);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            Runtime.getRuntime().addShutdownHook(new Thread(this::clear));
        }

        /**
         * An empty directory. Files are deleted, never truncated in place: truncating a file that some
         * leaked mapping still covers would crash the JVM with SIGBUS instead of reporting the leak.
         */
        public Path fresh() {
            clear();
            try {
                return Files.createDirectories(dir);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        private void clear() {
            if (!Files.exists(dir)) return;
            try (Stream<Path> s = Files.walk(dir)) {
                for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                    if (!p.equals(dir)) Files.deleteIfExists(p);
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        public static Path write(Path dir, String name, byte[] content) {
            try {
                return Files.write(dir.resolve(name), content);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
