package dev.e8q.llama.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.e8q.llama.LlamaConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Hugging Face {@code config.json} → {@link LlamaConfig} for the decoder families whose forward pass
 * matches ours: LlamaForCausalLM (Llama 1/2/3, with Llama 3 "llama3" RoPE scaling), MistralForCausalLM
 * (with its {@code sliding_window}) and Qwen2ForCausalLM (q/k/v biases; its optional sliding window, which applies to
 * some layers only, is refused). Anything else is rejected by name rather than run wrong, and so is a Llama with
 * {@code attention_bias}, whose o_proj is biased too.
 */
public final class HfConfig {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Map<String, String> ARCHITECTURES = Map.of(
            "LlamaForCausalLM", "llama",
            "MistralForCausalLM", "mistral",
            "Qwen2ForCausalLM", "qwen2");

    private HfConfig() {}

    public static LlamaConfig read(Path configJson) throws IOException {
        return parse(configJson, readJson(configJson));
    }

    /** The raw JSON object (for fields LlamaConfig does not hold, such as QuIP#'s {@code quip_params}). */
    public static JsonNode readJson(Path configJson) throws IOException {
        JsonNode root;
        byte[] bytes = Files.readAllBytes(configJson);
        try {
            root = JSON.readTree(bytes);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new CheckpointFormatException(configJson, "malformed JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            // e.g. CharConversionException: bytes Jackson took for UTF-32 that are not
            throw new CheckpointFormatException(configJson, "unreadable JSON: " + e.getMessage());
        }
        if (root == null || !root.isObject()) throw new CheckpointFormatException(configJson, "not a JSON object");
        return root;
    }

    /** @param file named in error messages */
    public static LlamaConfig parse(Path file, JsonNode c) throws CheckpointFormatException {
        String arch = architecture(file, c);
        int dim = intField(file, c, "hidden_size");
        int heads = intField(file, c, "num_attention_heads");
        int kvHeads = c.hasNonNull("num_key_value_heads") ? intField(file, c, "num_key_value_heads") : heads;
        int headDim = c.hasNonNull("head_dim") ? intField(file, c, "head_dim") : dim / Math.max(heads, 1);
        String act = c.path("hidden_act").asText("silu");
        if (!act.equals("silu")) throw new CheckpointFormatException(file, "hidden_act '" + act + "' is not supported (only silu)");
        if (c.path("mlp_bias").asBoolean(false)) throw new CheckpointFormatException(file, "mlp_bias=true is not supported");
        // Qwen2 always has q/k/v biases and Mistral none. Hugging Face's Llama with attention_bias has them on o_proj
        // too, which this runtime does not model: refused rather than read with o_proj's bias left out.
        if (arch.equals("llama") && c.path("attention_bias").asBoolean(false)) {
            throw new CheckpointFormatException(file, "attention_bias=true is not supported for Llama (it biases o_proj too)");
        }
        boolean bias = arch.equals("qwen2");
        if ((long) Math.max(heads, kvHeads) * headDim > Integer.MAX_VALUE) {
            throw new CheckpointFormatException(file, "num_attention_heads " + heads + " × head_dim " + headDim + " overflows an int");
        }
        int vocab = intField(file, c, "vocab_size");
        try {
            return new LlamaConfig(arch, dim, intField(file, c, "intermediate_size"), intField(file, c, "num_hidden_layers"),
                    heads, kvHeads, headDim, vocab,
                    c.hasNonNull("max_position_embeddings") ? intField(file, c, "max_position_embeddings") : 2048,
                    positiveFloat(file, c, "rms_norm_eps", 1e-6), positiveFloat(file, c, "rope_theta", 10000.0),
                    ropeScaling(file, c.get("rope_scaling")), false, c.path("tie_word_embeddings").asBoolean(false),
                    bias, tokenId(file, c, "bos_token_id", vocab), tokenId(file, c, "eos_token_id", vocab),
                    slidingWindow(file, c, arch));
        } catch (IllegalArgumentException e) {
            throw new CheckpointFormatException(file, e.getMessage());
        }
    }

    private static String architecture(Path file, JsonNode c) throws CheckpointFormatException {
        JsonNode archs = c.get("architectures");
        if (archs != null && archs.isArray() && !archs.isEmpty()) {
            String a = archs.get(0).asText();
            String ours = ARCHITECTURES.get(a);
            if (ours == null) {
                throw new CheckpointFormatException(file, "unsupported architecture '" + a + "' (supported: "
                        + String.join(", ", new java.util.TreeSet<>(ARCHITECTURES.keySet())) + ")");
            }
            return ours;
        }
        String type = c.path("model_type").asText("");
        if (ARCHITECTURES.containsValue(type)) return type;
        throw new CheckpointFormatException(file, "neither 'architectures' nor a supported 'model_type' (got '" + type + "')");
    }

    private static int intField(Path file, JsonNode c, String key) throws CheckpointFormatException {
        JsonNode n = c.get(key);
        if (n == null || n.isNull()) throw new CheckpointFormatException(file, "missing '" + key + "'");
        if (!n.isIntegralNumber() || !n.canConvertToInt() || n.intValue() <= 0) {
            throw new CheckpointFormatException(file, "'" + key + "' must be a positive integer, got " + n);
        }
        return n.intValue();
    }

    /** Llama 3.1 lists several EOS ids; the first is the canonical one. Absent (or -1) → -1; else inside the vocabulary. */
    private static int tokenId(Path file, JsonNode c, String key, int vocab) throws CheckpointFormatException {
        JsonNode n = c.get(key);
        if (n != null && n.isArray()) n = n.isEmpty() ? null : n.get(0);
        if (n == null || n.isNull()) return -1;
        if (!n.isIntegralNumber() || !n.canConvertToInt() || n.intValue() < -1 || n.intValue() >= vocab) {
            throw new CheckpointFormatException(file, "'" + key + "' " + n + " is not a token id in 0.." + (vocab - 1));
        }
        return n.intValue();
    }

    /** A finite number > 0 (as a float), or {@code absent} when the key is missing or null. */
    private static float positiveFloat(Path file, JsonNode c, String key, double absent) throws CheckpointFormatException {
        JsonNode n = c.get(key);
        if (n == null || n.isNull()) return (float) absent;
        float v = (float) n.asDouble(Double.NaN);
        if (!n.isNumber() || !(v > 0) || !Float.isFinite(v)) {
            throw new CheckpointFormatException(file, "'" + key + "' must be a finite number > 0, got " + n);
        }
        return v;
    }

    /**
     * Mistral's window (null: full attention). Llama has no window in Hugging Face, whatever the file says. Qwen2 uses a
     * window only with {@code use_sliding_window}, and then only from layer {@code max_window_layers} on, which this
     * runtime does not model, so such a file is refused.
     */
    private static int slidingWindow(Path file, JsonNode c, String arch) throws CheckpointFormatException {
        if (arch.equals("qwen2")) {
            if (c.path("use_sliding_window").asBoolean(false)) {
                throw new CheckpointFormatException(file, "use_sliding_window=true is not supported (windowed Qwen2 layers)");
            }
            return 0;
        }
        if (!arch.equals("mistral")) return 0;
        JsonNode n = c.get("sliding_window");
        if (n == null || n.isNull()) return 0;
        if (!n.isIntegralNumber() || !n.canConvertToInt() || n.intValue() <= 0) {
            throw new CheckpointFormatException(file, "'sliding_window' must be null or a positive integer, got " + n);
        }
        return n.intValue();
    }

    private static LlamaConfig.RopeScaling ropeScaling(Path file, JsonNode s) throws CheckpointFormatException {
        if (s == null || s.isNull()) return null;
        String type = s.hasNonNull("rope_type") ? s.get("rope_type").asText() : s.path("type").asText("");
        if (type.equals("default")) return null;
        if (!type.equals("llama3")) {
            throw new CheckpointFormatException(file, "rope_scaling type '" + type + "' is not supported (only llama3)");
        }
        for (String k : new String[] {"factor", "low_freq_factor", "high_freq_factor", "original_max_position_embeddings"}) {
            if (!s.hasNonNull(k)) throw new CheckpointFormatException(file, "rope_scaling of type llama3 lacks '" + k + "'");
        }
        float factor = positiveFloat(file, s, "factor", 1), low = positiveFloat(file, s, "low_freq_factor", 1);
        float high = positiveFloat(file, s, "high_freq_factor", 1);
        JsonNode orig = s.get("original_max_position_embeddings");
        if (!(high > low) || !orig.isIntegralNumber() || !orig.canConvertToInt() || orig.intValue() <= 0) {
            throw new CheckpointFormatException(file, "rope_scaling needs high_freq_factor > low_freq_factor and a positive"
                    + " integer original_max_position_embeddings, got " + s);
        }
        return new LlamaConfig.RopeScaling(factor, low, high, orig.intValue());
    }

    /**
     * The Hugging Face LlamaConfig fields of {@code c} as a JSON object, for writers of HF directories (export, the
     * converter), which add their own keys after these.
     *
     * @param tied       value of {@code tie_word_embeddings} (a writer may untie a head it changed)
     * @param torchDtype value of {@code torch_dtype}, e.g. "float32"
     */
    public static com.fasterxml.jackson.databind.node.ObjectNode toJson(LlamaConfig c, boolean tied, String torchDtype) {
        com.fasterxml.jackson.databind.node.ObjectNode o = new ObjectMapper().createObjectNode();
        // Mistral and Qwen2 keep their names: Hugging Face's Llama has no sliding_window, and its attention_bias would
        // bias o_proj as well as Qwen2's q/k/v.
        boolean mistral = c.architecture().equals("mistral"), qwen2 = c.architecture().equals("qwen2");
        if (c.slidingWindow() > 0 && !mistral) {
            throw new IllegalArgumentException("a sliding window is written only for mistral, not " + c.architecture());
        }
        if (c.attentionBias() != qwen2) {
            throw new IllegalArgumentException("q/k/v biases are written only for qwen2, which always has them; got "
                    + c.architecture() + (c.attentionBias() ? " with" : " without") + " biases");
        }
        o.putArray("architectures").add(mistral ? "MistralForCausalLM" : qwen2 ? "Qwen2ForCausalLM" : "LlamaForCausalLM");
        o.put("model_type", mistral ? "mistral" : qwen2 ? "qwen2" : "llama");
        o.put("hidden_size", c.dim());
        o.put("intermediate_size", c.hiddenDim());
        o.put("num_hidden_layers", c.nLayers());
        o.put("num_attention_heads", c.nHeads());
        o.put("num_key_value_heads", c.nKvHeads());
        o.put("head_dim", c.headDim());
        o.put("vocab_size", c.vocabSize());
        o.put("max_position_embeddings", c.maxSeqLen());
        o.put("rms_norm_eps", c.normEps());
        o.put("rope_theta", c.ropeTheta());
        if (c.ropeScaling() != null) {
            com.fasterxml.jackson.databind.node.ObjectNode s = o.putObject("rope_scaling");
            s.put("rope_type", "llama3");
            s.put("factor", c.ropeScaling().factor());
            s.put("low_freq_factor", c.ropeScaling().lowFreqFactor());
            s.put("high_freq_factor", c.ropeScaling().highFreqFactor());
            s.put("original_max_position_embeddings", c.ropeScaling().originalMaxPositions());
        } else {
            o.putNull("rope_scaling");
        }
        if (mistral) {
            if (c.slidingWindow() > 0) o.put("sliding_window", c.slidingWindow());
            else o.putNull("sliding_window");
        }
        if (qwen2) o.put("use_sliding_window", false);
        o.put("tie_word_embeddings", tied);
        if (!mistral && !qwen2) o.put("attention_bias", false);
        o.put("hidden_act", "silu");
        o.put("bos_token_id", c.bosId());
        o.put("eos_token_id", c.eosId());
        o.put("torch_dtype", torchDtype);
        return o;
    }
}
