package dev.e8q.llama.fuzz;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The valid seeds of the llama fuzz targets really load (through the same checks the targets apply), so
 * fuzzing starts from accepted files and the replayed corpus exercises more than the rejection paths.
 */
class FuzzSeedsTest {
    @TempDir
    Path tmp;

    static byte[] seed(String target, String name) throws IOException {
        try (InputStream in = FuzzSeedsTest.class.getResourceAsStream(target + "Inputs/fuzz/" + name)) {
            assertTrue(in != null, target + "/" + name + " missing");
            return in.readAllBytes();
        }
    }

    private Path file(String target, String name) throws IOException {
        return Files.write(tmp.resolve(name), seed(target, name));
    }

    private Path dir(String name) throws IOException {
        return Files.createDirectory(tmp.resolve(name));
    }

    @Test
    void validSeedsLoad() throws Exception {
        for (String s : new String[] {"every_dtype.safetensors", "tinystories656K_shrunk.safetensors", "quip_layer.safetensors"}) {
            Path p = file("SafetensorsFuzzTest", s);
            SafetensorsFuzzTest.load(p, Files.size(p));
        }
        Path d = dir("shards");
        SafetensorsShardsFuzzTest.materialize(d, seed("SafetensorsShardsFuzzTest", "two_shards"));
        SafetensorsShardsFuzzTest.load(d);
        for (String s : new String[] {"tiny_single", "tiny_sharded"}) {
            Path h = dir(s);
            HfCheckpointFuzzTest.materialize(h, seed("HfCheckpointFuzzTest", s));
            HfCheckpointFuzzTest.load(h);
        }
        for (String s : new String[] {"tiny_shared.bin", "tiny_unshared.bin"}) {
            Path p = file("Llama2cCheckpointFuzzTest", s);
            Llama2cCheckpointFuzzTest.load(p, Files.size(p));
        }
        for (String s : new String[] {"tinystories656K.json", "llama3.json", "qwen2.json"}) {
            HfConfigFuzzTest.load(file("HfConfigFuzzTest", s));
        }
        for (String s : new String[] {"tok512.bin", "tok512_first8.bin", "tiny_merges.bin"}) {
            Llama2cTokenizerFuzzTest.load(file("Llama2cTokenizerFuzzTest", s));
        }
        for (String s : new String[] {"tinystories656K_small.json", "sentencepiece.json", "bytelevel.json"}) {
            HfTokenizerFuzzTest.load(file("HfTokenizerFuzzTest", s));
        }
        for (String s : new String[] {"config_llama3", "config_chatml", "config_python-features", "file_llama2", "file_zephyr", "named_templates"}) {
            Path c = dir("chat_" + s);
            List<byte[]> parts = FuzzSupport.split(seed("ChatTemplateFuzzTest", s), "\n--8<--\n".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
            Files.write(c.resolve("tokenizer_config.json"), parts.get(0));
            if (parts.size() > 1) Files.write(c.resolve("chat_template.jinja"), parts.get(1));
            if (ChatTemplateFuzzTest.render(c).orElseThrow().isEmpty()) throw new AssertionError(s + " rendered nothing");
        }
    }
}
