package dev.e8q.cli;

import dev.e8q.codec.ProgressListener;
import dev.e8q.llama.eval.PerplexityEvaluator;
import dev.e8q.llama.model.KvCache;
import dev.e8q.llama.model.LlamaModel;
import dev.e8q.llama.tokenizer.Tokenizer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code e8q eval}: mean NLL per token and perplexity of a text file. */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = {"Perplexity of a text file.",
                "Default: the text is tokenized once (no BOS) and cut into non-overlapping windows of L-1 tokens, each run as "
                        + "[BOS] + window; every text token is predicted once.",
                "--stories N: one sequence per <|endoftext|>-separated document, [BOS] + document cut to L tokens "
                        + "(the reference figures of shared/data/README.md)."})
public final class EvalCommand implements Callable<Integer> {
    @Mixin
    ModelOptions run = new ModelOptions();

    @Option(names = "--text", required = true, description = "UTF-8 text file")
    Path text;


    @Option(names = "--context", description = "window length L in tokens including BOS (default: the model's maximum, at most 2048)")
    Integer context;

    @Option(names = "--max-tokens", defaultValue = "0", description = "use at most this many text tokens, 0 = all")
    long maxTokens;

    @Option(names = "--stories", defaultValue = "0", description = "story mode: first N complete <|endoftext|> documents")
    int stories;

    @Option(names = "--crlf-to-lf", description = "replace CRLF line endings by LF before tokenizing")
    boolean crlf;


    @Option(names = "--no-fuse-unk", description = "tokenizer.json only: one <unk> per unknown character (fuse_unk off)")
    boolean noFuseUnk;

    @Option(names = "--kv-cache", description = "run each window through a KV cache of this precision (f32 or f16), "
            + "so that the perplexity includes the cache's rounding; default: no cache (the batched forward)")
    String kvCache;

    @Override
    public Integer call() throws Exception {
        // checked before the model loads, which can take long
        KvCache.Precision kv = kvCache == null ? null : KvCache.Precision.parse(kvCache, "--kv-cache");
        LlamaModel m = run.load();
        Tokenizer tok = run.tokenizer(noFuseUnk ? Boolean.FALSE : null);
        String s = Files.readString(text, StandardCharsets.UTF_8);
        if (crlf) s = s.replace("\r\n", "\n");
        int L = context != null ? context : Math.min(m.config().maxSeqLen(), 2048);
        if (L > m.config().maxSeqLen()) throw new IllegalArgumentException("--context " + L + " exceeds the model's " + m.config().maxSeqLen());
        PerplexityEvaluator ev = new PerplexityEvaluator(m, kv);
        long t0 = System.nanoTime();
        ProgressListener bar = new ProgressBar();
        PerplexityEvaluator.Result r = stories > 0
                ? ev.evaluateStories(tok, PerplexityEvaluator.stories(s, stories), L, bar)
                : ev.evaluateText(tok, s, L, maxTokens, bar);
        double secs = (System.nanoTime() - t0) / 1e9;
        System.err.println();
        System.out.printf(Locale.ROOT, "mean NLL %.5f nats/token, perplexity %.4f over %d tokens (%d sequences)%n",
                r.meanNll(), r.perplexity(), r.tokens(), r.sequences());
        System.err.printf(Locale.ROOT, "%.1f s, %.0f tokens/s%n", secs, r.tokens() / secs);
        return 0;
    }

    /** A one-line bar on stderr, redrawn at most every 1/10 s. */
    static final class ProgressBar implements ProgressListener {
        private long last;

        @Override
        public synchronized void update(String task, long done, long total) {
            long now = System.nanoTime();
            if (done < total && now - last < 100_000_000L) return;
            last = now;
            int w = 40, filled = total == 0 ? w : (int) (w * done / total);
            System.err.printf(Locale.ROOT, "\r%s [%s%s] %d/%d", task, "#".repeat(filled), ".".repeat(w - filled), done, total);
        }
    }
}
