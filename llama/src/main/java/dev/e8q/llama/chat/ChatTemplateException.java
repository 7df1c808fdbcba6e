package dev.e8q.llama.chat;

/** A chat template that cannot be read or rendered; the message names the template's file and the problem. */
public final class ChatTemplateException extends IllegalArgumentException {
    public ChatTemplateException(String message) {
        super(message);
    }

    public ChatTemplateException(String message, Throwable cause) {
        super(message, cause);
    }
}
