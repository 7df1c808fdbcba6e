package dev.e8q.convert;

import dev.e8q.codec.ProgressListener;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Everything {@link Converter#convert} needs. Build with {@link #builder(Path, Path, Path)}; every setter returns the
 * builder. Options that change the output take part in the resume manifest hash ({@link #outputAffecting()}).
 */
public final class ConvertOptions {
    /** Which fine-tuning stages of SPEC §6 run. */
    public enum Finetune {
        NONE, BLOCK, E2E, BOTH;

        public boolean block() { return this == BLOCK || this == BOTH; }

        public boolean e2e() { return this == E2E || this == BOTH; }

        public static Finetune parse(String s) {
            return switch (s.toLowerCase(java.util.Locale.ROOT)) {
                case "none" -> NONE;
                case "block" -> BLOCK;
                case "e2e" -> E2E;
                case "both" -> BOTH;
                default -> throw new IllegalArgumentException("--finetune must be none, block, e2e or both, got '" + s + "'");
            };
        }
    }

    final Path model, calibration, out;
    Path tokenizer;
    int bits = 2, samples = 128, context = 256;
    long seed = 0;
    Integer threads;
    boolean quantizeLmHead, resume;
    Finetune finetune = Finetune.BOTH;
    int ftSamples = 96, ftContext = 256, ftEpochs = 5, e2eEpochs = 5;
    double ftLr = 1e-3, ftSignLr = 1e-3, e2eLr = 1e-4, e2eSignLr = 1e-3;
    int refinePasses = 10;
    double rho = Double.NaN;
    boolean scaleSearch = true;
    double rowScale = DEFAULT_ROW_SCALE, colScale = DEFAULT_COL_SCALE;
    boolean jointRvq = true;
    boolean denseF32;
    ProgressListener progress = ProgressListener.NONE;
    java.util.function.Consumer<String> log = s -> {};
    int failAfterLayer = -1;

    private ConvertOptions(Path model, Path calibration, Path out) {
        this.model = Objects.requireNonNull(model, "model");
        this.calibration = Objects.requireNonNull(calibration, "calibration");
        this.out = Objects.requireNonNull(out, "out");
    }

    /** @param model a llama2.c .bin or Hugging Face directory; calibration a UTF-8 text; out the output directory */
    public static ConvertOptions builder(Path model, Path calibration, Path out) {
        return new ConvertOptions(model, calibration, out);
    }

    public ConvertOptions bits(int b) {
        if (b < 2 || b > 4) throw new IllegalArgumentException("--bits must be 2, 3 or 4, got " + b);
        bits = b;
        return this;
    }

    /** Tokenizer file (llama2.c .bin or tokenizer.json); default: found beside the model. */
    public ConvertOptions tokenizer(Path t) { tokenizer = t; return this; }

    /** Calibration windows N and their length L (BOS + L−1 text tokens). */
    public ConvertOptions samples(int n) {
        if (n < 1) throw new IllegalArgumentException("--samples must be >= 1, got " + n);
        samples = n;
        return this;
    }

    public ConvertOptions context(int l) {
        if (l < 2) throw new IllegalArgumentException("--context must be >= 2, got " + l);
        context = l;
        return this;
    }

    public ConvertOptions seed(long s) { seed = s; return this; }

    public ConvertOptions threads(Integer t) {
        if (t != null && t < 1) throw new IllegalArgumentException("--threads must be >= 1, got " + t);
        threads = t;
        return this;
    }

    public ConvertOptions quantizeLmHead(boolean b) { quantizeLmHead = b; return this; }

    public ConvertOptions resume(boolean b) { resume = b; return this; }

    public ConvertOptions finetune(Finetune f) { finetune = Objects.requireNonNull(f); return this; }

    /** Fine-tuning devset: windows and their length (taken from the same calibration stream). */
    public ConvertOptions ftSamples(int n) {
        if (n < 2) throw new IllegalArgumentException("--ft-samples must be >= 2 (train + validation), got " + n);
        ftSamples = n;
        return this;
    }

    public ConvertOptions ftContext(int l) {
        if (l < 2) throw new IllegalArgumentException("--ft-context must be >= 2, got " + l);
        ftContext = l;
        return this;
    }

    /** Maximum epochs of both tuning stages. */
    public ConvertOptions ftEpochs(int e) {
        if (e < 0) throw new IllegalArgumentException("--ft-epochs must be >= 0, got " + e);
        ftEpochs = e;
        e2eEpochs = e;
        return this;
    }

    /** Learning rate of dense weights and norms (block stage); the e2e stage uses a tenth of it for norms and lm_head. */
    public ConvertOptions ftLr(double lr) {
        if (!(lr > 0)) throw new IllegalArgumentException("--ft-lr must be > 0, got " + lr);
        ftLr = lr;
        e2eLr = lr / 10;
        return this;
    }

    /** Learning rate of SU/SV in both stages. */
    public ConvertOptions ftSignLr(double lr) {
        if (!(lr > 0)) throw new IllegalArgumentException("--ft-sign-lr must be > 0, got " + lr);
        ftSignLr = lr;
        e2eSignLr = lr;
        return this;
    }

    public ConvertOptions refinePasses(int p) {
        if (p < 0) throw new IllegalArgumentException("refine passes must be >= 0, got " + p);
        refinePasses = p;
        return this;
    }

    /** Overrides ρ (QuIP#'s --scale_override); NaN = the codebook default. */
    public ConvertOptions rho(double r) { rho = r; return this; }

    /** Store embedding, norms and a dense lm_head as F32 instead of SPEC §7's F16. */
    public ConvertOptions denseF32(boolean b) { denseF32 = b; return this; }

    /**
     * Exponent α of the per-row scales folded into SV ({@link dev.e8q.codec.E8Encoder#rowScaleExponent}); 0 = plain
     * QuIP#. The default was chosen by perplexity on stories260K and TinyStories-656K (docs/convert.md).
     */
    public static final double DEFAULT_ROW_SCALE = 0.75;

    /** Exponent β of the per-column scales folded into SU ({@link dev.e8q.codec.E8Encoder#columnScaleExponent}); 0 = off. */
    public static final double DEFAULT_COL_SCALE = 0.5;

    public ConvertOptions colScale(double beta) {
        if (!(beta >= 0) || beta > 1) throw new IllegalArgumentException("--col-scale must be in [0, 1], got " + beta);
        colScale = beta;
        return this;
    }

    /**
     * At 4 bits, choose each block's two E8P codes jointly ({@link dev.e8q.codec.E8Encoder#jointResidual}; default on).
     * 3 bits stays greedy: its E81B residual gains under 1 % from the joint search, for 17× the rounding work.
     */
    public ConvertOptions jointRvq(boolean b) { jointRvq = b; return this; }

    public ConvertOptions rowScale(double alpha) {
        if (!(alpha >= 0) || alpha > 1) throw new IllegalArgumentException("--row-scale must be in [0, 1], got " + alpha);
        rowScale = alpha;
        return this;
    }

    /** Per-linear search of ρ (default on): see {@link Converter}. Ignored when {@link #rho} is set. */
    public ConvertOptions scaleSearch(boolean b) { scaleSearch = b; return this; }

    public ConvertOptions progress(ProgressListener p) { progress = p == null ? ProgressListener.NONE : p; return this; }

    /** Receives one-line messages (warnings, stage summaries). */
    public ConvertOptions log(java.util.function.Consumer<String> l) { log = l == null ? s -> {} : l; return this; }

    /**
     * Test hook: throw {@link InjectedFailure} right after layer {@code k} has been persisted (simulates a killed run).
     * Also settable with the system property {@code e8q.convert.failAfterLayer}.
     */
    public ConvertOptions failAfterLayer(int k) { failAfterLayer = k; return this; }

    public Path model() { return model; }

    public Path calibration() { return calibration; }

    public Path out() { return out; }

    public int bits() { return bits; }

    public Finetune finetune() { return finetune; }

    public int samples() { return samples; }

    public int context() { return context; }

    public long seed() { return seed; }

    public boolean quantizeLmHead() { return quantizeLmHead; }

    /** The options that change the output, in a fixed order (for config.json and the resume manifest). */
    public Map<String, Object> outputAffecting() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("bits", bits);
        m.put("samples", samples);
        m.put("context", context);
        m.put("seed", seed);
        m.put("quantize_lm_head", quantizeLmHead);
        m.put("finetune", finetune.name().toLowerCase(java.util.Locale.ROOT));
        m.put("refine_passes", refinePasses);
        if (denseF32) m.put("dense_dtype", "f32");
        m.put("row_scale", rowScale);
        m.put("col_scale", colScale);
        if (bits == 4) m.put("rvq_search", jointRvq ? "joint" : "greedy");
        m.put("rho", Double.isNaN(rho) ? (scaleSearch ? "search" : "default") : Double.toString(rho));
        if (finetune != Finetune.NONE) {
            m.put("ft_samples", ftSamples);
            m.put("ft_context", ftContext);
            m.put("ft_epochs", ftEpochs);
            m.put("ft_lr", ftLr);
            m.put("ft_sign_lr", ftSignLr);
            m.put("e2e_lr", e2eLr);
            m.put("e2e_sign_lr", e2eSignLr);
            // Fine-tuning sums gradients in per-thread chunks: deterministic for a given thread count only.
            m.put("threads", dev.e8q.codec.Parallel.threads());
        }
        return m;
    }

    /** Thrown by the {@link #failAfterLayer} test hook. */
    public static final class InjectedFailure extends RuntimeException {
        public InjectedFailure(String m) { super(m); }
    }
}
