package dev.e8q.llama.generate;

import dev.e8q.llama.model.KvCache;
import dev.e8q.llama.model.LlamaModel;
import dev.e8q.llama.model.ModelState;
import java.util.Arrays;
import java.util.Objects;

/**
 * Autoregressive generation: the prompt runs through the batched path into the KV cache, then one token at a
 * time. Stops after {@code maxNewTokens}, at the context limit, or when the model emits EOS or BOS (llama2.c
 * models separate documents with BOS). The stop token is not reported.
 */
public final class Generator {
    private final LlamaModel model;
    private final KvCache.Precision kv;

    /** Receives each generated token as soon as it is sampled. */
    @FunctionalInterface
    public interface TokenListener {
        void onToken(int prev, int token);
    }

    /**
     * @param prompt          the prompt ids (BOS included where wanted)
     * @param generated       the new ids, stop token excluded
     * @param stoppedAt       the EOS/BOS id that ended generation, or -1
     * @param promptSeconds   time for the prompt's forward pass
     * @param generateSeconds time for the token-by-token part
     */
    public record Result(int[] prompt, int[] generated, int stoppedAt, double promptSeconds, double generateSeconds) {
        /** Generated tokens per second of the token-by-token part (each step is one forward pass). */
        public double tokensPerSecond() {
            int steps = generated.length + (stoppedAt >= 0 ? 1 : 0);
            return generateSeconds > 0 ? steps / generateSeconds : 0;
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
        this.model = Objects.requireNonNull(model, "model");
        this.kv = Objects.requireNonNull(kv, "kv");
    }

    public Result generate(int[] prompt, int maxNewTokens, Sampler sampler, TokenListener listener) {
        if (prompt.length == 0) throw new IllegalArgumentException("empty prompt (start with at least BOS)");
        if (maxNewTokens < 0) throw new IllegalArgumentException("maxNewTokens < 0: " + maxNewTokens);
        int maxSeq = model.config().maxSeqLen();
        if (prompt.length > maxSeq) throw new IllegalArgumentException("prompt of " + prompt.length + " tokens exceeds the context " + maxSeq);
        int steps = Math.min(maxNewTokens, maxSeq - prompt.length);
        ModelState state = model.newState(prompt.length + steps, kv);
        int vocab = model.config().vocabSize();
        int eos = model.config().eosId(), bos = model.config().bosId();

        long t0 = System.nanoTime();
        float[] logits = steps > 0 ? state.prefill(prompt, 0) : null;
        long t1 = System.nanoTime();
        int[] out = new int[steps];
        int n = 0, stop = -1, prev = prompt[prompt.length - 1];
        for (int pos = prompt.length; n < steps; pos++) {
            int next = sampler.sample(logits, vocab);
            if (next == eos || next == bos) {
                stop = next;
                break;
            }
            out[n++] = next;
            if (listener != null) listener.onToken(prev, next);
            prev = next;
            if (n == steps) break;
            logits = state.forward(next, pos);
        }
        long t2 = System.nanoTime();
        return new Result(prompt.clone(), Arrays.copyOf(out, n), stop, (t1 - t0) / 1e9, (t2 - t1) / 1e9);
    }
}
