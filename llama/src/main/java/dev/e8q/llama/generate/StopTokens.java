package dev.e8q.llama.generate;

import com.fasterxml.jackson.databind.JsonNode;
import dev.e8q.llama.LlamaConfig;
import dev.e8q.llama.io.CheckpointFormatException;
import dev.e8q.llama.io.HfConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.TreeSet;

/**
 * The tokens that end a generation. Instruct models end a turn with a token of their own (Llama 3's
 * {@code <|eot_id|>}, Qwen2's {@code <|im_end|>}) that they list in {@code generation_config.json}'s
 * {@code eos_token_id}, often beside the base model's EOS; config.json may list several too. llama2.c models start
 * each story with BOS, so BOS ends a generation as well.
 */
public final class StopTokens {
    private StopTokens() {}

    /** EOS and BOS of the configuration. */
    public static int[] of(LlamaConfig c) {
        TreeSet<Integer> ids = new TreeSet<>();
        if (c.eosId() >= 0) ids.add(c.eosId());
        if (c.bosId() >= 0) ids.add(c.bosId());
        return ids.stream().mapToInt(Integer::intValue).toArray();
    }

    /** As {@link #of(LlamaConfig)}, plus every {@code eos_token_id} of {@code dir}'s config.json and generation_config.json. */
    public static int[] of(LlamaConfig c, Path dir) throws IOException {
        TreeSet<Integer> ids = new TreeSet<>();
        for (int id : of(c)) ids.add(id);
        if (dir != null && Files.isDirectory(dir)) {
            for (String name : new String[] {"config.json", "generation_config.json"}) {
                Path f = dir.resolve(name);
                if (Files.isRegularFile(f)) addEos(f, c.vocabSize(), ids);
            }
        }
        return ids.stream().mapToInt(Integer::intValue).toArray();
    }

    private static void addEos(Path f, int vocab, TreeSet<Integer> ids) throws IOException {
        JsonNode root = HfConfig.readJson(f);
        JsonNode n = root.get("eos_token_id");
        if (n == null || n.isNull()) return;
        for (JsonNode id : n.isArray() ? n : java.util.List.of(n)) {
            if (!id.isIntegralNumber() || !id.canConvertToInt() || id.intValue() < 0 || id.intValue() >= vocab) {
                throw new CheckpointFormatException(f, "'eos_token_id' " + id + " is not a token id in 0.." + (vocab - 1));
            }
            ids.add(id.intValue());
        }
    }
}
