package dev.e8q.cli;

import dev.e8q.codec.Parallel;
import dev.e8q.convert.QuantizedLinear;
import dev.e8q.cuda.CudaLinears;
import dev.e8q.cuda.CudaUnavailableException;
import dev.e8q.codec.ProgressListener;
import dev.e8q.llama.eval.PerplexityEvaluator;
import dev.e8q.llama.model.DType;
import dev.e8q.llama.model.LlamaModel;
import dev.e8q.llama.model.ModelLoader;
import dev.e8q.llama.tokenizer.HfTokenizer;
import dev.e8q.llama.tokenizer.Tokenizer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code e8q eval}: mean NLL per token and perplexity of a text file. */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = {"Perplexity of a text file.",
                "Default: the text is tokenized once (no BOS) and cut into non-overlapping windows of L-1 tokens, each run as "
                        + "[BOS] + window; every text token is predicted once.",
                "--stories N: one sequence per <|endoftext|>-separated document, [BOS] + document cut to L tokens "
                        + "(the reference figures of shared/data/README.md)."})
public final class EvalCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "llama2.c .bin, Hugging Face directory, or quantized checkpoint")
    Path model;

    @Option(names = "--text", required = true, description = "UTF-8 text file")
    Path text;

    @Option(names = "--tokenizer", description = "tokenizer .bin (llama2.c) or tokenizer.json; default: found beside the model")
    Path tokenizer;

    @Option(names = "--context", description = "window length L in tokens including BOS (default: the model's maximum, at most 2048)")
    Integer context;

    @Option(names = "--max-tokens", defaultValue = "0", description = "use at most this many text tokens, 0 = all")
    long maxTokens;

    @Option(names = "--stories", defaultValue = "0", description = "story mode: first N complete <|endoftext|> documents")
    int stories;

    @Option(names = "--crlf-to-lf", description = "replace CRLF line endings by LF before tokenizing")
    boolean crlf;

    @Option(names = "--no-prefix-space", description = "tokenizer.json only: do not prepend the dummy-prefix space")
    boolean noPrefixSpace;

    @Option(names = "--no-fuse-unk", description = "tokenizer.json only: one <unk> per unknown character (fuse_unk off)")
    boolean noFuseUnk;

    @Option(names = "--dtype", defaultValue = "f32", description = "storage of dense weights: f32, bf16, f16 (default: ${DEFAULT-VALUE})")
    String dtype;

    @Option(names = "--threads", description = "worker threads (default: all cores)")
    Integer threads;

    @Option(names = "--device", defaultValue = "cpu", description = "cpu, or cuda: run the linears on a CUDA GPU (default: ${DEFAULT-VALUE})")
    String device;

    @Override
    public Integer call() throws Exception {
        if (threads != null) Parallel.setThreads(threads);
        LlamaModel m = ModelLoader.load(model, DType.parse(dtype));
        try { // --device cuda: linears on the GPU (module cuda, docs/cuda.md); freed when the process ends
            CudaLinears.onDevice(device, m, l -> l instanceof QuantizedLinear q ? new CudaLinears.Quantized(q.matrix(), q.rowOffset(), q.scale()) : null);
        } catch (CudaUnavailableException e) {
            System.err.println("e8q: --device cuda: " + e.getMessage());
            return 2;
        }
        Tokenizer tok = ModelLoader.tokenizer(model, tokenizer, new HfTokenizer.Options(!noPrefixSpace, noFuseUnk ? Boolean.FALSE : null));
        String s = Files.readString(text, StandardCharsets.UTF_8);
        if (crlf) s = s.replace("\r\n", "\n");
        int L = context != null ? context : Math.min(m.config().maxSeqLen(), 2048);
        if (L > m.config().maxSeqLen()) throw new IllegalArgumentException("--context " + L + " exceeds the model's " + m.config().maxSeqLen());
        PerplexityEvaluator ev = new PerplexityEvaluator(m);
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
