package dev.e8q.llama.fuzz;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.e8q.llama.io.CheckpointFormatException;
import dev.e8q.llama.io.HfCheckpoint;
import dev.e8q.llama.io.SafetensorsShards;
import java.nio.file.Path;
import java.util.List;

/**
 * {@link HfCheckpoint}: a dense Hugging Face directory. The input is files separated by
 * {@link SafetensorsShardsFuzzTest#MARKER}: {@code config.json}, then either {@code model.safetensors}
 * (two parts) or {@code model.safetensors.index.json} and its shards (three or more). A checkpoint that opens
 * must have a consistent config and every tensor must read back with as many floats as its shape says.
 */
class HfCheckpointFuzzTest {
    private static final FuzzSupport.Scratch SCRATCH = new FuzzSupport.Scratch("hfckpt");

    @FuzzTest(maxDuration = "10m")
    @DictionaryEntries({SafetensorsShardsFuzzTest.MARKER_DICT, "\"hidden_size\"", "\"num_hidden_layers\"", "\"num_attention_heads\"",
            "\"num_key_value_heads\"", "\"intermediate_size\"", "\"vocab_size\"", "\"tie_word_embeddings\"", "\"architectures\"",
            "\"LlamaForCausalLM\"", "\"weight_map\"", "model-00001.safetensors", "\"dtype\"", "\"shape\"", "\"data_offsets\"",
            "\"F32\"", "\"BF16\"", "\"F16\"", "model.layers.0.", "lm_head.weight", "model.embed_tokens.weight"})
    void fuzz(byte[] data) {
        Path dir = SCRATCH.fresh();
        materialize(dir, data);
        FuzzSupport.run(data.length, () -> load(dir), dir.toString(), CheckpointFormatException.class);
    }

    static void materialize(Path dir, byte[] data) {
        List<byte[]> parts = FuzzSupport.split(data, SafetensorsShardsFuzzTest.MARKER.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
        FuzzSupport.Scratch.write(dir, "config.json", parts.get(0));
        if (parts.size() == 2) {
            FuzzSupport.Scratch.write(dir, SafetensorsShards.SINGLE, parts.get(1));
        } else if (parts.size() > 2) {
            FuzzSupport.Scratch.write(dir, SafetensorsShards.INDEX, parts.get(1));
            for (int i = 2; i < parts.size(); i++) FuzzSupport.Scratch.write(dir, SafetensorsShardsFuzzTest.shardName(i - 1), parts.get(i));
        }
    }

    static void load(Path dir) throws Exception {
        {
            try (HfCheckpoint c = HfCheckpoint.open(dir)) {
                HfConfigFuzzTest.checkConsistent(c.config());
                for (String name : c.names()) {
                    long count = 1;
                    for (long d : c.shape(name)) count = Math.multiplyExact(count, d);
                    float[] v = c.read(name);
                    if (v.length != count) throw new AssertionError(name + ": read " + v.length + ", shape says " + count);
                }
            }
        }
    }
}
