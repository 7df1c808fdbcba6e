package dev.e8q.llama.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.e8q.llama.io.CheckpointFormatException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Where a model directory's chat template is found, and what a broken one says. */
class ChatTemplateFilesTest {
    @TempDir
    Path dir;

    private static final List<ChatMessage> HI = List.of(ChatMessage.user("hi"));

    private String render() throws IOException {
        return ChatTemplateFiles.find(dir).orElseThrow().render(HI, true);
    }

    @Test
    void noTemplateInABaseModel() throws IOException {
        assertTrue(ChatTemplateFiles.find(dir).isEmpty());
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"bos_token\": \"<s>\"}");
        assertTrue(ChatTemplateFiles.find(dir).isEmpty());
        assertTrue(ChatTemplateFiles.find(null).isEmpty());
    }

    @Test
    void tokenizerConfigTemplateSeesItsSpecialTokens() throws IOException {
        Files.writeString(dir.resolve("tokenizer_config.json"), """
                {"bos_token": {"content": "<s>", "lstrip": false}, "eos_token": "</s>",
                 "chat_template": "{{ bos_token }}{{ messages[0].content }}{{ eos_token }}"}""");
        assertEquals("<s>hi</s>", render());
    }

    @Test
    void theDefaultOfNamedTemplatesIsUsed() throws IOException {
        Files.writeString(dir.resolve("tokenizer_config.json"), """
                {"chat_template": [{"name": "tool_use", "template": "T"}, {"name": "default", "template": "D{{ messages|length }}"}]}""");
        assertEquals("D1", render());
    }

    @Test
    void aJinjaFileComesFirstThenChatTemplateJson() throws IOException {
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"chat_template\": \"config\"}");
        Files.writeString(dir.resolve("chat_template.json"), "{\"chat_template\": \"json\"}");
        assertEquals("json", render());
        Files.writeString(dir.resolve("chat_template.jinja"), "jinja {{ messages[0].content }}");
        assertEquals("jinja hi", render());
    }

    @Test
    void aUsersFileTakesTheModelsSpecialTokens() throws IOException {
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"bos_token\": \"<|start_story|>\"}");
        Path mine = Files.writeString(dir.resolve("mine.jinja"), "{{ bos_token }}{{ messages[0].content }}");
        assertEquals("<|start_story|>hi", ChatTemplateFiles.read(mine, dir).render(HI, false));
        assertEquals("hi", ChatTemplateFiles.read(mine, null).render(HI, false));
    }

    @Test
    void brokenFilesNameTheFileAndTheProblem() throws IOException {
        Path cfg = dir.resolve("tokenizer_config.json");
        String[][] cases = {
            {"{\"chat_template\": 7}", "'chat_template' is neither a string nor a list"},
            {"{\"chat_template\": [{\"name\": \"x\"}]}", "lacks a name or template string"},
            {"{\"chat_template\": [{\"name\": \"x\", \"template\": \"t\"}]}", "no template named \"default\""},
            {"{\"chat_template\": \"t\", \"eos_token\": 5}", "'eos_token' is not a token string"},
            {"{\"chat_template\": ", "malformed JSON"},
            {"[1]", "not a JSON object"},
        };
        for (String[] c : cases) {
            Files.writeString(cfg, c[0]);
            CheckpointFormatException e = assertThrows(CheckpointFormatException.class, () -> ChatTemplateFiles.find(dir), c[0]);
            assertTrue(e.getMessage().contains(cfg.toString()) && e.getMessage().contains(c[1]), e.getMessage());
        }
        Files.writeString(cfg, "{}");
        Path jinja = Files.write(dir.resolve("chat_template.jinja"), new byte[] {'{', '{', (byte) 0xff, '}', '}'});
        assertTrue(assertThrows(CheckpointFormatException.class, () -> ChatTemplateFiles.find(dir)).getMessage().contains("not UTF-8"));
        Files.delete(jinja);
        Files.writeString(dir.resolve("chat_template.json"), "{\"template\": \"t\"}");
        assertTrue(assertThrows(CheckpointFormatException.class, () -> ChatTemplateFiles.find(dir)).getMessage().contains("no 'chat_template'"));
    }

    @Test
    void aTemplateThatFailsNamesItsFile() throws IOException {
        Files.writeString(dir.resolve("chat_template.jinja"), "{{ raise_exception('System role not supported') }}");
        ChatTemplateException e = assertThrows(ChatTemplateException.class, this::render);
        assertEquals(dir.resolve("chat_template.jinja") + ": chat template failed: System role not supported", e.getMessage());
    }
}
