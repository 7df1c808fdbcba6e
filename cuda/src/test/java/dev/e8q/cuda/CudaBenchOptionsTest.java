package dev.e8q.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** {@link CudaBench}'s options and exit statuses: one line naming the problem, no stack trace. No GPU needed. */
class CudaBenchOptionsTest {
    private record Result(int status, String out, String err) {}

    private static Result run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        int status = CudaBench.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private static void refused(String expected, String... args) {
        Result r = run(args);
        assertEquals(64, r.status(), String.join(" ", args));
        assertTrue(r.err().startsWith("CudaBench: ") && r.err().contains(expected), String.join(" ", args) + " -> " + r.err());
        assertEquals(1, r.err().strip().lines().count(), "one line: " + r.err());
        assertEquals("", r.out());
    }

    @Test
    void badOptionsAreOneLineAndStatus64() {
        refused("unknown option --nope", "--nope");
        refused("not a number", "--iters", "many");
        refused("--iters must be at least 1, got 0", "--iters", "0");
        refused("--batch needs a value", "--batch");
        refused("--bits takes 2, 3 or 4, got 5", "--bits", "2,5");
        refused("--shapes takes MxN", "--shapes", "4096");
        refused("--shapes must be at least 1, got -8", "--shapes", "-8x16");
    }

    @Test
    void helpPrintsTheUsage() {
        Result r = run("--help");
        assertEquals(0, r.status());
        assertTrue(r.out().startsWith("usage: CudaBench"), r.out());
    }

    @Test
    void withoutAGpuItSaysWhyWithStatus2() {
        assumeFalse(CudaAvailabilityTest.nvidiaDriverPresent(), "skipped: this machine has an NVIDIA driver");
        Result r = run("--shapes", "256x256", "--iters", "1");
        assertEquals(2, r.status(), r.err());
        assertTrue(r.err().startsWith("CudaBench needs a CUDA GPU: "), r.err());
    }
}
