package dev.e8q.compare;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Settings of one {@link CompareRunner} run. Build with {@link #builder}; setters check their argument and return
 * the options.
 */
public final class CompareOptions {
    final Path model, calibration;
    final List<Path> evals = new ArrayList<>();
    Path tokenizer, out, promptsFrom;
    int samples = 128, context = 256;
    int evalContext = 256;
    long evalTokens = 16384;
    int prompts = 20, promptWords = 4, genTokens = 64;
    boolean finetuneRows = true;
    Integer ftSamples, ftContext, ftEpochs;
    long seed = 0;
    Integer threads;
    boolean bothRtnSchemes = true;
    int[] lmHeadBits = {2};
    int[] plainBits = {4, 3, 2};
    int[] noE8Bits = {2};

    private CompareOptions(Path model, Path calibration, List<Path> evals) {
        this.model = Objects.requireNonNull(model, "model");
        this.calibration = Objects.requireNonNull(calibration, "calibration");
        if (evals.isEmpty()) throw new IllegalArgumentException("need at least one --eval text");
        this.evals.addAll(evals);
    }

    public static CompareOptions builder(Path model, Path calibration, List<Path> evals) {
        return new CompareOptions(model, calibration, evals);
    }

    /** Output directory for compare.md, compare.json and the e8q checkpoints (null: a temporary directory, removed after). */
    public CompareOptions out(Path p) { out = p; return this; }

    public CompareOptions tokenizer(Path t) { tokenizer = t; return this; }

    /** Text whose paragraphs give the generation prompts (default: the first --eval text). */
    public CompareOptions promptsFrom(Path p) { promptsFrom = p; return this; }

    /** Calibration windows (Hessians of e8q, no-E8 and the local-error column) and their length. */
    public CompareOptions samples(int n) {
        if (n < 1) throw new IllegalArgumentException("--samples must be >= 1, got " + n);
        samples = n;
        return this;
    }

    public CompareOptions context(int l) {
        if (l < 2) throw new IllegalArgumentException("--context must be >= 2, got " + l);
        context = l;
        return this;
    }

    /** Perplexity window length (BOS + L−1 text tokens). */
    public CompareOptions evalContext(int l) {
        if (l < 2) throw new IllegalArgumentException("--eval-context must be >= 2, got " + l);
        evalContext = l;
        return this;
    }

    /** Text tokens scored per eval text (the first N tokens of the text). */
    public CompareOptions evalTokens(long n) {
        if (n < 1) throw new IllegalArgumentException("--eval-tokens must be >= 1, got " + n);
        evalTokens = n;
        return this;
    }

    public CompareOptions prompts(int n) {
        if (n < 1) throw new IllegalArgumentException("--prompts must be >= 1, got " + n);
        prompts = n;
        return this;
    }

    public CompareOptions promptWords(int n) {
        if (n < 1) throw new IllegalArgumentException("--prompt-words must be >= 1, got " + n);
        promptWords = n;
        return this;
    }

    public CompareOptions genTokens(int n) {
        if (n < 1) throw new IllegalArgumentException("--gen-tokens must be >= 1, got " + n);
        genTokens = n;
        return this;
    }

    public CompareOptions finetuneRows(boolean b) { finetuneRows = b; return this; }

    /** Fine-tuning devset size / length / epochs passed to the converter (null: the converter's defaults). */
    public CompareOptions ftSamples(Integer n) { ftSamples = n; return this; }

    public CompareOptions ftContext(Integer n) { ftContext = n; return this; }

    public CompareOptions ftEpochs(Integer n) { ftEpochs = n; return this; }

    public CompareOptions seed(long s) { seed = s; return this; }

    public CompareOptions threads(Integer t) {
        if (t != null && t < 1) throw new IllegalArgumentException("--threads must be >= 1, got " + t);
        threads = t;
        return this;
    }

    /** Bit widths of the "e8q, lm_head quantized too" rows (default: 2 only). */
    public CompareOptions lmHeadBits(int... bits) {
        for (int b : bits) if (b < 2 || b > 4) throw new IllegalArgumentException("--lm-head-bits must be 2, 3 or 4, got " + b);
        lmHeadBits = bits.clone();
        return this;
    }

    /**
     * Bit widths of the "plain QuIP#" rows: the converter with its own additions off (no row/column scales, greedy RVQ),
     * so that what they add is measured in the same run (default: 4, 3, 2; none = no such rows).
     */
    public CompareOptions plainBits(int... bits) {
        for (int b : bits) if (b < 2 || b > 4) throw new IllegalArgumentException("--plain-quip-bits must be 2, 3 or 4, got " + b);
        plainBits = bits.clone();
        return this;
    }

    /** Bit widths of the "no E8" ablation rows (default: 2 only). */
    public CompareOptions noE8Bits(int... bits) {
        for (int b : bits) if (b < 2 || b > 4) throw new IllegalArgumentException("--no-e8-bits must be 2, 3 or 4, got " + b);
        noE8Bits = bits.clone();
        return this;
    }

    /** Per-group RTN rows with both absmax and zero-point (default); false: zero-point only. */
    public CompareOptions bothRtnSchemes(boolean b) { bothRtnSchemes = b; return this; }

    /** The settings as written into compare.json. */
    Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("model", model.toString());
        m.put("calibration", calibration.toString());
        m.put("eval", evals.stream().map(Path::toString).toList());
        m.put("samples", samples);
        m.put("context", context);
        m.put("eval_context", evalContext);
        m.put("eval_tokens", evalTokens);
        m.put("prompts", prompts);
        m.put("prompt_words", promptWords);
        m.put("gen_tokens", genTokens);
        m.put("no_e8_bits", java.util.Arrays.stream(noE8Bits).boxed().toList());
        m.put("lm_head_bits", java.util.Arrays.stream(lmHeadBits).boxed().toList());
        m.put("plain_quip_bits", java.util.Arrays.stream(plainBits).boxed().toList());
        m.put("finetune_rows", finetuneRows);
        m.put("ft_samples", ftSamples);
        m.put("ft_context", ftContext);
        m.put("ft_epochs", ftEpochs);
        m.put("seed", seed);
        m.put("threads", dev.e8q.codec.Parallel.threads());
        return m;
    }
}
