package dev.e8q.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.e8q.llama.testdata.TestData;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** e8q chat and e8q generate --chat end to end, on TinyStories-656K with a story template. */
class ChatCommandTest {
    @TempDir
    static Path dir;

    static String model;

    @BeforeAll
    static void link() throws Exception {
        model = TestData.chatModel(dir, TestData.STORY_CHAT_TEMPLATE).toString();
    }

    /** rc, stdout, stderr. */
    static Object[] run(String stdin, String... args) {
        PrintStream out = System.out, err = System.err;
        InputStream in = System.in;
        ByteArrayOutputStream o = new ByteArrayOutputStream(), e = new ByteArrayOutputStream();
        int rc;
        try {
            System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
            System.setIn(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
            rc = Main.commandLine().execute(args);
        } finally {
            System.setOut(out);
            System.setErr(err);
            System.setIn(in);
        }
        return new Object[] {rc, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8)};
    }

    private static int[] cacheHits(String stderr) {
        Matcher m = Pattern.compile("\\((\\d+) prompt tokens, (\\d+) from cache").matcher(stderr);
        return m.results().mapToInt(r -> Integer.parseInt(r.group(2))).toArray();
    }

    @Test
    void scriptedTurnsReuseTheCache() {
        Object[] r = run("", "chat", "--model", model, "--temperature", "0", "--max-tokens", "20",
                "--message", "Once upon a time, there was a cat.", "--message", "The cat saw a bird.");
        assertEquals(0, r[0], (String) r[2]);
        int[] hits = cacheHits((String) r[2]);
        assertEquals(2, hits.length, (String) r[2]);
        assertEquals(0, hits[0]);
        assertTrue(hits[1] > 8, (String) r[2]);
        assertFalse(((String) r[1]).isBlank());
    }

    @Test
    void stdinTurnsWithContinuationResetAndExit() {
        Object[] r = run("Ben had a toy car. \\\nIt was red.\n\n/reset\nAnna liked to sing.\n/exit\nnever read\n",
                "chat", "--model", model, "--temperature", "0", "--max-tokens", "12");
        assertEquals(0, r[0], (String) r[2]);
        String err = (String) r[2];
        assertEquals(2, cacheHits(err).length, err);
        assertTrue(err.contains("(new conversation)"), err);
    }

    @Test
    void generateChatPrintsOnlyTheReply() {
        Object[] plain = run("", "generate", "--model", model, "--prompt", "Tim went to the park.", "--temperature", "0", "--steps", "15");
        Object[] chat = run("", "generate", "--model", model, "--prompt", "Tim went to the park.", "--chat", "--temperature", "0", "--steps", "15");
        assertEquals(0, chat[0], (String) chat[2]);
        assertTrue(((String) plain[1]).startsWith("Tim went to the park."), (String) plain[1]);
        assertFalse(((String) chat[1]).startsWith("Tim went"), (String) chat[1]);
    }

    @Test
    void aModelWithoutATemplateAndMisusedOptionsAreInputErrors() {
        Object[] r = run("", "chat", "--model", TestData.stories260K().toString(), "--message", "hi");
        assertEquals(2, r[0]);
        assertTrue(((String) r[2]).contains("has no chat template") && ((String) r[2]).contains("--chat-template"), (String) r[2]);
        r = run("", "generate", "--model", model, "--system", "be brief", "--prompt", "x");
        assertEquals(2, r[0]);
        assertTrue(((String) r[2]).contains("need --chat"), (String) r[2]);
        r = run("", "chat", "--model", model, "--system", "be brief", "--message", "x");
        assertEquals(2, r[0]);
        assertTrue(((String) r[2]).contains("chat template failed: no system role"), (String) r[2]);
    }
}
