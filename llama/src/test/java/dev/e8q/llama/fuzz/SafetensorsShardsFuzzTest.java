package dev.e8q.llama.fuzz;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.e8q.llama.io.CheckpointFormatException;
import dev.e8q.llama.io.SafetensorsShards;
import dev.e8q.llama.io.TensorInfo;
import java.nio.file.Path;
import java.util.List;

/**
 * {@link SafetensorsShards}: a sharded directory. The input is several files separated by {@link #MARKER}:
 * {@code model.safetensors.index.json}, then the shards {@code model-00001.safetensors},
 * {@code model-00002.safetensors}, ... A directory that opens must resolve every listed tensor to a shard
 * that holds it and reads back.
 */
class SafetensorsShardsFuzzTest {
    static final String MARKER = "\n--8<--\n";
    /** {@link #MARKER} in libFuzzer's dictionary syntax (a raw newline would end the entry). */
    static final String MARKER_DICT = "\\x0A--8<--\\x0A";
    private static final FuzzSupport.Scratch SCRATCH = new FuzzSupport.Scratch("shards");

    @FuzzTest(maxDuration = "10m")
    @DictionaryEntries({MARKER_DICT, "\"weight_map\"", "model-00001.safetensors", "model-00002.safetensors", "\"dtype\"", "\"shape\"",
            "\"data_offsets\"", "\"F32\"", "\"I64\"", "\"__metadata__\""})
    void fuzz(byte[] data) {
        Path dir = SCRATCH.fresh();
        materialize(dir, data);
        FuzzSupport.run(data.length, () -> load(dir), dir.toString(), CheckpointFormatException.class);
    }

    static void materialize(Path dir, byte[] data) {
        List<byte[]> parts = FuzzSupport.split(data, MARKER.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
        FuzzSupport.Scratch.write(dir, SafetensorsShards.INDEX, parts.get(0));
        for (int i = 1; i < parts.size(); i++) FuzzSupport.Scratch.write(dir, shardName(i), parts.get(i));
    }

    static void load(Path dir) throws Exception {
        {
            try (SafetensorsShards s = SafetensorsShards.open(dir)) {
                for (String name : s.names()) {
                    TensorInfo t = s.info(name);
                    if (!s.reader(name).has(name)) throw new AssertionError(name + " resolved to a shard without it");
                    if (!t.name().equals(name)) throw new AssertionError(name + " resolved to " + t.name());
                }
                for (String name : s.names()) {
                    var r = s.reader(name);
                    SafetensorsFuzzTest.check(r.segment(name).byteSize() == r.info(name).byteLength(), name, "segment");
                }
                s.metadata();
            }
        }
    }

    static String shardName(int i) {
        return String.format("model-%05d.safetensors", i);
    }
}
