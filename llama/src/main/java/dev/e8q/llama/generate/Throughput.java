package dev.e8q.llama.generate;

import dev.e8q.llama.model.KvCache;
import dev.e8q.llama.model.LlamaModel;
import dev.e8q.llama.model.ModelState;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.function.BiConsumer;

/**
 * How fast a model reads a prompt and generates, as llama.cpp's llama-bench measures it: prompt processing ("pp N",
 * N tokens through the batched path into a fresh cache) and text generation ("tg N", N tokens one at a time from an
 * empty cache). The tokens are random ids, so the figures do not depend on a text or on when the model would stop.
 */
public final class Throughput {
    private Throughput() {}

    /** Tokens per second of each timed repetition, and their mean, median and sample standard deviation. */
    public record Runs(String test, int tokens, double[] tokensPerSecond) {
        public double mean() {
            return Arrays.stream(tokensPerSecond).average().orElse(0);
        }

        /** The middle run (the mean of the two middle ones for an even count): steadier than the mean on a shared host. */
        public double median() {
            double[] t = tokensPerSecond.clone();
            Arrays.sort(t);
            int n = t.length;
            return n % 2 == 1 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2;
        }

        public double stdDev() {
            int n = tokensPerSecond.length;
            if (n < 2) return 0;
            double m = mean(), s = 0;
            for (double t : tokensPerSecond) s += (t - m) * (t - m);
            return Math.sqrt(s / (n - 1));
        }
    }

    /** {@code tokens} random ids, the first BOS where the model has one. */
    static int[] randomTokens(LlamaModel model, int tokens, long seed) {
        int vocab = model.config().vocabSize(), bos = model.config().bosId();
        SplittableRandom r = new SplittableRandom(seed);
        int[] ids = r.ints(tokens, 0, vocab).toArray();
        if (bos >= 0 && tokens > 0) ids[0] = bos;
        return ids;
    }

    /** Prompt processing: {@code warmup} untimed, then {@code repetitions} timed prefills of {@code tokens} ids. */
    public static Runs prompt(LlamaModel model, KvCache.Precision kv, int tokens, int warmup, int repetitions, long seed) {
        return time("pp", model, kv, tokens, warmup, repetitions, seed, (s, ids) -> s.prefill(ids, 0));
    }

    /** Text generation: {@code tokens} forward passes, one position at a time, per repetition. */
    public static Runs generation(LlamaModel model, KvCache.Precision kv, int tokens, int warmup, int repetitions, long seed) {
        return time("tg", model, kv, tokens, warmup, repetitions, seed, (s, ids) -> {
            for (int pos = 0; pos < ids.length; pos++) s.forward(ids[pos], pos);
        });
    }

    /** Runs {@code test} on fresh states and random ids, {@code warmup} times untimed, then {@code repetitions} timed. */
    private static Runs time(String kind, LlamaModel model, KvCache.Precision kv, int tokens, int warmup, int repetitions, long seed,
            BiConsumer<ModelState, int[]> test) {
        check(model, tokens, repetitions);
        double[] tps = new double[repetitions];
        for (int i = -warmup; i < repetitions; i++) {
            int[] ids = randomTokens(model, tokens, seed + i);
            ModelState s = model.newState(tokens, kv);
            long t0 = System.nanoTime();
            test.accept(s, ids);
            long t1 = System.nanoTime();
            if (i >= 0) tps[i] = tokens / ((t1 - t0) / 1e9);
        }
        return new Runs(kind + tokens, tokens, tps);
    }

    private static void check(LlamaModel model, int tokens, int repetitions) {
        if (repetitions < 1) throw new IllegalArgumentException("repetitions must be at least 1, got " + repetitions);
        if (tokens < 1) throw new IllegalArgumentException("a test needs at least 1 token, got " + tokens);
        int max = model.config().maxSeqLen();
        if (tokens > max) throw new IllegalArgumentException(tokens + " tokens exceed the model's context of " + max);
    }
}
