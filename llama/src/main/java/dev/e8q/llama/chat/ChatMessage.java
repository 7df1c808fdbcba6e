package dev.e8q.llama.chat;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/** One turn of a conversation: a role ("system", "user", "assistant") and its text. */
public record ChatMessage(String role, String content) {
    public ChatMessage {
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(content, "content");
    }

    public static ChatMessage system(String content) {
        return new ChatMessage("system", content);
    }

    public static ChatMessage user(String content) {
        return new ChatMessage("user", content);
    }

    public static ChatMessage assistant(String content) {
        return new ChatMessage("assistant", content);
    }

    /** The shape chat templates index: {@code message['role']}, {@code message['content']}. */
    Map<String, Object> asTemplateValue() {
        Map<String, Object> m = new LinkedHashMap<>(); // tojson writes the keys in this order, as Python's dict
        m.put("role", role);
        m.put("content", content);
        return m;
    }
}
