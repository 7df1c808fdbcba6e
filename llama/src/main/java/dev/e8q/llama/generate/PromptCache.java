package dev.e8q.llama.generate;

import dev.e8q.llama.model.KvCache;
import dev.e8q.llama.model.LlamaModel;
import dev.e8q.llama.model.ModelState;
import java.util.Arrays;
import java.util.Objects;

/**
 * A model state whose KV cache outlives one generation: each {@link #run} computes only the prompt ids after the
 * longest prefix the cache already holds. A conversation's next turn, or a request that repeats an earlier one's
 * system prompt, starts where they differ. Not thread-safe: one run at a time.
 */
public final class PromptCache {
    private final ModelState state;
    /** The ids whose keys and values the cache holds, at positions 0.. */
    private int[] cached = new int[0];

    /**
     * @param reply           the sampled ids, stop id excluded
     * @param stoppedAt       the stop id that ended them, or -1 (token limit, context full, or the callback)
     * @param reusedTokens    how many prompt ids the cache already held
     * @param promptSeconds   time for the new prompt ids
     * @param generateSeconds time for the reply
     */
    public record Run(int[] reply, int stoppedAt, int reusedTokens, double promptSeconds, double generateSeconds) {
        /** Forward passes per second of the token-by-token part. */
        public double tokensPerSecond() {
            return Generator.tokensPerSecond(reply.length, stoppedAt, generateSeconds);
        }
    }

    /** @param context the cache's size in tokens, at most the model's context */
    public PromptCache(LlamaModel model, int context, KvCache.Precision kv) {
        Objects.requireNonNull(model, "model");
        if (context < 2) throw new IllegalArgumentException("context of " + context + " tokens; need at least 2");
        this.state = model.newState(Math.min(context, model.config().maxSeqLen()), kv);
    }

    /** The most tokens a prompt and its reply may hold together. */
    public int context() {
        return state.capacity();
    }

    /** The ids the KV cache holds, in position order (for tests and diagnostics). */
    public int[] cachedTokens() {
        return cached.clone();
    }

    /**
     * Runs {@code prompt} (after what the cache shares with it) and samples at most {@code maxTokens} ids, fewer when
     * the context fills, a stop id comes, or {@code callback} says stop.
     *
     * @throws IllegalArgumentException for an empty prompt or one that fills the context
     */
    public Run run(int[] prompt, TokenSampler sampler, int maxTokens, int[] stops, Generator.TokenCallback callback) {
        if (prompt.length == 0) throw new IllegalArgumentException("empty prompt");
        if (maxTokens < 1) throw new IllegalArgumentException("maxTokens < 1: " + maxTokens);
        if (prompt.length >= context()) {
            throw new IllegalArgumentException("the prompt is " + prompt.length + " tokens, and the context holds " + context());
        }
        // Keep at least the last prompt id to run: its logits start the reply.
        int reuse = Math.min(commonPrefix(cached, prompt), prompt.length - 1);
        // From here the cache beyond `reuse` is overwritten; if this run fails midway, only that prefix stays valid.
        cached = Arrays.copyOf(cached, reuse);
        long t0 = System.nanoTime();
        float[] logits = state.prefill(Arrays.copyOfRange(prompt, reuse, prompt.length), reuse);
        long t1 = System.nanoTime();
        int steps = Math.min(maxTokens, context() - prompt.length);
        Generator.Continuation c = Generator.continueFrom(state, logits, prompt.length, steps, sampler, stops,
                prompt[prompt.length - 1], callback);
        long t2 = System.nanoTime();
        int held = prompt.length + c.ran();
        cached = Arrays.copyOf(prompt, held);
        System.arraycopy(c.tokens(), 0, cached, prompt.length, held - prompt.length);
        return new Run(c.tokens(), c.stoppedAt(), reuse, (t1 - t0) / 1e9, (t2 - t1) / 1e9);
    }

    private static int commonPrefix(int[] a, int[] b) {
        int n = Math.min(a.length, b.length), i = Arrays.mismatch(a, 0, n, b, 0, n);
        return i < 0 ? n : i;
    }
}
