package dev.e8q.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.e8q.llama.testdata.TestData;
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

    private static int[] cacheHits(String stderr) {
        Matcher m = Pattern.compile("\\((\\d+) prompt tokens, (\\d+) from cache").matcher(stderr);
        return m.results().mapToInt(r -> Integer.parseInt(r.group(2))).toArray();
    }

    @Test
    void scriptedTurnsReuseTheCache() {
        CliRun r = CliRun.run("", "chat", "--model", model, "--temperature", "0", "--max-tokens", "20",
                "--message", "Once upon a time, there was a cat.", "--message", "The cat saw a bird.");
        assertEquals(0, r.rc(), r.err());
        int[] hits = cacheHits(r.err());
        assertEquals(2, hits.length, r.err());
        assertEquals(0, hits[0]);
        assertTrue(hits[1] > 8, r.err());
        assertFalse((r.out()).isBlank());
    }

    @Test
    void stdinTurnsWithContinuationResetAndExit() {
        CliRun r = CliRun.run("Ben had a toy car. \\\nIt was red.\n\n/reset\nAnna liked to sing.\n/exit\nnever read\n",
                "chat", "--model", model, "--temperature", "0", "--max-tokens", "12");
        assertEquals(0, r.rc(), r.err());
        String err = r.err();
        assertEquals(2, cacheHits(err).length, err);
        assertTrue(err.contains("(new conversation)"), err);
    }

    @Test
    void aConversationLongerThanTheContextGoesOnAndSaysWhatItDropped() {
        CliRun r = CliRun.run("Lily saw a cat.\nThe cat was big.\nTom had a red ball.\nThe sun was hot.\nMax ran to the park.\n",
                "chat", "--model", model, "--temperature", "0", "--max-tokens", "8", "--context", "40");
        assertEquals(0, r.rc(), r.err());
        assertEquals(5, cacheHits(r.err()).length, r.err());
        assertTrue(r.err().contains("oldest messages to fit the 40-token context)"), r.err());
        assertFalse(r.err().contains("e8q chat:"), r.err());
    }

    @Test
    void generateChatPrintsOnlyTheReply() {
        CliRun plain = CliRun.run("", "generate", "--model", model, "--prompt", "Tim went to the park.", "--temperature", "0", "--steps", "15");
        CliRun chat = CliRun.run("", "generate", "--model", model, "--prompt", "Tim went to the park.", "--chat", "--temperature", "0", "--steps", "15");
        assertEquals(0, chat.rc(), chat.err());
        assertTrue((plain.out()).startsWith("Tim went to the park."), plain.out());
        assertFalse((chat.out()).startsWith("Tim went"), chat.out());
    }

    @Test
    void generationConfigSamplingIsTheDefaultAndOptionsWin(@TempDir Path other) throws Exception {
        Path m = TestData.chatModel(other, TestData.STORY_CHAT_TEMPLATE);
        java.nio.file.Files.delete(m.resolve("generation_config.json")); // a copy, never the shared file
        java.nio.file.Files.writeString(m.resolve("generation_config.json"), "{\"eos_token_id\": 2, \"do_sample\": false}");
        String[] base = {"generate", "--model", m.toString(), "--prompt", "Tim went to the park.", "--steps", "20"};
        CliRun byFile = CliRun.run("", base);
        CliRun greedy = CliRun.run("", cat(base, "--temperature", "0"));
        assertEquals(0, byFile.rc(), byFile.err());
        assertEquals(greedy.out(), byFile.out());
        assertTrue(byFile.err().contains("(sampling defaults from") && byFile.err().contains("temperature 0.0"), byFile.err());
        // Asked for explicitly, sampling at temperature 1 with a seed: the same text twice, not the greedy one here.
        CliRun hot = CliRun.run("", cat(base, "--temperature", "1", "--seed", "3"));
        assertEquals(hot.out(), CliRun.run("", cat(base, "--temperature", "1", "--seed", "3")).out());
        assertFalse(hot.out().equals(greedy.out()), hot.out());
    }

    private static String[] cat(String[] a, String... b) {
        String[] r = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }
}
