package dev.e8q.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** e8q generate / e8q eval end to end on stories260K. */
class RuntimeCommandsTest {
    static Path data(String rel) {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            Path d = p.resolve("shared").resolve("data");
            if (Files.isDirectory(d) && Files.exists(d.resolve("README.md"))) return d.resolve(rel);
        }
        throw new IllegalStateException("no shared/data above " + Path.of("").toAbsolutePath());
    }

    static String[] run(String... args) {
        PrintStream out = System.out, err = System.err;
        ByteArrayOutputStream o = new ByteArrayOutputStream(), e = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
            int rc = Main.commandLine().execute(args);
            assertEquals(0, rc, e.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
        return new String[] {o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8)};
    }

    @Test
    void generateGreedyStreamsTheReferenceContinuation() {
        String[] r = run("generate", "--model", data("stories260K/stories260K.bin").toString(), "--prompt", "Zoo",
                "--temperature", "0", "--steps", "30");
        assertTrue(r[0].startsWith("Zoo was a little girl named Lily. She loved to play outside in the park."), r[0]);
        assertTrue(r[1].contains("tok/s"), r[1]);
    }

    @Test
    void evalStoryModePrintsMeanNll() {
        String[] r = run("eval", "--model", data("stories260K/stories260K.bin").toString(), "--text",
                data("text/tinystories_train_2MiB.txt").toString(), "--stories", "5");
        assertTrue(r[0].matches("(?s)mean NLL \\d\\.\\d{5} nats/token, perplexity .* over \\d+ tokens \\(5 sequences\\).*"), r[0]);
        assertTrue(r[1].contains("perplexity ["), r[1]);
    }
}
