package dev.e8q.llama.generate;

import dev.e8q.llama.model.KvCache;
import dev.e8q.llama.model.LlamaModel;
import dev.e8q.llama.model.ModelState;
import java.util.Arrays;
import java.util.Objects;

/**
 * Autoregressive generation: the prompt runs through the batched path into the KV cache, then one token at a
 * time. Stops after {@code maxNewTokens}, at the context limit, or when the model emits a stop token (by default
 * EOS or BOS: llama2.c models separate documents with BOS; {@link StopTokens}). The stop token is not reported.
 */
public final class Generator {
    private final LlamaModel model;
    private final KvCache.Precision kv;
    private final int[] stops;

    /** Receives each generated token as soon as it is sampled. */
    @FunctionalInterface
    public interface TokenListener {
        void onToken(int prev, int token);
    }

    /**
     * @param prompt          the prompt ids (BOS included where wanted)
     * @param generated       the new ids, stop token excluded
     * @param stoppedAt       the stop id that ended generation, or -1
     * @param promptSeconds   time for the prompt's forward pass
     * @param generateSeconds time for the token-by-token part
     */
    public record Result(int[] prompt, int[] generated, int stoppedAt, double promptSeconds, double generateSeconds) {
        /** Generated tokens per second of the token-by-token part (each step is one forward pass). */
        public double tokensPerSecond() {
            return Generator.tokensPerSecond(generated.length, stoppedAt, generateSeconds);
        }

        public double promptTokensPerSecond() {
            return promptSeconds > 0 ? prompt.length / promptSeconds : 0;
        }

        /** Prompt followed by the generated ids. */
        public int[] all() {
            int[] a = Arrays.copyOf(prompt, prompt.length + generated.length);
            System.arraycopy(generated, 0, a, prompt.length, generated.length);
            return a;
        }
    }

    public Generator(LlamaModel model) {
        this(model, KvCache.Precision.F32);
    }

    /** kv: how the KV cache of each generation stores its entries. */
    public Generator(LlamaModel model, KvCache.Precision kv) {
        this(model, kv, StopTokens.of(model.config()));
    }

    /** stops: the ids that end a generation ({@link StopTokens}). */
    public Generator(LlamaModel model, KvCache.Precision kv, int[] stops) {
        this.model = Objects.requireNonNull(model, "model");
        this.kv = Objects.requireNonNull(kv, "kv");
        this.stops = stops.clone();
    }

    /** Forward passes per second of a token-by-token run: each token, and the stop id if one was sampled, took one. */
    static double tokensPerSecond(int tokens, int stoppedAt, double seconds) {
        int steps = tokens + (stoppedAt >= 0 ? 1 : 0);
        return seconds > 0 ? steps / seconds : 0;
    }

    /** Receives each generated token as soon as it is sampled, and says whether to go on: false ends generation there. */
    @FunctionalInterface
    public interface TokenCallback {
        boolean accept(int prev, int token);

        /** A listener that always goes on; null for none. */
        static TokenCallback of(TokenListener listener) {
            return listener == null ? null : (prev, token) -> {
                listener.onToken(prev, token);
                return true;
            };
        }
    }

    /**
     * The sampled ids and the stop id that ended them, or -1 (the token limit, or a callback that said stop). Unless a
     * stop id ended them, the last id was not run through the model.
     */
    record Continuation(int[] tokens, int stoppedAt) {
        /** How many of the tokens have their keys and values in the cache. */
        int ran() {
            return stoppedAt >= 0 ? tokens.length : Math.max(0, tokens.length - 1);
        }
    }

    /**
     * Samples from {@code logits} (those of the token at {@code pos - 1}), feeds each new token at the next position,
     * until a stop id, {@code steps} tokens, or a callback that says stop. Shared by {@link #generate} and {@link PromptCache}.
     */
    static Continuation continueFrom(ModelState state, float[] logits, int pos, int steps, TokenSampler sampler, int[] stops,
            int prev, TokenCallback callback) {
        int vocab = state.model().config().vocabSize();
        int[] out = new int[steps];
        int n = 0, stop = -1;
        for (; n < steps; pos++) {
            int next = sampler.sample(logits, vocab);
            if (isStop(next, stops)) {
                stop = next;
                break;
            }
            out[n++] = next;
            boolean goOn = callback == null || callback.accept(prev, next);
            prev = next;
            if (n == steps || !goOn) break;
            logits = state.forward(next, pos);
        }
        return new Continuation(Arrays.copyOf(out, n), stop);
    }

    private static boolean isStop(int id, int[] stops) {
        for (int s : stops) if (s == id) return true;
        return false;
    }

    public Result generate(int[] prompt, int maxNewTokens, TokenSampler sampler, TokenListener listener) {
        if (prompt.length == 0) throw new IllegalArgumentException("empty prompt (start with at least BOS)");
        if (maxNewTokens < 0) throw new IllegalArgumentException("maxNewTokens < 0: " + maxNewTokens);
        int maxSeq = model.config().maxSeqLen();
        if (prompt.length > maxSeq) throw new IllegalArgumentException("prompt of " + prompt.length + " tokens exceeds the context " + maxSeq);
        int steps = Math.min(maxNewTokens, maxSeq - prompt.length);
        ModelState state = model.newState(prompt.length + steps, kv);
        long t0 = System.nanoTime();
        float[] logits = steps > 0 ? state.prefill(prompt, 0) : null;
        long t1 = System.nanoTime();
        Continuation c = steps > 0
                ? continueFrom(state, logits, prompt.length, steps, sampler, stops, prompt[prompt.length - 1],
                        TokenCallback.of(listener))
                : new Continuation(new int[0], -1);
        long t2 = System.nanoTime();
        return new Result(prompt.clone(), c.tokens(), c.stoppedAt(), (t1 - t0) / 1e9, (t2 - t1) / 1e9);
    }
}
