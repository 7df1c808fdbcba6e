package dev.e8q.llama.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.e8q.llama.LlamaConfig;
import dev.e8q.llama.io.CheckpointFormatException;
import dev.e8q.llama.io.HfConfig;
import dev.e8q.llama.testdata.TestData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Instruct models end a turn on ids that generation_config.json lists. */
class StopTokensTest {
    @TempDir
    Path dir;

    private static LlamaConfig config() throws IOException {
        return HfConfig.read(TestData.tinyStories656K().resolve("config.json"));
    }

    @Test
    void eosAndBosOfTheConfiguration() throws IOException {
        assertArrayEquals(new int[] {1, 2}, StopTokens.of(config()));
        assertArrayEquals(new int[] {1, 2}, StopTokens.of(config(), TestData.tinyStories656K()));
        assertArrayEquals(new int[] {1, 2}, StopTokens.of(config(), null));
    }

    @Test
    void everyEosOfGenerationConfigStops() throws IOException {
        Files.writeString(dir.resolve("generation_config.json"), "{\"eos_token_id\": [2, 7, 300]}");
        Files.writeString(dir.resolve("config.json"), "{\"eos_token_id\": 9}");
        assertArrayEquals(new int[] {1, 2, 7, 9, 300}, StopTokens.of(config(), dir));
    }

    @Test
    void anIdOutsideTheVocabularyIsRefused() throws IOException {
        Path g = Files.writeString(dir.resolve("generation_config.json"), "{\"eos_token_id\": [2, 4096]}");
        CheckpointFormatException e = assertThrows(CheckpointFormatException.class, () -> StopTokens.of(config(), dir));
        assertTrue(e.getMessage().contains(g.toString()) && e.getMessage().contains("4096"), e.getMessage());
        Files.writeString(g, "{\"eos_token_id\": ");
        assertTrue(assertThrows(CheckpointFormatException.class, () -> StopTokens.of(config(), dir)).getMessage().contains("malformed JSON"));
        Files.write(g, new byte[] {0, 0, 0, 6, 1, 2}); // bytes Jackson takes for UTF-32 (robustness.md bug 1)
        assertTrue(assertThrows(CheckpointFormatException.class, () -> StopTokens.of(config(), dir)).getMessage().contains(g.toString()));
    }
}
