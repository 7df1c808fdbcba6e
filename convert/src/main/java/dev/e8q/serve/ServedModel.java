package dev.e8q.serve;

import dev.e8q.llama.chat.ChatMessage;
import dev.e8q.llama.chat.ChatTemplate;
import dev.e8q.llama.generate.GenerationDefaults;
import dev.e8q.llama.generate.PromptCache;
import dev.e8q.llama.generate.Sampler;
import dev.e8q.llama.generate.StopStrings;
import dev.e8q.llama.generate.TokenSampler;
import dev.e8q.llama.model.KvCache;
import dev.e8q.llama.model.LlamaModel;
import dev.e8q.llama.tokenizer.StreamingDecoder;
import dev.e8q.llama.tokenizer.Tokenizer;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The model a server answers with: its tokenizer, chat template and stop ids, and one KV cache that every request
 * shares. Requests run one at a time, in the order they arrive; each reuses what its prompt shares with the last one
 * (a conversation's earlier turns, a common system prompt).
 */
public final class ServedModel {
    private final String id;
    private final Tokenizer tokenizer;
    private final ChatTemplate template;
    private final int[] stopIds;
    private final PromptCache cache;
    private final GenerationDefaults defaults;
    private final ReentrantLock lock = new ReentrantLock(true);

    /** Receives the reply's text as it becomes final; false when nobody listens any more (the client went away). */
    @FunctionalInterface
    public interface TextSink {
        boolean accept(String text);
    }

    /**
     * @param text            the reply, stop string excluded
     * @param promptTokens    the prompt's length in tokens
     * @param cachedTokens    how many of them the cache already held
     * @param completionTokens the tokens sampled
     * @param finishReason    "stop" (a stop id or string) or "length" (max_tokens or the context)
     */
    public record Outcome(String text, int promptTokens, int cachedTokens, int completionTokens, String finishReason,
            double promptSeconds, double generateSeconds) {}

    /**
     * @param id       the name clients use for the model
     * @param template null for a model without one: chat requests are then refused
     * @param context  the KV cache's size, at most the model's context
     * @param defaults sampling for what requests leave out (the model's generation_config.json)
     */
    public ServedModel(String id, LlamaModel model, Tokenizer tokenizer, ChatTemplate template, int[] stopIds, int context,
            KvCache.Precision kv, GenerationDefaults defaults) {
        this.id = Objects.requireNonNull(id, "id");
        this.tokenizer = Objects.requireNonNull(tokenizer, "tokenizer");
        this.template = template;
        this.stopIds = stopIds.clone();
        this.cache = new PromptCache(model, context, kv);
        this.defaults = Objects.requireNonNull(defaults, "defaults");
    }

    public String id() {
        return id;
    }

    public GenerationDefaults defaults() {
        return defaults;
    }

    public int context() {
        return cache.context();
    }

    /** The conversation as the model's chat template renders it, ready for the assistant's turn. */
    public int[] chatPrompt(List<ChatMessage> messages) {
        if (template == null) {
            throw new ApiException(400, "invalid_request_error", "model '" + id + "' has no chat template; use /v1/completions, "
                    + "or start the server with --chat-template", "messages", null);
        }
        String text;
        try {
            text = template.render(messages, true);
        } catch (IllegalArgumentException e) { // the template refused the conversation, or broke
            throw ApiException.invalid(e.getMessage(), "messages");
        }
        return tokenizer.encode(text, false, false);
    }

    /** The text to continue, after BOS. */
    public int[] completionPrompt(String prompt) {
        return tokenizer.encode(prompt, true, false);
    }

    /** Refuses a prompt that leaves no room for a reply: before an answer's headers go out, not after. */
    public void checkFits(int[] prompt) {
        if (prompt.length == 0) throw ApiException.invalid("the prompt is empty", null);
        if (prompt.length >= context()) {
            throw new ApiException(400, "invalid_request_error", "the prompt is " + prompt.length + " tokens, and the context holds "
                    + context() + " (the server's --context)", null, "context_length_exceeded");
        }
    }

    /** Generates after {@code prompt}, waiting for the requests before it; pieces of text go to {@code sink} as they settle. */
    public Outcome generate(int[] prompt, GenerationParams p, TextSink sink) {
        checkFits(prompt);
        TokenSampler sampler = p.penalties().apply(new Sampler(p.sampling(), p.seed() != null ? p.seed() : System.nanoTime()));
        StreamingDecoder decoder = new StreamingDecoder(tokenizer, prompt[prompt.length - 1]);
        StopStrings stops = new StopStrings(p.stops());
        StringBuilder text = new StringBuilder();
        boolean[] listening = {true};
        int maxTokens = p.maxTokens() != null ? p.maxTokens() : context();
        lock.lock();
        try {
            PromptCache.Run run = cache.run(prompt, sampler, maxTokens, stopIds, (prev, token) -> {
                String piece = stops.add(decoder.next(token));
                text.append(piece);
                if (!piece.isEmpty()) listening[0] = sink.accept(piece);
                return listening[0] && !stops.stopped();
            });
            if (!stops.stopped()) {
                String rest = stops.add(decoder.flush());
                if (!stops.stopped()) rest += stops.flush();
                text.append(rest);
                if (!rest.isEmpty() && listening[0]) sink.accept(rest);
            }
            String finish = run.stoppedAt() >= 0 || stops.stopped() ? "stop" : "length";
            return new Outcome(text.toString(), prompt.length, run.reusedTokens(), run.reply().length, finish, run.promptSeconds(),
                    run.generateSeconds());
        } finally {
            lock.unlock();
        }
    }
}
