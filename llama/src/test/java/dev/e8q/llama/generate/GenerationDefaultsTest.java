package dev.e8q.llama.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.e8q.llama.io.CheckpointFormatException;
import dev.e8q.llama.testdata.TestData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GenerationDefaultsTest {
    @TempDir
    Path dir;

    GenerationDefaults read(String json) throws IOException {
        Files.writeString(dir.resolve("generation_config.json"), json);
        return GenerationDefaults.read(dir);
    }

    @Test
    void onlyWhatTheFileSetsCountsAndWhatIsAskedForWins() throws IOException {
        // Qwen2-7B-Instruct's generation_config.json, abridged.
        GenerationDefaults qwen = read("""
                {"bos_token_id": 151643, "do_sample": true, "eos_token_id": [151645, 151643], "pad_token_id": 151643,
                 "repetition_penalty": 1.05, "temperature": 0.7, "top_p": 0.8, "top_k": 20}""");
        Sampler.Settings fallback = new Sampler.Settings(1f, 0, 0.9f, 0f);
        assertEquals(new Sampler.Settings(0.7f, 20, 0.8f, 0f), qwen.sampling(null, null, null, null, fallback));
        assertEquals(new Sampler.Settings(0.2f, 20, 1f, 0.1f), qwen.sampling(0.2f, null, 1f, 0.1f, fallback));
        assertEquals(1.05f, qwen.repeat(null));
        assertEquals(1f, qwen.repeat(1f));
        assertTrue(qwen.describe().contains("temperature 0.7") && qwen.describe().contains("repetition penalty 1.05"), qwen.describe());

        // do_sample false is greedy, whatever temperature the file also names (transformers ignores it then).
        assertEquals(0f, read("{\"do_sample\": false, \"temperature\": 0.6}").temperature());
        // TinyStories-656K's file sets no sampling at all; a directory without the file, or none, gives nothing either.
        GenerationDefaults tiny = GenerationDefaults.read(TestData.tinyStories656K());
        assertFalse(tiny.any());
        assertEquals(fallback, tiny.sampling(null, null, null, null, fallback));
        Files.delete(dir.resolve("generation_config.json"));
        assertEquals(GenerationDefaults.NONE, GenerationDefaults.read(dir));
        assertEquals(GenerationDefaults.NONE, GenerationDefaults.read(null));
        assertNull(GenerationDefaults.NONE.source());
    }

    @Test
    void valuesOutOfRangeNameTheFileAndTheKey() throws IOException {
        for (String[] c : new String[][] {{"{\"temperature\": -1}", "'temperature'"}, {"{\"top_p\": 0}", "'top_p'"},
            {"{\"top_p\": 1.5}", "'top_p'"}, {"{\"top_k\": -3}", "'top_k'"}, {"{\"top_k\": 1.5}", "'top_k'"},
            {"{\"min_p\": 1}", "'min_p'"}, {"{\"repetition_penalty\": 0}", "'repetition_penalty'"},
            {"{\"temperature\": \"hot\"}", "'temperature'"}, {"{\"temperature\": 1e999}", "'temperature'"}, {"[1]", "not a JSON object"}}) {
            CheckpointFormatException e = assertThrows(CheckpointFormatException.class, () -> read(c[0]), c[0]);
            assertTrue(e.getMessage().contains("generation_config.json") && e.getMessage().contains(c[1]), e.getMessage());
        }
    }
}
