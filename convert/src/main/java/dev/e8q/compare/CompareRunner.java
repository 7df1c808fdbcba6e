package dev.e8q.compare;

import dev.e8q.codec.Parallel;
import dev.e8q.codec.RtnQuantizer;
import dev.e8q.convert.Baselines;
import dev.e8q.convert.Calibration;
import dev.e8q.convert.ConvertOptions;
import dev.e8q.convert.ConvertReport;
import dev.e8q.convert.Converter;
import dev.e8q.convert.QuantizedCheckpoint;
import dev.e8q.llama.LlamaConfig;
import dev.e8q.llama.eval.PerplexityEvaluator;
import dev.e8q.llama.model.DType;
import dev.e8q.llama.model.DenseLinear;
import dev.e8q.llama.model.LlamaModel;
import dev.e8q.llama.model.ModelLoader;
import dev.e8q.llama.tokenizer.Tokenizer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * {@code e8q compare}: quantizes one model with every method of issue #4 (and the fine-tuning stages of issue #6),
 * evaluates each on the same data and reports one row per method.
 *
 * <p>Per row: bits/weight of the decoder linears, stored size, the local error ({@link LocalError}), perplexity on each
 * eval text ({@link PerplexityEvaluator} text mode: the first {@code evalTokens} tokens of the CRLF-normalized text in
 * non-overlapping windows of {@code evalContext}), and generation divergence against the FP model ({@link Divergence}).
 * e8q rows are converted with {@link Converter} into a directory and evaluated from the checkpoint as written and
 * reloaded ({@link QuantizedCheckpoint#load}, fp16 SU/SV, quantized linears), never from in-memory floats.
 */
public final class CompareRunner {
    private final CompareOptions o;
    private final Consumer<String> log;
    private LlamaModel fp, dense;
    private Tokenizer tok;
    private List<CompareResult.Eval> evals;
    private List<List<int[]>> evalWindows;
    private List<int[]> prompts, reference;
    private LocalError local;
    private Path work;

    private CompareRunner(CompareOptions o, Consumer<String> log) {
        this.o = o;
        this.log = log == null ? s -> {} : log;
    }

    public static CompareResult run(CompareOptions o, Consumer<String> log) throws IOException {
        return new CompareRunner(o, log).run();
    }

    private CompareResult run() throws IOException {
        long t0 = System.nanoTime();
        if (o.threads != null) Parallel.setThreads(o.threads);
        fp = ModelLoader.load(o.model, DType.F32);
        tok = ModelLoader.tokenizer(o.model, o.tokenizer);
        dense = Baselines.dense(o.model);
        LlamaConfig c = fp.config();
        if (o.evalContext > c.maxSeqLen())
            throw new IllegalArgumentException("--eval-context " + o.evalContext + " exceeds the model's " + c.maxSeqLen());

        evals = new ArrayList<>();
        evalWindows = new ArrayList<>();
        for (Path p : o.evals) {
            int[] t = evalTokens(tok, Files.readString(p, StandardCharsets.UTF_8), o.evalTokens);
            List<int[]> w = PerplexityEvaluator.windows(t, tok.bos(), o.evalContext, o.evalTokens);
            evals.add(new CompareResult.Eval(stem(p), p.toString(), t.length, w.size()));
            evalWindows.add(w);
            log.accept(String.format(Locale.ROOT, "eval %s: %d tokens in %d windows of <= %d", stem(p), t.length, w.size(), o.evalContext));
        }
        Path promptFile = o.promptsFrom != null ? o.promptsFrom : o.evals.get(0);
        prompts = Divergence.prompts(tok, Files.readString(promptFile, StandardCharsets.UTF_8), o.prompts, o.promptWords);
        reference = Divergence.continuations(fp, prompts, o.genTokens);

        String calib = Files.readString(o.calibration, StandardCharsets.UTF_8);
        long tc = System.nanoTime();
        local = LocalError.collect(dense, Calibration.windows(tok, calib, o.samples, o.context));
        log.accept(String.format(Locale.ROOT, "Hessians of %d windows x %d tokens: %.1f s", o.samples, o.context, secs(tc)));

        boolean temp = o.out == null;
        work = temp ? Files.createTempDirectory("e8q-compare") : o.out.resolve("checkpoints");
        Files.createDirectories(work);
        List<CompareResult.Row> rows = new ArrayList<>(), ft = new ArrayList<>();
        try {
            rows.add(measure("fp", "FP (" + fpName(c) + ")", 32, "-", false, fp, 32, sourceBytes(o.model), local.byKind(dense), Double.NaN,
                    Double.NaN, 0));
            rtnRows(rows);
            for (int b : o.noE8Bits) {
                long tq = System.nanoTime();
                NoE8.Result r = NoE8.quantize(dense, local, b, o.seed);
                rows.add(measure("noe8-" + b, "no E8: RHT + BlockLDLQ, half-integer grid, " + b + "-bit", b, "none", false, r.model(),
                        r.bitsPerWeight(), (r.linearBits() + 7) / 8 + denseNonLinearBytes(c), local.byKind(r.model()),
                        Double.NaN, Double.NaN, secs(tq)));
            }
            for (int b : new int[] {4, 3, 2}) rows.add(e8q(b, ConvertOptions.Finetune.NONE, false));
            for (int b : o.plainBits) rows.add(e8q(b, ConvertOptions.Finetune.NONE, false, true));
            for (int b : o.lmHeadBits) rows.add(e8q(b, ConvertOptions.Finetune.NONE, true));
            if (o.finetuneRows) {
                for (int b : new int[] {2, 3, 4}) {
                    for (ConvertOptions.Finetune f : ConvertOptions.Finetune.values()) {
                        if (f == ConvertOptions.Finetune.NONE) {
                            ft.add(rows.stream().filter(r -> r.id().equals("e8q-" + b)).findFirst().orElseThrow());
                        } else {
                            ft.add(e8q(b, f, false));
                        }
                    }
                }
            }
        } finally {
            if (temp) deleteTree(work);
        }
        CompareResult res = new CompareResult(o.toMap(), modelName(o.model), List.copyOf(evals), List.copyOf(rows), List.copyOf(ft), secs(t0));
        if (o.out != null) CompareReport.write(res, o.out);
        return res;
    }

    // ------------------------------------------------------------------------------------------------ rows

    private void rtnRows(List<CompareResult.Row> rows) {
        RtnQuantizer.Scheme abs = RtnQuantizer.Scheme.SYMMETRIC, zp = RtnQuantizer.Scheme.ASYMMETRIC;
        rtn(rows, "rtn-absmax-ch-8", RtnQuantizer.perChannel(abs, 8), 8);
        rtn(rows, "rtn-absmax-ch-4", RtnQuantizer.perChannel(abs, 4), 4);
        for (int b : new int[] {4, 3, 2}) {
            if (o.bothRtnSchemes) rtn(rows, "rtn-absmax-g64-" + b, RtnQuantizer.perGroup(abs, b, 64), b);
            rtn(rows, "rtn-zp-g64-" + b, RtnQuantizer.perGroup(zp, b, 64), b);
        }
    }

    private void rtn(List<CompareResult.Row> rows, String id, RtnQuantizer q, int bits) {
        long t = System.nanoTime();
        double[] acc = new double[2]; // bits, weights
        LlamaModel m = Models.withLinears(dense, (l, k, lin) -> {
            int out = lin.outFeatures(), in = lin.inFeatures();
            RtnQuantizer.Result r = q.quantize(((DenseLinear) lin).weights(), out, in);
            acc[0] += r.bitsPerWeight() * out * in;
            acc[1] += (double) out * in;
            return DenseLinear.of(r.dequantized(), out, in, DType.F32);
        });
        double secs = secs(t);
        rows.add(measure(id, q.describe(), bits, "-", false, m, acc[0] / acc[1], (long) Math.ceil(acc[0] / 8) + denseNonLinearBytes(m.config()),
                local.byKind(m), Double.NaN, Double.NaN, secs));
    }

    private CompareResult.Row e8q(int bits, ConvertOptions.Finetune f, boolean head) throws IOException {
        return e8q(bits, f, head, false);
    }

    /** plain: the converter as plain QuIP# (no row/column scales, greedy RVQ); id "quip-{bits}". */
    private CompareResult.Row e8q(int bits, ConvertOptions.Finetune f, boolean head, boolean plain) throws IOException {
        String fname = f.name().toLowerCase(Locale.ROOT);
        String id = (plain ? "quip-" : "e8q-") + bits + (f == ConvertOptions.Finetune.NONE ? "" : "-" + fname) + (head ? "-lmhead" : "");
        Path dir = work.resolve(id);
        deleteTree(dir);
        ConvertOptions co = ConvertOptions.builder(o.model, o.calibration, dir).bits(bits).samples(o.samples).context(o.context)
                .seed(o.seed).finetune(f).quantizeLmHead(head).tokenizer(o.tokenizer);
        if (o.ftSamples != null) co.ftSamples(o.ftSamples);
        if (o.ftContext != null) co.ftContext(o.ftContext);
        if (o.ftEpochs != null) co.ftEpochs(o.ftEpochs);
        if (plain) co.rowScale(0).colScale(0).jointRvq(false);
        long t = System.nanoTime();
        ConvertReport rep = Converter.convert(co);
        double convSecs = secs(t);
        LlamaModel q = QuantizedCheckpoint.load(dir, DType.F32);
        double proxy = mean(rep.linears().stream().filter(r -> !r.name().equals("lm_head")).mapToDouble(ConvertReport.LinearReport::proxyLoss));
        double tune = mean(rep.linears().stream().mapToDouble(ConvertReport.LinearReport::tuneAfter));
        String method = (plain ? "plain QuIP# (no row/column scales, greedy RVQ) " : "e8q ") + bits + "-bit (" + (bits == 2 ? "E8P" : "E8P + RVQ") + ")"
                + (f == ConvertOptions.Finetune.NONE ? ", no FT" : ", FT " + fname) + (head ? ", lm_head quantized" : "");
        return measure(id, method, bits, fname, head, q, rep.bitsPerWeight(), rep.modelBytes(), local.byKind(q), proxy, tune, convSecs);
    }

    /** Evaluates one model: perplexity on every eval text and divergence against FP. */
    private CompareResult.Row measure(String id, String method, int bits, String finetune, boolean head, LlamaModel m, double bpw,
                                      long size, java.util.Map<String, Double> localErr, double proxy, double tune, double qSecs) {
        long t = System.nanoTime();
        List<Double> nll = new ArrayList<>(), ppl = new ArrayList<>();
        PerplexityEvaluator ev = new PerplexityEvaluator(m);
        for (List<int[]> w : evalWindows) {
            PerplexityEvaluator.Result r = ev.evaluate(w, null);
            nll.add(r.meanNll());
            ppl.add(r.perplexity());
        }
        int[] d = Divergence.against(m, prompts, reference, o.genTokens);
        double div = Arrays.stream(d).average().orElse(Double.NaN);
        int full = (int) Arrays.stream(d).filter(x -> x == o.genTokens).count();
        CompareResult.Row row = new CompareResult.Row(id, method, bits, finetune, head, bpw, size, localErr.get("all"), java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(localErr)), proxy, tune, List.copyOf(nll),
                List.copyOf(ppl), div, full, qSecs, secs(t));
        log.accept(String.format(Locale.ROOT, "%-22s %6.3f b/w %9d B  local %.4g  ppl %s  div %.1f/%d  (%.1f s + %.1f s eval)", id, bpw,
                size, localErr.get("all"), ppl.stream().map(x -> String.format(Locale.ROOT, "%.3f", x)).toList(), div, o.genTokens, qSecs,
                row.evalSeconds()));
        return row;
    }

    // ------------------------------------------------------------------------------------------------ helpers

    /**
     * The first {@code cap} tokens (no BOS) of the CRLF-normalized text. Tokenizes a prefix cut at a line end (doubling
     * it until it yields well over {@code cap} tokens), so huge texts are not tokenized whole; the tokens returned are
     * those of the whole text as long as no token spans the cut, which the margin of 64 tokens past the cap ensures.
     */
    public static int[] evalTokens(Tokenizer tok, String text, long cap) {
        String t = text.replace("\r\n", "\n");
        long chars = Math.max(4096, cap * 8);
        while (true) {
            String prefix = t;
            if (chars < t.length()) {
                int nl = t.lastIndexOf('\n', (int) chars);
                prefix = t.substring(0, nl > chars / 2 ? nl + 1 : (int) chars);
            }
            int[] ids = tok.encode(prefix, false, false);
            if (ids.length >= cap + 64 || prefix.length() == t.length()) return Arrays.copyOf(ids, (int) Math.min(cap, ids.length));
            chars *= 2;
        }
    }

    /** Bytes of the non-linear parameters stored at fp16: embedding, norms, and lm_head when it is not tied. */
    static long denseNonLinearBytes(LlamaConfig c) {
        long vd = (long) c.vocabSize() * c.dim();
        return 2 * vd + 2L * (2L * c.nLayers() * c.dim() + c.dim()) + (c.tiedEmbeddings() ? 0 : 2 * vd);
    }

    private static long sourceBytes(Path model) throws IOException {
        if (!Files.isDirectory(model)) return Files.size(model);
        long s = 0;
        try (var st = Files.list(model)) {
            for (Path p : st.filter(p -> p.getFileName().toString().endsWith(".safetensors")).toList()) s += Files.size(p);
        }
        return s;
    }

    private static String fpName(LlamaConfig c) {
        return "F32 as loaded";
    }

    static String modelName(Path model) {
        String n = model.getFileName().toString();
        return n.endsWith(".bin") ? n.substring(0, n.length() - 4) : n;
    }

    private static String stem(Path p) {
        String n = p.getFileName().toString();
        int dot = n.lastIndexOf('.');
        return dot > 0 ? n.substring(0, dot) : n;
    }

    private static double mean(java.util.stream.DoubleStream s) {
        return s.filter(Double::isFinite).average().orElse(Double.NaN);
    }

    private static double secs(long t0) {
        return (System.nanoTime() - t0) / 1e9;
    }

    static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) return;
        try (var st = Files.walk(p)) {
            for (Path q : st.sorted(java.util.Comparator.reverseOrder()).toList()) Files.delete(q);
        }
    }
}
