package dev.e8q.llama.generate;

import com.fasterxml.jackson.databind.JsonNode;
import dev.e8q.llama.io.CheckpointFormatException;
import dev.e8q.llama.io.HfConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The sampling a model's makers recommend, from its {@code generation_config.json} (Llama 3 Instruct: temperature 0.6,
 * top-p 0.9; Qwen2 Instruct: 0.7, 0.8, top-k 20, repetition penalty 1.05). As vLLM does, only the fields the file
 * sets count; {@code "do_sample": false} means greedy. Each value is a default: what a user or a request asks for
 * explicitly wins.
 *
 * @param temperature null where the file does not say
 * @param topK        null where the file does not say
 * @param topP        null where the file does not say
 * @param minP        null where the file does not say
 * @param repeat      {@code repetition_penalty}; null where the file does not say
 * @param source      the file, or null for none
 */
public record GenerationDefaults(Float temperature, Integer topK, Float topP, Float minP, Float repeat, Path source) {
    public static final GenerationDefaults NONE = new GenerationDefaults(null, null, null, null, null, null);

    /** {@code dir}'s generation_config.json; {@link #NONE} without a directory or without the file. */
    public static GenerationDefaults read(Path dir) throws IOException {
        if (dir == null || !Files.isDirectory(dir)) return NONE;
        Path f = dir.resolve("generation_config.json");
        if (!Files.isRegularFile(f)) return NONE;
        JsonNode root = HfConfig.readJson(f);
        Float temperature = number(f, root, "temperature", 0, Float.POSITIVE_INFINITY);
        JsonNode sample = root.get("do_sample");
        if (sample != null && sample.isBoolean() && !sample.asBoolean()) temperature = 0f;
        JsonNode k = root.get("top_k");
        Integer topK = null;
        if (k != null && !k.isNull()) {
            if (!k.isIntegralNumber() || !k.canConvertToInt() || k.intValue() < 0)
                throw new CheckpointFormatException(f, "'top_k' " + k + " is not a count of tokens");
            topK = k.intValue();
        }
        Float topP = number(f, root, "top_p", 0, 1);
        if (topP != null && topP == 0) throw new CheckpointFormatException(f, "'top_p' must be greater than 0");
        Float minP = number(f, root, "min_p", 0, 1);
        if (minP != null && minP == 1) throw new CheckpointFormatException(f, "'min_p' must be less than 1");
        Float repeat = number(f, root, "repetition_penalty", 0, Float.POSITIVE_INFINITY);
        if (repeat != null && repeat == 0) throw new CheckpointFormatException(f, "'repetition_penalty' must be greater than 0");
        return new GenerationDefaults(temperature, topK, topP, minP, repeat, f);
    }

    /** A finite number in [min, max], or null where the key is absent. */
    private static Float number(Path f, JsonNode root, String key, float min, float max) throws CheckpointFormatException {
        JsonNode n = root.get(key);
        if (n == null || n.isNull()) return null;
        float v = n.isNumber() ? n.floatValue() : Float.NaN;
        if (!(v >= min && v <= max) || Float.isInfinite(v))
            throw new CheckpointFormatException(f, "'" + key + "' " + n + " is not a finite number in [" + min + ", " + max + "]");
        return v;
    }

    /** Whether the file set anything. */
    public boolean any() {
        return temperature != null || topK != null || topP != null || minP != null || repeat != null;
    }

    /** The sampling settings: each of {@code temperature}, ... that is null takes this file's value, else the fallback. */
    public Sampler.Settings sampling(Float temperature, Integer topK, Float topP, Float minP, Sampler.Settings fallback) {
        return new Sampler.Settings(pick(temperature, this.temperature, fallback.temperature()), pick(topK, this.topK, fallback.topK()),
                pick(topP, this.topP, fallback.topP()), pick(minP, this.minP, fallback.minP()));
    }

    /** The repetition penalty: the one asked for, else this file's, else 1 (off). */
    public float repeat(Float asked) {
        return pick(asked, repeat, 1f);
    }

    /** For a log line: what the file sets. */
    public String describe() {
        StringBuilder sb = new StringBuilder();
        if (temperature != null) sb.append("temperature ").append(temperature).append(", ");
        if (topK != null) sb.append("top-k ").append(topK).append(", ");
        if (topP != null) sb.append("top-p ").append(topP).append(", ");
        if (minP != null) sb.append("min-p ").append(minP).append(", ");
        if (repeat != null) sb.append("repetition penalty ").append(repeat).append(", ");
        return sb.isEmpty() ? "none" : sb.substring(0, sb.length() - 2);
    }

    private static <T> T pick(T asked, T file, T fallback) {
        return asked != null ? asked : file != null ? file : fallback;
    }
}
