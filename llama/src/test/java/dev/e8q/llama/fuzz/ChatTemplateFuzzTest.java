package dev.e8q.llama.fuzz;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.e8q.llama.chat.ChatMessage;
import dev.e8q.llama.chat.ChatTemplate;
import dev.e8q.llama.chat.ChatTemplateException;
import dev.e8q.llama.chat.ChatTemplateFiles;
import dev.e8q.llama.io.CheckpointFormatException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Chat templates from a model directory: {@code tokenizer_config.json} ⟨{@link SafetensorsShardsFuzzTest#MARKER}⟩
 * {@code chat_template.jinja} (optional). A template is found and renders a short conversation, or the directory is
 * refused (CheckpointFormatException) or the render fails (ChatTemplateException), each naming the file; within the
 * CPU and allocation budget, whatever the template loops over or builds.
 */
class ChatTemplateFuzzTest {
    private static final FuzzSupport.Scratch SCRATCH = new FuzzSupport.Scratch("chattemplate");
    static final List<ChatMessage> CONVERSATION = List.of(ChatMessage.system("Be brief."), ChatMessage.user("Hi {{ x }}"),
            ChatMessage.assistant(" Hello. "), ChatMessage.user("Bye"));

    @FuzzTest(maxDuration = "10m")
    @DictionaryEntries({SafetensorsShardsFuzzTest.MARKER_DICT, "{%", "%}", "{{", "}}", "{%-", "-%}", "for m in messages",
        "endfor", "endif", "range(", "namespace(", "raise_exception(", "tojson", "[::-1]", ".split(", ".strip()",
        "\"chat_template\"", "\"bos_token\"", "macro", "loop.index0"})
    void fuzz(byte[] data) {
        Path dir = SCRATCH.fresh();
        List<byte[]> parts = FuzzSupport.split(data, SafetensorsShardsFuzzTest.MARKER.getBytes(StandardCharsets.ISO_8859_1));
        FuzzSupport.Scratch.write(dir, "tokenizer_config.json", parts.get(0));
        if (parts.size() > 1) FuzzSupport.Scratch.write(dir, "chat_template.jinja", parts.get(1));
        FuzzSupport.run(data.length, () -> render(dir), dir.toString(), CheckpointFormatException.class, ChatTemplateException.class);
    }

    static Optional<String> render(Path dir) throws Exception {
        Optional<ChatTemplate> t = ChatTemplateFiles.find(dir);
        return t.map(x -> x.withLimits(Duration.ofMillis(300), 32L << 20).render(CONVERSATION, true));
    }
}
