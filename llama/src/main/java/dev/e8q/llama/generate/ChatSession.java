package dev.e8q.llama.generate;

import dev.e8q.llama.chat.ChatMessage;
import dev.e8q.llama.chat.ChatTemplate;
import dev.e8q.llama.model.KvCache;
import dev.e8q.llama.model.LlamaModel;
import dev.e8q.llama.tokenizer.Tokenizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A conversation with an instruct model. Each turn renders the whole conversation with the model's chat template, as
 * {@code transformers} does, and runs only the tokens after the longest prefix the KV cache already holds: the
 * earlier turns are not computed again, and a turn whose text re-tokenizes differently (a template that strips the
 * reply) is recomputed from where it differs.
 *
 * <p>When a conversation outgrows the context, the oldest exchanges after the preamble are dropped, a user message and
 * the replies that followed it at a time, until the prompt leaves room for a reply: {@link #REPLY_ROOM_SHARE}. The
 * session then forgets them, so {@link #messages} is what the model sees. Whole exchanges keep the roles alternating,
 * which templates such as Llama 2's insist on.
 */
public final class ChatSession {
    private final Tokenizer tokenizer;
    private final ChatTemplate template;
    private final int[] stops;
    private final PromptCache cache;
    private final List<ChatMessage> preamble;
    private final List<ChatMessage> messages = new ArrayList<>();
    /** A reply may claim up to this share of the context (and at most its token limit) before old turns are dropped. */
    public static final int REPLY_ROOM_SHARE = 2;

    /**
     * @param reply           the assistant's text
     * @param tokens          its ids, stop id excluded
     * @param stoppedAt       the stop id that ended it, or -1 (token limit or context full)
     * @param promptTokens    the rendered conversation's length in tokens
     * @param reusedTokens    how many of them the cache already held
     * @param droppedMessages how many of the oldest messages were dropped to fit the context
     * @param promptSeconds   time for the new prompt tokens
     * @param generateSeconds time for the reply
     */
    public record Reply(String reply, int[] tokens, int stoppedAt, int promptTokens, int reusedTokens, int droppedMessages,
            double promptSeconds, double generateSeconds) {
        public double tokensPerSecond() {
            return Generator.tokensPerSecond(tokens.length, stoppedAt, generateSeconds);
        }
    }

    /**
     * @param context  the most tokens the conversation may hold (the KV cache's size), at most the model's context
     * @param preamble messages every conversation starts with (a system prompt), kept by {@link #reset}
     */
    public ChatSession(LlamaModel model, Tokenizer tokenizer, ChatTemplate template, int[] stops, int context,
            KvCache.Precision kv, List<ChatMessage> preamble) {
        this.tokenizer = Objects.requireNonNull(tokenizer, "tokenizer");
        this.template = Objects.requireNonNull(template, "template");
        this.stops = stops.clone();
        this.cache = new PromptCache(model, context, kv);
        this.preamble = List.copyOf(preamble);
        messages.addAll(this.preamble);
    }

    /** The conversation so far. */
    public List<ChatMessage> messages() {
        return List.copyOf(messages);
    }

    /** The most tokens the conversation may hold. */
    public int context() {
        return cache.context();
    }

    /** Forgets every turn after the preamble; the cache keeps what the next prompt shares with it. */
    public void reset() {
        messages.clear();
        messages.addAll(preamble);
    }

    /** The ids the KV cache holds, in position order (for tests and diagnostics). */
    public int[] cachedTokens() {
        return cache.cachedTokens();
    }

    /**
     * Adds a user turn and generates the assistant's reply (at most {@code maxTokens}, fewer when the context fills).
     * Drops the oldest exchanges when the conversation would leave the reply less than {@code min(maxTokens,
     * context / REPLY_ROOM_SHARE)} tokens. The conversation is unchanged when this throws: a template that rejects it,
     * or a preamble and message that alone fill the context.
     */
    public Reply send(String userText, TokenSampler sampler, int maxTokens, Generator.TokenListener listener) {
        if (maxTokens < 1) throw new IllegalArgumentException("maxTokens < 1: " + maxTokens);
        List<ChatMessage> next = new ArrayList<>(messages);
        next.add(ChatMessage.user(userText));
        int room = Math.min(maxTokens, context() / REPLY_ROOM_SHARE), dropped = 0;
        int[] ids;
        while (true) {
            ids = tokenizer.encode(template.render(next, true), false, false);
            if (ids.length == 0) throw new IllegalArgumentException(template.origin() + ": the chat template rendered no text");
            if (ids.length + room <= context()) break;
            int exchange = oldestExchange(next);
            if (exchange == 0) break;
            next.subList(preamble.size(), preamble.size() + exchange).clear();
            dropped += exchange;
        }
        if (ids.length >= context()) {
            throw new IllegalArgumentException("the message" + (preamble.isEmpty() ? "" : " with the system prompt") + " is "
                    + ids.length + " tokens, and the context holds " + context());
        }
        PromptCache.Run run = cache.run(ids, sampler, maxTokens, stops, Generator.TokenCallback.of(listener));
        String text = tokenizer.decode(run.reply());
        messages.clear();
        messages.addAll(next);
        messages.add(ChatMessage.assistant(text));
        return new Reply(text, run.reply(), run.stoppedAt(), ids.length, run.reusedTokens(), dropped, run.promptSeconds(),
                run.generateSeconds());
    }

    /**
     * The length of the oldest exchange after the preamble: its first message up to the next user message. 0 when
     * only the newest message (the last) is left.
     */
    private int oldestExchange(List<ChatMessage> conversation) {
        int first = preamble.size(), last = conversation.size() - 1;
        if (first >= last) return 0;
        int end = first + 1;
        while (end < last && !conversation.get(end).role().equals("user")) end++;
        return end - first;
    }

}
