package dev.e8q.cli;

import dev.e8q.llama.chat.ChatMessage;
import dev.e8q.llama.chat.ChatTemplate;
import dev.e8q.llama.chat.ChatTemplateFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Option;

/** The options of the commands that talk to an instruct model through its chat template (picocli mixin). */
final class ChatOptions {
    @Option(names = "--system", description = "system prompt at the start of the conversation")
    String system;

    @Option(names = "--chat-template", description = "a Jinja chat template file to use instead of the model's own "
            + "(tokenizer_config.json chat_template, chat_template.jinja)")
    Path chatTemplate;

    /** The template: --chat-template, else the one the model ships. */
    ChatTemplate template(ModelOptions run) throws IOException {
        Path dir = run.configDir();
        if (chatTemplate != null) return ChatTemplateFiles.read(chatTemplate, dir);
        return ChatTemplateFiles.find(dir).orElseThrow(() -> new IllegalArgumentException(run.model
                + " has no chat template (no chat_template in tokenizer_config.json, no chat_template.jinja); it may be a "
                + "base model. Pass --chat-template FILE to use one"));
    }

    /** The messages every conversation starts with. */
    List<ChatMessage> preamble() {
        return system == null ? List.of() : List.of(ChatMessage.system(system));
    }
}
