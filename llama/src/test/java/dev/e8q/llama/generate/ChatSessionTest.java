package dev.e8q.llama.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.e8q.llama.chat.ChatMessage;
import dev.e8q.llama.chat.ChatTemplate;
import dev.e8q.llama.chat.ChatTemplateException;
import dev.e8q.llama.chat.ChatTemplateFiles;
import dev.e8q.llama.model.DType;
import dev.e8q.llama.model.KvCache;
import dev.e8q.llama.model.LlamaModel;
import dev.e8q.llama.model.ModelLoader;
import dev.e8q.llama.testdata.TestData;
import dev.e8q.llama.tokenizer.Tokenizer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Chat on TinyStories-656K, given a template that makes each user turn the start of a story and each reply its
 * continuation ({@link TestData#chatModel}). What is checked is the machinery: reuse of the KV cache across turns, equality with a fresh
 * generation over the same prompt, and a conversation left unchanged by a turn that fails.
 */
class ChatSessionTest {
    @TempDir
    static Path dir;

    static LlamaModel model;
    static Tokenizer tokenizer;
    static ChatTemplate template;

    @BeforeAll
    static void load() throws IOException {
        TestData.chatModel(dir, TestData.STORY_CHAT_TEMPLATE);
        model = ModelLoader.load(dir, DType.F32);
        tokenizer = ModelLoader.tokenizer(dir, null);
        template = ChatTemplateFiles.find(dir).orElseThrow();
    }

    private static ChatSession session(int context) throws IOException {
        return new ChatSession(model, tokenizer, template, StopTokens.of(model.config(), dir), context, KvCache.Precision.F32, List.of());
    }

    /** Greedy, and keeps the logits it chose from. */
    static final class Recording implements TokenSampler {
        final List<float[]> logits = new ArrayList<>();

        @Override
        public int sample(float[] l, int n) {
            logits.add(java.util.Arrays.copyOf(l, n));
            return Sampler.greedy().sample(l, n);
        }
    }

    @Test
    void laterTurnsReuseTheCacheAndEqualAFreshGeneration() throws IOException {
        ChatSession s = session(512);
        ChatSession.Reply first = s.send("Once upon a time, there was a little dog named Max.", Sampler.greedy(), 40, null);
        assertEquals(0, first.reusedTokens());
        assertTrue(first.tokens().length > 0);
        assertEquals(first.tokens().length, s.cachedTokens().length - first.promptTokens() + (first.stoppedAt() >= 0 ? 0 : 1));

        Recording rec = new Recording();
        ChatSession.Reply second = s.send("Tom had a red ball.", rec, 30, null);
        List<ChatMessage> conversation = s.messages();
        assertEquals(4, conversation.size());
        assertEquals(first.reply(), conversation.get(1).content());
        assertTrue(second.reusedTokens() >= first.promptTokens(), second.reusedTokens() + " < " + first.promptTokens());

        // The same prompt from scratch: same reply, logits equal within float rounding of the batched prefill.
        int[] prompt = tokenizer.encode(template.render(conversation.subList(0, 3), true), false, false);
        assertEquals(second.promptTokens(), prompt.length);
        Recording fresh = new Recording();
        Generator.Result r = new Generator(model, KvCache.Precision.F32, StopTokens.of(model.config(), dir)).generate(prompt, 30, fresh, null);
        assertArrayEquals(r.generated(), second.tokens());
        for (int step = 0; step < rec.logits.size(); step++) {
            float[] a = rec.logits.get(step), b = fresh.logits.get(step);
            float scale = 0;
            for (float v : b) scale = Math.max(scale, Math.abs(v));
            for (int i = 0; i < a.length; i++) assertEquals(b[i], a[i], 1e-4f * scale, "step " + step + " logit " + i);
        }
    }

    @Test
    void aFailedTurnLeavesTheConversationAsItWas() throws IOException {
        ChatSession s = session(64);
        s.send("Lily saw a cat.", Sampler.greedy(), 8, null);
        List<ChatMessage> before = s.messages();
        String tooLong = "The big dog ran and ran in the park with the ball. ".repeat(8);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> s.send(tooLong, Sampler.greedy(), 8, null));
        assertTrue(e.getMessage().contains("the context holds 64"), e.getMessage());
        assertEquals(before, s.messages());

        ChatSession withSystem = new ChatSession(model, tokenizer, template, StopTokens.of(model.config()), 64, KvCache.Precision.F32,
                List.of(ChatMessage.system("be kind")));
        assertThrows(ChatTemplateException.class, () -> withSystem.send("Hi.", Sampler.greedy(), 8, null));
        assertEquals(List.of(ChatMessage.system("be kind")), withSystem.messages());
    }

    @Test
    void aTurnThatFailsWhileGeneratingKeepsTheCacheHonest() throws IOException {
        ChatSession s = session(512);
        ChatSession.Reply a = s.send("The sun was hot.", Sampler.greedy(), 10, null);
        int[] before = s.cachedTokens();
        s.reset();
        // A different first turn overwrites the cache after BOS, then fails before it records anything.
        assertThrows(IllegalStateException.class, () -> s.send("Ben ran home to his mom.", Sampler.greedy(), 10, (prev, id) -> {
            throw new IllegalStateException("listener failed");
        }));
        int[] failed = tokenizer.encode(template.render(List.of(ChatMessage.user("Ben ran home to his mom.")), true), false, false);
        int shared = java.util.Arrays.mismatch(before, failed);
        assertArrayEquals(java.util.Arrays.copyOf(failed, shared), s.cachedTokens(), "only what the failed turn did not overwrite");
        assertEquals(List.of(), s.messages());
        s.reset();
        // The first conversation again: recomputed, so the same reply as the first time.
        ChatSession.Reply again = s.send("The sun was hot.", Sampler.greedy(), 10, null);
        assertArrayEquals(a.tokens(), again.tokens());
    }

    @Test
    void aLongConversationDropsItsOldestExchangesAndGoesOn() throws IOException {
        int context = 64, maxTokens = 12;
        ChatSession s = session(context);
        List<ChatMessage> history = new ArrayList<>();
        String[] turns = {"Lily saw a cat.", "The cat was big.", "Tom had a red ball.", "The sun was hot.", "Max ran to the park.",
            "Sue found a toy.", "The bird sang a song.", "Ben ate a cake.", "Mom smiled at Lily.", "The dog was happy."};
        int dropped = 0;
        for (String turn : turns) {
            Recording rec = new Recording();
            ChatSession.Reply r = s.send(turn, rec, maxTokens, null);
            history.add(ChatMessage.user(turn));
            history.add(ChatMessage.assistant(r.reply()));
            dropped += r.droppedMessages();
            List<ChatMessage> kept = s.messages();
            // What the session keeps is the newest part of the conversation, whole exchanges from a user message on.
            assertEquals(history.subList(dropped, history.size()), kept);
            assertEquals("user", kept.get(0).role());
            assertTrue(r.promptTokens() + Math.min(maxTokens, context / ChatSession.REPLY_ROOM_SHARE) <= context,
                    r.promptTokens() + " prompt tokens leave no room for a reply");
            // ... and the reply is what a fresh generation over the kept conversation gives, the cache notwithstanding.
            int[] prompt = tokenizer.encode(template.render(kept.subList(0, kept.size() - 1), true), false, false);
            assertEquals(r.promptTokens(), prompt.length);
            Generator.Result fresh = new Generator(model, KvCache.Precision.F32, StopTokens.of(model.config(), dir))
                    .generate(prompt, maxTokens, Sampler.greedy(), null);
            assertArrayEquals(fresh.generated(), r.tokens(), "turn " + turn);
        }
        assertTrue(dropped >= 4, "ten turns in 64 tokens must drop some; dropped " + dropped);
        assertEquals(0, dropped % 2, "whole exchanges");
    }

    @Test
    void dropsNeverTouchThePreamble(@TempDir Path other) throws IOException {
        String withSystem = "{% for m in messages %}{% if m.role == 'system' %}{{ bos_token }}{{ m.content }}"
                + "{% elif m.role == 'user' %}{{ m.content }}{% else %}{{ m.content }}{{ eos_token }}{% endif %}{% endfor %}";
        Path file = java.nio.file.Files.writeString(other.resolve("chat_template.jinja"), withSystem);
        ChatSession s = new ChatSession(model, tokenizer, ChatTemplateFiles.read(file, dir), StopTokens.of(model.config(), dir), 40,
                KvCache.Precision.F32, List.of(ChatMessage.system("Once upon a time,")));
        int dropped = 0;
        for (String turn : new String[] {" a cat sat.", " a dog ran.", " a bird sang.", " a boy ate.", " a girl slept.", " a fish swam."}) {
            ChatSession.Reply r = s.send(turn, Sampler.greedy(), 10, null);
            dropped += r.droppedMessages();
            assertEquals(ChatMessage.system("Once upon a time,"), s.messages().get(0));
            assertEquals("user", s.messages().get(1).role());
        }
        assertTrue(dropped > 0, "six turns in 40 tokens must drop some");
        // A message that cannot fit even alone with the preamble is refused, and nothing is dropped for it.
        List<ChatMessage> before = s.messages();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> s.send(" the big dog ran and ran in the park.".repeat(8), Sampler.greedy(), 10, null));
        assertTrue(e.getMessage().contains("with the system prompt") && e.getMessage().contains("the context holds 40"), e.getMessage());
        assertEquals(before, s.messages());
    }

    @Test
    void aReplyStopsWhereTheContextEnds() throws IOException {
        ChatSession s = session(24);
        ChatSession.Reply r = s.send("One day, a girl named Sue went to the park.", Sampler.greedy(), 100, null);
        assertTrue(r.promptTokens() + r.tokens().length <= 24, r.promptTokens() + " + " + r.tokens().length);
        assertTrue(r.stoppedAt() >= 0 || r.promptTokens() + r.tokens().length == 24);
    }

    @Test
    void resetKeepsThePreambleAndTheCacheStillServes() throws IOException {
        ChatSession s = session(512);
        ChatSession.Reply a = s.send("The sun was hot.", Sampler.greedy(), 10, null);
        s.reset();
        assertEquals(List.of(), s.messages());
        ChatSession.Reply b = s.send("The sun was hot.", Sampler.greedy(), 10, null);
        assertEquals(a.promptTokens() - 1, b.reusedTokens(), "all of the prompt but the token whose logits start the reply");
        assertArrayEquals(a.tokens(), b.tokens());
    }
}
