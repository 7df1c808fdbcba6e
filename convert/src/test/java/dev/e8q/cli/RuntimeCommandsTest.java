package dev.e8q.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.e8q.llama.testdata.TestData;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** e8q generate / e8q eval end to end on stories260K. */
class RuntimeCommandsTest {
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
        String[] r = run("generate", "--model", TestData.stories260K().toString(), "--prompt", "Zoo",
                "--temperature", "0", "--steps", "30");
        assertTrue(r[0].startsWith("Zoo was a little girl named Lily. She loved to play outside in the park."), r[0]);
        assertTrue(r[1].contains("tok/s"), r[1]);
    }

    @Test
    void evalStoryModePrintsMeanNll() {
        String[] r = run("eval", "--model", TestData.stories260K().toString(), "--text",
                TestData.train().toString(), "--stories", "5");
        assertTrue(r[0].matches("(?s)mean NLL \\d\\.\\d{5} nats/token, perplexity .* over \\d+ tokens \\(5 sequences\\).*"), r[0]);
        assertTrue(r[1].contains("perplexity ["), r[1]);
    }
}
