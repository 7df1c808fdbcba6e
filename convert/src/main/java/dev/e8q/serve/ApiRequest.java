package dev.e8q.serve;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.e8q.llama.chat.ChatMessage;
import dev.e8q.llama.generate.GenerationDefaults;
import dev.e8q.llama.generate.Penalties;
import dev.e8q.llama.generate.Sampler;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A parsed {@code /v1/chat/completions} or {@code /v1/completions} body: the messages or the prompt, and how to
 * generate. Every field is checked for its type and range, and an error names the field. Besides OpenAI's fields it takes
 * llama.cpp's {@code top_k}, {@code min_p}, {@code repeat_penalty} and {@code repeat_last_n}. Fields that ask for what
 * e8q does not do (several choices, log-probabilities, tools, logit bias, structured output) are refused rather than
 * ignored; fields that change nothing (user, metadata, store, ...) are ignored.
 *
 * @param messages the conversation (chat), or null
 * @param prompt   the text to continue (completion), or null
 */
public record ApiRequest(List<ChatMessage> messages, String prompt, GenerationParams params) {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** OpenAI's legacy completions endpoint generates 16 tokens unless told otherwise. */
    static final int COMPLETION_DEFAULT_MAX_TOKENS = 16;
    static final int MAX_STOPS = 16;
    private static final Sampler.Settings OPENAI_SAMPLING = new Sampler.Settings(1f, 0, 1f, 0f);
    private static final Set<String> TEXT_PART_TYPES = Set.of("text", "input_text");

    /** The body as JSON, which must be an object. */
    static JsonNode parse(byte[] body) {
        JsonNode root;
        try {
            root = JSON.readTree(body);
        } catch (JsonProcessingException e) {
            throw ApiException.invalid("the body is not valid JSON: " + e.getOriginalMessage(), null);
        } catch (java.io.IOException e) {
            throw ApiException.invalid("the body could not be read: " + e.getMessage(), null);
        }
        if (root == null || !root.isObject()) throw ApiException.invalid("the body must be a JSON object", null);
        return root;
    }

    /** @param defaults the model's recommended sampling, for the fields the request leaves out */
    public static ApiRequest chat(byte[] body, GenerationDefaults defaults) {
        JsonNode root = parse(body);
        JsonNode ms = root.get("messages");
        if (ms == null || !ms.isArray() || ms.isEmpty()) throw ApiException.invalid("'messages' must be a non-empty array", "messages");
        List<ChatMessage> messages = new ArrayList<>();
        for (int i = 0; i < ms.size(); i++) messages.add(message(ms.get(i), "messages[" + i + "]"));
        Integer max = optionalInt(root, "max_completion_tokens", 1);
        if (max == null) max = optionalInt(root, "max_tokens", 1);
        if (root.hasNonNull("tools") && !root.get("tools").isEmpty()) throw unsupported("tools");
        JsonNode format = root.get("response_format");
        if (format != null && !format.isNull() && !"text".equals(format.path("type").asText())) throw unsupported("response_format");
        return new ApiRequest(List.copyOf(messages), null, params(root, max, defaults));
    }

    public static ApiRequest completion(byte[] body, GenerationDefaults defaults) {
        JsonNode root = parse(body);
        JsonNode p = root.get("prompt");
        String prompt;
        if (p != null && p.isTextual()) prompt = p.asText();
        else if (p != null && p.isArray() && p.size() == 1 && p.get(0).isTextual()) prompt = p.get(0).asText();
        else throw ApiException.invalid("'prompt' must be a string (or an array of one string)", "prompt");
        if (root.hasNonNull("suffix")) throw unsupported("suffix");
        if (root.path("echo").asBoolean(false)) throw unsupported("echo");
        Integer max = optionalInt(root, "max_tokens", 1);
        return new ApiRequest(null, prompt, params(root, max == null ? COMPLETION_DEFAULT_MAX_TOKENS : max, defaults));
    }

