package dev.e8q.llama.chat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.e8q.llama.io.CheckpointFormatException;
import dev.e8q.llama.io.HfConfig;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Finds the chat template a Hugging Face model directory ships, where {@code transformers} looks for it: a
 * {@code chat_template.jinja} file, else {@code chat_template.json}, else the {@code chat_template} of
 * {@code tokenizer_config.json} (a string, or a list of named templates of which "default" is used).
 */
public final class ChatTemplateFiles {
    /** Larger than any real chat template by far; a bigger file is corrupt or hostile. */
    static final long MAX_FILE_BYTES = 16L << 20;

    private ChatTemplateFiles() {}

    /** The directory's template, or empty when it has none (a base model, a llama2.c file). */
    public static Optional<ChatTemplate> find(Path dir) throws IOException {
        if (dir == null || !Files.isDirectory(dir)) return Optional.empty();
        Map<String, String> special = specialTokens(dir);
        Path jinja = dir.resolve("chat_template.jinja");
        if (Files.isRegularFile(jinja)) return Optional.of(read(jinja, special));
        Path json = dir.resolve("chat_template.json");
        if (Files.isRegularFile(json)) {
            JsonNode t = HfConfig.readJson(json).get("chat_template");
            if (t == null) throw new CheckpointFormatException(json, "no 'chat_template'");
            return Optional.of(new ChatTemplate(source(json, t), json.toString(), special));
        }
        Path cfg = dir.resolve("tokenizer_config.json");
        if (Files.isRegularFile(cfg)) {
            JsonNode t = HfConfig.readJson(cfg).get("chat_template");
            if (t != null && !t.isNull()) return Optional.of(new ChatTemplate(source(cfg, t), cfg.toString(), special));
        }
        return Optional.empty();
    }

    /** A template from a Jinja file of the user's; the special tokens come from {@code dir}'s tokenizer_config.json, if any. */
    public static ChatTemplate read(Path jinjaFile, Path dir) throws IOException {
        return read(jinjaFile, dir != null && Files.isDirectory(dir) ? specialTokens(dir) : Map.of());
    }

    private static ChatTemplate read(Path file, Map<String, String> special) throws IOException {
        return new ChatTemplate(text(file), file.toString(), special);
    }

    /** {@code chat_template}: a string, or [{"name": ..., "template": ...}, ...] of which "default" is used. */
    private static String source(Path file, JsonNode t) throws CheckpointFormatException {
        if (t.isTextual()) return t.textValue();
        if (t.isArray() && !t.isEmpty()) {
            for (JsonNode named : t) {
                if (!named.path("name").isTextual() || !named.path("template").isTextual()) {
                    throw new CheckpointFormatException(file, "'chat_template' entry " + abbreviate(named) + " lacks a name or template string");
                }
            }
            for (JsonNode named : t) if (named.get("name").textValue().equals("default")) return named.get("template").textValue();
            throw new CheckpointFormatException(file, "'chat_template' has no template named \"default\"");
        }
        throw new CheckpointFormatException(file, "'chat_template' is neither a string nor a list of named templates: " + abbreviate(t));
    }

    /** bos_token, eos_token, unk_token, pad_token as the template sees them: strings, or {"content": ...} objects. */
    static Map<String, String> specialTokens(Path dir) throws IOException {
        Map<String, String> out = new HashMap<>();
        Path cfg = dir.resolve("tokenizer_config.json");
        if (!Files.isRegularFile(cfg)) return out;
        JsonNode c = HfConfig.readJson(cfg);
        for (String key : new String[] {"bos_token", "eos_token", "unk_token", "pad_token"}) {
            JsonNode n = c.get(key);
            if (n == null || n.isNull()) continue;
            JsonNode text = n.isObject() ? n.get("content") : n;
            if (text == null || !text.isTextual()) throw new CheckpointFormatException(cfg, "'" + key + "' is not a token string: " + abbreviate(n));
            out.put(key, text.textValue());
        }
        return out;
    }

    private static String text(Path file) throws IOException {
        long size = Files.size(file);
        if (size > MAX_FILE_BYTES) throw new CheckpointFormatException(file, size + " bytes; too large for a chat template");
        try {
            return StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(Files.readAllBytes(file))).toString();
        } catch (CharacterCodingException e) {
            throw new CheckpointFormatException(file, "not UTF-8 text");
        }
    }

    private static String abbreviate(JsonNode n) {
        String s = n.toString();
        return s.length() > 80 ? s.substring(0, 77) + "..." : s;
    }
}
