package dev.e8q.convert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.e8q.llama.chat.ChatTemplate;
import dev.e8q.llama.chat.ChatTemplateFiles;
import dev.e8q.llama.generate.ChatSession;
import dev.e8q.llama.generate.Sampler;
import dev.e8q.llama.generate.StopTokens;
import dev.e8q.llama.model.DType;
import dev.e8q.llama.model.KvCache;
import dev.e8q.llama.model.LlamaModel;
import dev.e8q.llama.model.ModelLoader;
import dev.e8q.llama.testdata.TestData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Convert an "instruct" model and chat with the checkpoint: the chat template and the stop ids travel with it, and the
 * quantized model runs a conversation through the same session as a dense one.
 */
class QuantizedChatTest {
    @TempDir
    Path tmp;

    @Test
    void aConvertedModelKeepsItsChatTemplateAndChats() throws Exception {
        Path src = TestData.chatModel(Files.createDirectory(tmp.resolve("src")), TestData.STORY_CHAT_TEMPLATE);
        // A template file takes precedence over tokenizer_config.json; both must travel.
        Files.writeString(src.resolve("chat_template.jinja"), "{{ bos_token }}{% for m in messages %}{{ m.content }}{% endfor %}");
        Files.writeString(src.resolve("generation_config.json"), "{\"bos_token_id\": 1, \"eos_token_id\": [2, 5]}");
        Path out = tmp.resolve("out");
        Converter.convert(ConvertOptions.builder(src, TestData.train(), out).bits(2).samples(8).context(64)
                .finetune(ConvertOptions.Finetune.NONE));

        for (String f : new String[] {"tokenizer_config.json", "chat_template.jinja", "generation_config.json"}) {
            assertArrayEquals(Files.readAllBytes(src.resolve(f)), Files.readAllBytes(out.resolve(f)), f);
        }
        ChatTemplate t = ChatTemplateFiles.find(out).orElseThrow();
        assertEquals(out.resolve("chat_template.jinja").toString(), t.origin());
        LlamaModel m = ModelLoader.load(out, DType.F32);
        assertArrayEquals(new int[] {1, 2, 5}, StopTokens.of(m.config(), out));

        ChatSession s = new ChatSession(m, ModelLoader.tokenizer(out, null), t, StopTokens.of(m.config(), out), 256,
                KvCache.Precision.F32, List.of());
        ChatSession.Reply a = s.send("Once upon a time, there was a big tree.", Sampler.greedy(), 20, null);
        ChatSession.Reply b = s.send("A bird lived in it.", Sampler.greedy(), 20, null);
        assertTrue(a.tokens().length + b.tokens().length > 0);
        assertTrue(b.reusedTokens() >= a.promptTokens(), b.reusedTokens() + " < " + a.promptTokens());
    }
}