    private static ChatMessage message(JsonNode m, String where) {
        if (m == null || !m.isObject()) throw ApiException.invalid("'" + where + "' must be an object", where);
        JsonNode role = m.get("role");
        if (role == null || !role.isTextual() || role.asText().isEmpty())
            throw ApiException.invalid("'" + where + ".role' must be a non-empty string", where + ".role");
        JsonNode content = m.get("content");
        String text;
        if (content == null || content.isNull()) text = "";
        else if (content.isTextual()) text = content.asText();
        else if (content.isArray()) {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < content.size(); i++) {
                JsonNode part = content.get(i);
                String type = part.path("type").asText();
                if (!TEXT_PART_TYPES.contains(type) || !part.path("text").isTextual())
                    throw ApiException.invalid("'" + where + ".content[" + i + "]': only text parts are supported, got type '" + type + "'",
                            where + ".content");
                sb.append(part.get("text").asText());
            }
            text = sb.toString();
        } else throw ApiException.invalid("'" + where + ".content' must be a string or an array of text parts", where + ".content");
        if (m.hasNonNull("tool_calls") && !m.get("tool_calls").isEmpty()) throw unsupported(where + ".tool_calls");
        return new ChatMessage(role.asText(), text);
    }

    private static GenerationParams params(JsonNode root, Integer maxTokens, GenerationDefaults defaults) {
        Integer n = optionalInt(root, "n", 1);
        if (n != null && n != 1) throw unsupported("n other than 1");
        JsonNode logprobs = root.get("logprobs");
        if (logprobs != null && (logprobs.isBoolean() && logprobs.asBoolean() || logprobs.isIntegralNumber() && logprobs.asLong() > 0))
            throw unsupported("logprobs");
        if (root.hasNonNull("top_logprobs")) throw unsupported("top_logprobs");
        if (root.hasNonNull("logit_bias") && !root.get("logit_bias").isEmpty()) throw unsupported("logit_bias");
        Float temperature = optionalNumber(root, "temperature", 0, 2);
        Float topP = optionalNumber(root, "top_p", 0, 1);
        if (topP != null && topP == 0) throw ApiException.invalid("'top_p' must be greater than 0", "top_p");
        Integer topK = optionalInt(root, "top_k", 0);
        Float minP = optionalNumber(root, "min_p", 0, 1);
        if (minP != null && minP == 1) throw ApiException.invalid("'min_p' must be less than 1", "min_p");
        Float repeat = optionalNumber(root, "repeat_penalty", 0, 10);
        if (repeat != null && repeat == 0) throw ApiException.invalid("'repeat_penalty' must be greater than 0", "repeat_penalty");
        Float presence = optionalNumber(root, "presence_penalty", -2, 2);
        Float frequency = optionalNumber(root, "frequency_penalty", -2, 2);
        Integer lastN = optionalInt(root, "repeat_last_n", 1);
        // Left out: the model's recommendation, else OpenAI's defaults (temperature 1, top-p 1).
        Sampler.Settings sampling = defaults.sampling(temperature, topK, topP, minP, OPENAI_SAMPLING);
        Penalties penalties = new Penalties(defaults.repeat(repeat), presence == null ? 0f : presence, frequency == null ? 0f : frequency,
                lastN == null ? Penalties.DEFAULT_LAST_N : lastN);
        JsonNode seedNode = root.get("seed");
        Long seed = null;
        if (seedNode != null && !seedNode.isNull()) {
            if (!seedNode.isIntegralNumber() || !seedNode.canConvertToLong()) throw ApiException.invalid("'seed' must be an integer", "seed");
            seed = seedNode.asLong();
        }
        boolean stream = bool(root, "stream");
        JsonNode options = root.get("stream_options");
        boolean usage = false;
        if (options != null && !options.isNull()) {
            if (!options.isObject()) throw ApiException.invalid("'stream_options' must be an object", "stream_options");
            if (!stream) throw ApiException.invalid("'stream_options' needs 'stream': true", "stream_options");
            usage = bool(options, "include_usage");
        }
        return new GenerationParams(maxTokens, sampling, penalties, seed, stops(root.get("stop")), stream, usage);
    }

    private static List<String> stops(JsonNode stop) {
        if (stop == null || stop.isNull()) return List.of();
        List<String> out = new ArrayList<>();
        if (stop.isTextual()) out.add(stop.asText());
        else if (stop.isArray()) for (JsonNode s : stop) {
            if (!s.isTextual()) throw ApiException.invalid("'stop' must be a string or an array of strings", "stop");
            out.add(s.asText());
        }
        else throw ApiException.invalid("'stop' must be a string or an array of strings", "stop");
        if (out.size() > MAX_STOPS) throw ApiException.invalid("'stop' holds " + out.size() + " strings; at most " + MAX_STOPS, "stop");
        if (out.stream().anyMatch(String::isEmpty)) throw ApiException.invalid("'stop' strings must not be empty", "stop");
        return out;
    }

    private static Integer optionalInt(JsonNode root, String field, int min) {
        JsonNode v = root.get(field);
        if (v == null || v.isNull()) return null;
        if (!v.isIntegralNumber() || !v.canConvertToInt() || v.asInt() < min)
            throw ApiException.invalid("'" + field + "' must be an integer of at least " + min + ", got " + v, field);
        return v.asInt();
    }

    /** Checked as the float it is used as: 1e-50 is a positive double but a float 0. */
    private static Float optionalNumber(JsonNode root, String field, float min, float max) {
        JsonNode v = root.get(field);
        if (v == null || v.isNull()) return null;
        float f = v.isNumber() ? (float) v.asDouble() : Float.NaN;
        if (!(f >= min && f <= max))
            throw ApiException.invalid("'" + field + "' must be a number from " + min + " to " + max + ", got " + v, field);
        return f;
    }

    private static boolean bool(JsonNode root, String field) {
        JsonNode v = root.get(field);
        if (v == null || v.isNull()) return false;
        if (!v.isBoolean()) throw ApiException.invalid("'" + field + "' must be true or false, got " + v, field);
        return v.asBoolean();
    }

    private static ApiException unsupported(String what) {
        return ApiException.invalid("e8q does not support '" + what + "'", what);
    }
}
