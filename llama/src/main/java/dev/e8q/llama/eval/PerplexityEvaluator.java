package dev.e8q.llama.eval;

import dev.e8q.codec.Parallel;
import dev.e8q.codec.ProgressListener;
import dev.e8q.llama.model.KvCache;
import dev.e8q.llama.model.LlamaModel;
import dev.e8q.llama.model.Ops;
import dev.e8q.llama.tokenizer.Tokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Mean negative log-likelihood (nats per predicted token) and perplexity = exp(mean NLL).
 *
 * <p>Each sequence is run once through the batched forward pass; logits of position t are scored against token
 * t+1 with a log-sum-exp in double, so every token after the first is predicted. With at least twice as many
 * sequences as threads, sequences run in parallel (one per task); otherwise one at a time with parallel kernels.
 * Per-sequence sums are added in sequence order, so results do not depend on the thread count.
 *
 * <p>Two ways to cut text into sequences:
 * <ul>
 *   <li>{@link #evaluateText}: the whole text is encoded once (no BOS/EOS), then cut into consecutive
 *       non-overlapping windows of L−1 text tokens; each window is run as [BOS] + those tokens (L tokens), so
 *       every text token is predicted exactly once, the first of each window from BOS alone. The last window may
 *       be shorter.</li>
 *   <li>{@link #evaluateStories}: one sequence per document, [BOS] + encode(document) cut to L tokens.</li>
 * </ul>
 */
public final class PerplexityEvaluator {
    /** The TinyStories document separator. */
    public static final String END_OF_TEXT = "<|endoftext|>";

    private final LlamaModel model;
    /** null: the batched forward without a cache; otherwise through a KV cache of this precision. */
    private final KvCache.Precision cachePrecision;

    /** Sum of NLL (nats) over {@code tokens} predicted tokens in {@code sequences} sequences. */
    public record Result(double totalNll, long tokens, int sequences) {
        public double meanNll() {
            return tokens == 0 ? Double.NaN : totalNll / tokens;
        }

        public double perplexity() {
            return Math.exp(meanNll());
        }

        @Override
        public String toString() {
            return String.format(java.util.Locale.ROOT, "mean NLL %.5f nats/token, perplexity %.4f (%d tokens, %d sequences)",
                    meanNll(), perplexity(), tokens, sequences);
        }
    }

    public PerplexityEvaluator(LlamaModel model) {
        this(model, null);
    }

    /**
     * With a cache precision, every window runs through a KV cache of that precision, so the perplexity includes the
     * cache's rounding (F16); null runs the batched forward without a cache.
     */
    public PerplexityEvaluator(LlamaModel model, KvCache.Precision cachePrecision) {
        this.model = model;
        this.cachePrecision = cachePrecision;
    }

    /** Sum of −log p(tokens[t+1] | tokens[0..t]) over t in [0, T−1), in double. */
    public double sequenceNll(int[] tokens) {
        int T = tokens.length;
        if (T < 2) return 0;
        if (T > model.config().maxSeqLen()) {
            throw new IllegalArgumentException("sequence of " + T + " tokens exceeds the context " + model.config().maxSeqLen());
        }
        int V = model.config().vocabSize();
        float[] hidden = cachePrecision == null ? model.hiddenSequence(tokens, null)
                : model.hiddenSequenceThroughCache(tokens, cachePrecision);
        int chunk = Math.clamp((32 << 20) / (4L * V), 1, 64);
        float[] buf = new float[Math.min(chunk, T - 1) * V];
        double nll = 0;
        for (int t0 = 0; t0 < T - 1; t0 += chunk) {
            int t1 = Math.min(T - 1, t0 + chunk);
            model.logitsFromHidden(hidden, t0, t1, buf);
            for (int t = t0; t < t1; t++) {
                int off = (t - t0) * V;
                nll += Ops.logSumExp(buf, off, V) - buf[off + tokens[t + 1]];
            }
        }
        return nll;
    }

    /** Evaluates the sequences (each: every token after its first predicted); progress counts predicted tokens. */
    public Result evaluate(List<int[]> sequences, ProgressListener progress) {
        ProgressListener p = progress == null ? ProgressListener.NONE : progress;
        long total = 0;
        for (int[] s : sequences) total += Math.max(0, s.length - 1);
        long tot = total;
        double[] nll = new double[sequences.size()];
        AtomicLong done = new AtomicLong();
        p.update("perplexity", 0, tot);
        Parallel.RangeBody body = (from, to) -> {
            for (int i = from; i < to; i++) {
                int[] s = sequences.get(i);
                nll[i] = sequenceNll(s);
                p.update("perplexity", done.addAndGet(Math.max(0, s.length - 1)), tot);
            }
        };
        // Enough sequences to keep every thread busy: one sequence per task (kernels then run inline).
        // Otherwise one after another, each with the kernels split across the threads.
        if (sequences.size() >= 2 * Parallel.threads()) Parallel.forRange(sequences.size(), 1, body);
        else body.run(0, sequences.size());
        double sum = 0;
        for (double d : nll) sum += d;
        return new Result(sum, total, sequences.size());
    }

    /**
     * Non-overlapping windows: the text's tokens (encoded without BOS/EOS, at most {@code maxTokens} of them when
     * positive) in windows of {@code context − 1}, each run as [BOS] + window.
     */
    public Result evaluateText(Tokenizer tokenizer, String text, int context, long maxTokens, ProgressListener progress) {
        return evaluate(windows(tokenizer.encode(text, false, false), tokenizer.bos(), context, maxTokens), progress);
    }

    /** The windows {@link #evaluateText} runs. */
    public static List<int[]> windows(int[] textTokens, int bos, int context, long maxTokens) {
        if (context < 2) throw new IllegalArgumentException("context must be >= 2, got " + context);
        int n = maxTokens > 0 ? (int) Math.min(textTokens.length, maxTokens) : textTokens.length;
        int step = context - 1;
        List<int[]> out = new ArrayList<>();
        for (int i = 0; i < n; i += step) {
            int len = Math.min(step, n - i);
            int[] w = new int[len + 1];
            w[0] = bos;
            System.arraycopy(textTokens, i, w, 1, len);
            out.add(w);
        }
        return out;
    }

    /** One sequence per story: [BOS] + encode(story), cut to {@code maxLen} tokens. */
    public Result evaluateStories(Tokenizer tokenizer, List<String> stories, int maxLen, ProgressListener progress) {
        List<int[]> seqs = new ArrayList<>(stories.size());
        for (String s : stories) {
            int[] t = tokenizer.encode(s, true, false);
            seqs.add(t.length > maxLen ? Arrays.copyOf(t, maxLen) : t);
        }
        return evaluate(seqs, progress);
    }

    /**
     * The first {@code n} complete documents of a TinyStories text: pieces between {@code <|endoftext|>} markers,
     * whitespace-stripped, empty ones skipped; the piece after the last marker (possibly cut off) is not used.
     */
    public static List<String> stories(String text, int n) {
        List<String> out = new ArrayList<>();
        int start = 0;
        while (out.size() < n) {
            int end = text.indexOf(END_OF_TEXT, start);
            if (end < 0) break;
            String s = text.substring(start, end).strip();
            if (!s.isEmpty()) out.add(s);
            start = end + END_OF_TEXT.length();
        }
        return out;
    }
}
