package dev.e8q.convert;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.e8q.codec.E8Codec;
import dev.e8q.codec.E8Encoder;
import dev.e8q.codec.E8Matrix;
import dev.e8q.codec.EncodeResult;
import dev.e8q.codec.Parallel;
import dev.e8q.codec.ProgressListener;
import dev.e8q.finetune.Block;
import dev.e8q.finetune.BlockShape;
import dev.e8q.finetune.BlockTuner;
import dev.e8q.finetune.E2eTuner;
import dev.e8q.finetune.FromLlama;
import dev.e8q.finetune.LinearParam;
import dev.e8q.finetune.Model;
import dev.e8q.finetune.QuantLinear;
import dev.e8q.finetune.Teacher;
import dev.e8q.llama.Linear;
import dev.e8q.llama.LlamaConfig;
import dev.e8q.llama.WeightSource;
import dev.e8q.llama.io.Checkpoints;
import dev.e8q.llama.io.DType;
import dev.e8q.llama.io.SafetensorsReader;
import dev.e8q.llama.io.SafetensorsWriter;
import dev.e8q.llama.model.DecoderBlock;
import dev.e8q.llama.model.DenseLinear;
import dev.e8q.llama.model.LinearGroup;
import dev.e8q.llama.model.LinearKind;
import dev.e8q.llama.model.ModelLoader;
import dev.e8q.llama.model.Rope;
import dev.e8q.llama.tokenizer.Tokenizer;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The conversion pipeline of {@code e8q convert} (issue #4, SPEC §5–§7), callable as a library:
 * <pre>{@code
 * ConvertReport r = Converter.convert(ConvertOptions.builder(model, text, outDir).bits(2).finetune(Finetune.NONE));
 * LlamaModel q = QuantizedCheckpoint.load(outDir, DType.F32);
 * }</pre>
 *
 * <p>Steps: calibration windows ({@link Calibration}); then decoder layer by decoder layer, streaming (only layer i's
 * dense weights and the activations entering layer i are held): run the <b>original</b> layer over the windows,
 * accumulating E[xxᵀ] in fp64 for the inputs of qkv, o, upgate and down plus per-channel statistics; quantize qkv
 * (fused, per-piece RMS scales as fuse_scales) → o → upgate (fused, up first) → down with BlockLDLQ and that group's
 * Hessian; with {@code --finetune block|both}, tune the block (SPEC §6 stage 1) after each of the first three, and
 * quantize later linears from the tuned dense weights with the original Hessians. The next layer's inputs are the
 * original model's outputs of this layer (SPEC §6 stage 1), so every layer is independent of how earlier layers were
 * quantized. Each finished layer is persisted in {@code OUT/.e8q-partial/}. Then (optional) end-to-end tuning, the
 * optional lm_head quantization, and the final files; {@code config.json} is written last and the work directory is
 * removed after it.
 *
 * <p>A llama2.c source (interleaved RoPE) is converted to the Hugging Face layout first ({@link HfLayoutSource}), so
 * the output is a standard HF/QuIP# checkpoint.
 */
public final class Converter {
    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    static final String[] GROUP_NAMES = {"qkv", "o", "upgate", "down"};

    private final ConvertOptions o;
    private LlamaConfig c;
    private HfLayoutSource src;
    private Path partial;
    private final List<ConvertReport.LinearReport> reports = new ArrayList<>();
    private final List<Map<String, Object>> stats = new ArrayList<>();

    private Converter(ConvertOptions o) {
        this.o = o;
    }

    public static ConvertReport convert(ConvertOptions o) throws IOException {
        return new Converter(o).run();
    }

    // ------------------------------------------------------------------------------------------------ run

    private ConvertReport run() throws IOException {
        long t0 = System.nanoTime();
        List<MemoryPoolMXBean> heap = ManagementFactory.getMemoryPoolMXBeans().stream().filter(p -> p.getType() == MemoryType.HEAP).toList();
        heap.forEach(MemoryPoolMXBean::resetPeakUsage);
        if (o.threads != null) Parallel.setThreads(o.threads);
        int failAfter = o.failAfterLayer >= 0 ? o.failAfterLayer : Integer.getInteger("e8q.convert.failAfterLayer", -1);

        if (!Files.exists(o.model)) throw new java.nio.file.NoSuchFileException(o.model.toString(), null, "model not found");
        if (!Files.isRegularFile(o.calibration))
            throw new java.nio.file.NoSuchFileException(o.calibration.toString(), null, "calibration text not found");
        WeightSource raw = Checkpoints.open(o.model);
        try (HfLayoutSource s = new HfLayoutSource(raw)) {
            src = s;
            c = s.config();
            checkArchitecture(c);
            if (o.context > c.maxSeqLen())
                throw new IllegalArgumentException("--context " + o.context + " exceeds the model's maximum sequence length " + c.maxSeqLen());
            if (o.finetune != ConvertOptions.Finetune.NONE && o.ftContext > c.maxSeqLen())
                throw new IllegalArgumentException("--ft-context " + o.ftContext + " exceeds the model's maximum sequence length " + c.maxSeqLen());
            Path tokPath = tokenizerPath();
            Tokenizer tok = ModelLoader.tokenizer(o.model, tokPath);
            if (tok.vocabSize() > c.vocabSize())
                throw new IllegalArgumentException("tokenizer has " + tok.vocabSize() + " tokens, the model only " + c.vocabSize());
            String text;
            try {
                text = Files.readString(o.calibration, StandardCharsets.UTF_8);
            } catch (java.nio.charset.CharacterCodingException e) {
                throw new IllegalArgumentException("calibration text " + o.calibration + " is not valid UTF-8 (" + e + ")");
            }
            List<int[]> calib = Calibration.windows(tok, text, o.samples, o.context);
            boolean ft = o.finetune != ConvertOptions.Finetune.NONE;
            boolean sameFt = ft && o.ftSamples == o.samples && o.ftContext == o.context;
            List<int[]> ftWin = !ft ? List.of() : sameFt ? calib : Calibration.windows(tok, text, o.ftSamples, o.ftContext);

            scanFinite();
            String hash = manifestHash(tokPath);
            Path outDir = o.out;
            if (prepareOutput(outDir, hash)) {
                o.log.accept(outDir + " already holds this conversion (same model, data and options); nothing to do");
                return readReport(outDir, t0, heap);
            }

            int resumed = convertLayers(calib, ftWin, sameFt, failAfter);
            String e2e = o.finetune.e2e() ? endToEnd(ftWin) : null;
            if (o.quantizeLmHead) quantizeHead(calib);
            long modelBytes = assemble(outDir, tokPath, hash);
            long peak = 0;
            for (MemoryPoolMXBean p : heap) peak += p.getPeakUsage().getUsed();
            ConvertReport r = report(outDir, modelBytes, (System.nanoTime() - t0) / 1e9, peak, resumed, e2e);
            writeJson(outDir.resolve("report.json"), r.toMap());
            writeConfig(outDir, hash);
            deleteTree(partial);
            return r;
        }
    }

    static void checkArchitecture(LlamaConfig c) {
        String a = c.architecture();
        if (!(a.equals("llama") || a.equals("llama2c") || a.equals("mistral") || a.equals("qwen2")))
            throw new IllegalArgumentException("unsupported architecture '" + a + "': e8q convert handles Llama-family models "
                    + "(llama, llama2.c, mistral, qwen2)");
        if (c.headDim() % 2 != 0) throw new IllegalArgumentException("odd head dimension " + c.headDim());
    }

    /** The tokenizer file to use and copy: explicit, or tokenizer.json/.bin in a model dir, or the one beside a .bin. */
    private Path tokenizerPath() throws IOException {
        if (o.tokenizer != null) return o.tokenizer;
        if (Files.isDirectory(o.model)) {
            for (String n : new String[] {"tokenizer.json", "tokenizer.bin"}) if (Files.exists(o.model.resolve(n))) return o.model.resolve(n);
            throw new IOException("no tokenizer.json or tokenizer.bin in " + o.model + "; pass --tokenizer");
        }
        Path dir = o.model.toAbsolutePath().getParent();
        if (Files.exists(dir.resolve("tokenizer.json"))) return dir.resolve("tokenizer.json");
        List<Path> bins;
        try (var st = Files.list(dir)) {
            bins = st.filter(p -> {
                String n = p.getFileName().toString();
                return n.endsWith(".bin") && (n.startsWith("tok") || n.startsWith("tokenizer"));
            }).sorted().toList();
        }
        if (bins.size() == 1) return bins.get(0);
        throw new IOException("no unique tokenizer beside " + o.model + " (found " + bins.size() + "); pass --tokenizer");
    }

    /** Every tensor of the source must be finite; the error names the first bad one (before any long computation). */
    private void scanFinite() throws IOException {
        for (String n : src.names()) src.read(n);
    }

    // ------------------------------------------------------------------------------------------------ output dir, manifest

    private String manifestHash(Path tokPath) throws IOException {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("format", 1);
        m.put("model", digestOf(o.model));
        m.put("tokenizer", digestOf(tokPath));
        m.put("calibration", digestOf(o.calibration));
        m.put("options", o.outputAffecting());
        return sha256(JSON.writeValueAsBytes(m));
    }

    /** Deletes the hidden temp files our atomic writers create (".*.tmp") directly inside {@code dir}. */
    private static void removeStaleTemps(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) return;
        try (var st = Files.list(dir)) {
            for (Path f : (Iterable<Path>) st::iterator) {
                String n = f.getFileName().toString();
                if (n.startsWith(".") && n.endsWith(".tmp") && Files.isRegularFile(f)) Files.delete(f);
            }
        }
    }

    /** @return true when the directory already holds this very conversion, complete */
    private boolean prepareOutput(Path out, String hash) throws IOException {
        partial = out.resolve(QuantizedCheckpoint.PARTIAL);
        Path manifest = partial.resolve("manifest.json");
        if (Files.exists(out) && !Files.isDirectory(out)) throw new IOException("--out " + out + " exists and is not a directory");
        if (Files.isDirectory(partial)) {
            String old = Files.exists(manifest) ? (String) JSON.readValue(manifest.toFile(), Map.class).get("hash") : null;
            if (!o.resume)
                throw new IOException(out + " holds an unfinished conversion; pass --resume to continue it (same model, data and "
                        + "options), or choose another --out");
            if (old != null && !old.equals(hash))
                throw new IOException(out + " holds an unfinished conversion of a different model, calibration text or options "
                        + "(manifest hash " + old.substring(0, 12) + "…, this run " + hash.substring(0, 12) + "…); refusing to mix them. "
                        + "Use the original command with --resume, or another --out");
            if (old == null) writeManifest(manifest, hash);
            // A run killed mid-write leaves its temp file (".name.<pid>.<time>.tmp"); the resumed run writes under new names.
            removeStaleTemps(out);
            removeStaleTemps(partial);
            return false;
        }
        if (Files.exists(out.resolve("config.json"))) {
            String old = null;
            try {
                Object e = JSON.readValue(out.resolve("config.json").toFile(), Map.class).get("e8q");
                if (e instanceof Map<?, ?> em) old = (String) em.get("manifest_hash");
            } catch (IOException ignored) {
                // unreadable: treat as foreign
            }
            if (o.resume && hash.equals(old)) return true;
            throw new IOException(out + " already holds a " + (hash.equals(old) ? "finished copy of this" : "different")
                    + " conversion (config.json present); choose another --out"
                    + (hash.equals(old) ? " or pass --resume to accept it" : ""));
        }
        if (Files.isDirectory(out)) {
            try (var st = Files.list(out)) {
                if (st.findAny().isPresent())
                    throw new IOException("--out " + out + " exists and is not empty; choose a new or empty directory");
            }
        }
        try {
            Files.createDirectories(partial);
            writeManifest(manifest, hash);
        } catch (java.nio.file.FileSystemException e) {
            throw new IOException("cannot write to the output directory " + out + ": " + e.getMessage(), e);
        }
        return false;
    }

    private void writeManifest(Path manifest, String hash) throws IOException {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("hash", hash);
        m.put("model", o.model.toAbsolutePath().toString());
        m.put("calibration", o.calibration.toAbsolutePath().toString());
        m.put("options", o.outputAffecting());
        writeJson(manifest, m);
    }

    // ------------------------------------------------------------------------------------------------ layers

    private int convertLayers(List<int[]> calib, List<int[]> ftWin, boolean sameFt, int failAfter) throws IOException {
        List<float[]> xs = embedAll(calib);
        boolean blockFt = o.finetune.block();
        List<float[]> fx = blockFt && !sameFt ? embedAll(ftWin) : null;
        Rope rope = new Rope(c);
        int resumed = 0;
        int L = c.nLayers();
        for (int l = 0; l < L; l++) {
            Path layerFile = partial.resolve("layer-" + l + ".safetensors"), layerJson = partial.resolve("layer-" + l + ".json");
            boolean done = Files.exists(layerFile) && Files.exists(layerJson);
            DecoderBlock blk = denseBlock(l, rope);
            Hessian[] h = new Hessian[4];
            h[0] = new Hessian(c.dim(), !done);
            h[1] = new Hessian(c.qDim(), !done);
            h[2] = new Hessian(c.dim(), !done);
            h[3] = new Hessian(c.hiddenDim(), !done);
            int layer = l;
            // Inputs of this layer for block tuning (copies), then run the original layer in place: xs becomes its output.
            List<float[]> ftIn = null;
            if (blockFt && !done) ftIn = (sameFt ? xs : fx).stream().map(float[]::clone).toList();
            String task = "layer " + l + " calibrate";
            for (int i = 0; i < xs.size(); i++) {
                ExactForward.block(blk, xs.get(i), calib.get(i).length, (ly, g, in, rows, cols) -> h[g.ordinal()].add(in, rows, cols));
                o.progress.update(task, i + 1, xs.size());
            }
            if (fx != null) for (int i = 0; i < fx.size(); i++) ExactForward.block(blk, fx.get(i), ftWin.get(i).length, null);
            Map<String, Object> st = new LinkedHashMap<>();
            st.put("layer", l);
            for (int g = 0; g < 4; g++) st.put(GROUP_NAMES[g], h[g].stats());
            stats.add(st);
            if (done) {
                resumed++;
                readLayerReports(layerJson);
                o.log.accept("layer " + l + ": taken from the interrupted run");
            } else {
                List<float[]> ftOut = blockFt ? (sameFt ? xs : fx) : null;
                quantizeLayer(layer, blk, h, ftIn, ftOut, layerFile, layerJson);
            }
            o.progress.update("layers", l + 1, L);
            if (failAfter == l) throw new ConvertOptions.InjectedFailure("injected failure after layer " + l + " (test hook)");
        }
        finalHidden = xs;
        return resumed;
    }

    /** Block-0 inputs of the windows (the embedding table is not kept). */
    private List<float[]> embedAll(List<int[]> windows) throws IOException {
        float[] emb = src.read(src.has("model.embed_tokens.weight") ? "model.embed_tokens.weight" : "lm_head.weight");
        List<float[]> xs = new ArrayList<>(windows.size());
        for (int[] w : windows) xs.add(embed(emb, w));
        return xs;
    }

    /** The original model's hidden states after the last layer (for the lm_head Hessian). */
    private List<float[]> finalHidden;

    private float[] embed(float[] emb, int[] tokens) {
        int d = c.dim();
        float[] x = new float[tokens.length * d];
        for (int t = 0; t < tokens.length; t++) {
            if (tokens[t] < 0 || tokens[t] >= c.vocabSize()) throw new IllegalArgumentException("token " + tokens[t] + " outside the vocabulary");
            System.arraycopy(emb, tokens[t] * d, x, t * d, d);
        }
        return x;
    }

    private DecoderBlock denseBlock(int l, Rope rope) throws IOException {
        EnumMap<LinearKind, Linear> lin = new EnumMap<>(LinearKind.class);
        for (LinearKind k : LinearKind.values()) {
            int[] s = shape(k);
            lin.put(k, DenseLinear.of(read(k.weightName(l), (long) s[0] * s[1]), s[0], s[1], dev.e8q.llama.model.DType.F32));
        }
        String p = "model.layers." + l + ".";
        boolean b = c.attentionBias();
        return new DecoderBlock(l, c, rope, read(p + "input_layernorm.weight", c.dim()), read(p + "post_attention_layernorm.weight", c.dim()),
                lin, b ? read(LinearKind.Q.biasName(l), c.qDim()) : null, b ? read(LinearKind.K.biasName(l), c.kvDim()) : null,
                b ? read(LinearKind.V.biasName(l), c.kvDim()) : null);
    }

    private int[] shape(LinearKind k) {
        return switch (k) {
            case Q -> new int[] {c.qDim(), c.dim()};
            case K, V -> new int[] {c.kvDim(), c.dim()};
            case O -> new int[] {c.dim(), c.qDim()};
            case GATE, UP -> new int[] {c.hiddenDim(), c.dim()};
            case DOWN -> new int[] {c.dim(), c.hiddenDim()};
        };
    }

    private float[] read(String name, long n) throws IOException {
        if (!src.has(name)) throw new IllegalArgumentException("checkpoint has no tensor " + name);
        float[] a = src.read(name);
        if (a.length != n) throw new IllegalArgumentException("tensor " + name + " has " + a.length + " values, want " + n);
        return a;
    }

    /** Deterministic per-linear seed for the RHT signs. */
    private long seedFor(int layer, int kind) {
        long z = o.seed + 0x9E3779B97F4A7C15L * (layer * 8L + kind + 1);
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    private E8Encoder encoder(int layer, int kind, String what) {
        E8Encoder e = E8Codec.encoder().bits(o.bits).seed(seedFor(layer, kind)).refinePasses(o.refinePasses)
                .progress((t, d, n) -> o.progress.update("layer " + layer + " " + what, d, n))
                .rowScaleExponent(o.rowScale).columnScaleExponent(o.colScale)
                .jointResidual(o.jointRvq && o.bits == 4);
        return Double.isNaN(o.rho) ? e : e.rho(o.rho);
    }

    /** ρ candidates of the scale search, as multiples of the codebook default (SPEC §2: QuIP# swept 0.75…1.05). */
    public static final double[] RHO_FACTORS = {1.0, 0.875, 0.75, 0.625};

    /** With {@link ConvertOptions#scaleSearch} (and no ρ override) ρ is searched per linear: {@link E8Encoder#rhoSearch}. */
    private EncodeResult encodeBest(E8Encoder e, float[] w, int rows, int cols) {
        return (o.scaleSearch ? e.rhoSearch(RHO_FACTORS) : e).encodeWithReport(w, rows, cols);
    }

    /** An encoded linear: matrix (SU/SV already rounded to fp16), fp16 fuse scales (null when unfused), report. */
    private record Encoded(E8Matrix m, float[] fuse, EncodeResult r, double rho) {}

    private Encoded encodeFused(int layer, int kind, String what, float[][] pieces, int cols, Hessian h) {
        FusedPieces f = FusedPieces.stack(pieces, cols);
        EncodeResult r = encodeBest(encoder(layer, kind, what).hessian(h.takeSecondMoment()), f.weights(), f.rows(), cols);
        return new Encoded(QuipFormat.roundSigns(r.matrix(), "layer " + layer + " " + what), f.scales(), r, r.rho());
    }

    private Encoded encode(int layer, int kind, String what, float[] w, int rows, int cols, Hessian h) {
        EncodeResult r = encodeBest(encoder(layer, kind, what).hessian(h.takeSecondMoment()), w, rows, cols);
        return new Encoded(QuipFormat.roundSigns(r.matrix(), "layer " + layer + " " + what), null, r, r.rho());
    }

    private void quantizeLayer(int l, DecoderBlock blk, Hessian[] h, List<float[]> ftIn, List<float[]> ftOut, Path layerFile,
                               Path layerJson) throws IOException {
        int d = c.dim(), hd = c.hiddenDim();
        float[] q = weights(blk, LinearKind.Q), k = weights(blk, LinearKind.K), v = weights(blk, LinearKind.V);
        float[] ow = weights(blk, LinearKind.O), up = weights(blk, LinearKind.UP), gate = weights(blk, LinearKind.GATE);
        float[] down = weights(blk, LinearKind.DOWN);
        float[] an = blk.attnNorm().clone(), fn = blk.ffnNorm().clone();
        double[] bias = FromLlama.qkvBias(blk); // [bq; bk; bv] (Qwen2), tuned with the norms; null without biases
        boolean tune = ftIn != null && o.ftEpochs > 0;
        BlockShape shape = tune ? BlockShape.of(c) : null;
        List<ConvertReport.LinearReport> rep = new ArrayList<>();
        String pre = "model.layers." + l + ".";

        Encoded qkv = encodeFused(l, 0, "qkv", new float[][] {q, k, v}, d, h[0]);
        double[] tv = {Double.NaN, Double.NaN};
        if (tune) {
            Block b = new Block(shape, dbl(an), dbl(fn), bias, List.of(quant("qkv", qkv)), dense("o", ow, d, c.qDim()),
                    List.of(dense("up", up, hd, d), dense("gate", gate, hd, d)), dense("down", down, d, hd));
            b = tuneBlock(b, ftIn, ftOut, l, "qkv", tv);
            qkv = withTunedSigns(qkv, (QuantLinear) b.qkv().get(0));
            ow = flt(b.o());
            up = flt(b.upGate().get(0));
            gate = flt(b.upGate().get(1));
            down = flt(b.down());
            an = flt(b.attnNorm().value());
            fn = flt(b.ffnNorm().value());
            if (bias != null) bias = b.qkvBias().value().clone();
        }
        rep.add(linearReport(l, QuipFormat.QKV, qkv, tv));

        Encoded o2 = encode(l, 1, "o", ow, d, c.qDim(), h[1]);
        tv = new double[] {Double.NaN, Double.NaN};
        if (tune) {
            Block b = new Block(shape, dbl(an), dbl(fn), bias, List.of(quant("qkv", qkv)), quant("o", o2),
                    List.of(dense("up", up, hd, d), dense("gate", gate, hd, d)), dense("down", down, d, hd));
            b = tuneBlock(b, ftIn, ftOut, l, "o", tv);
            qkv = withTunedSigns(qkv, (QuantLinear) b.qkv().get(0));
            o2 = withTunedSigns(o2, (QuantLinear) b.o());
            up = flt(b.upGate().get(0));
            gate = flt(b.upGate().get(1));
            down = flt(b.down());
            an = flt(b.attnNorm().value());
            fn = flt(b.ffnNorm().value());
            if (bias != null) bias = b.qkvBias().value().clone();
        }
        rep.add(linearReport(l, QuipFormat.O, o2, tv));

        Encoded ug = encodeFused(l, 2, "upgate", new float[][] {up, gate}, d, h[2]);
        tv = new double[] {Double.NaN, Double.NaN};
        if (tune) {
            Block b = new Block(shape, dbl(an), dbl(fn), bias, List.of(quant("qkv", qkv)), quant("o", o2), List.of(quant("upgate", ug)),
                    dense("down", down, d, hd));
            b = tuneBlock(b, ftIn, ftOut, l, "upgate", tv);
            qkv = withTunedSigns(qkv, (QuantLinear) b.qkv().get(0));
            o2 = withTunedSigns(o2, (QuantLinear) b.o());
            ug = withTunedSigns(ug, (QuantLinear) b.upGate().get(0));
            down = flt(b.down());
            an = flt(b.attnNorm().value());
            fn = flt(b.ffnNorm().value());
            if (bias != null) bias = b.qkvBias().value().clone();
        }
        rep.add(linearReport(l, QuipFormat.UPGATE, ug, tv));

        Encoded dn = encode(l, 3, "down", down, d, hd, h[3]);
        rep.add(linearReport(l, QuipFormat.DOWN, dn, new double[] {Double.NaN, Double.NaN}));

        SafetensorsWriter w = new SafetensorsWriter().metadata("format", "pt");
        QuipFormat.write(w, pre + QuipFormat.QKV, qkv.m(), qkv.fuse());
        QuipFormat.write(w, pre + QuipFormat.O, o2.m(), null);
        QuipFormat.write(w, pre + QuipFormat.UPGATE, ug.m(), ug.fuse());
        QuipFormat.write(w, pre + QuipFormat.DOWN, dn.m(), null);
        dense(w, pre + "input_layernorm.weight", new long[] {d}, an);
        dense(w, pre + "post_attention_layernorm.weight", new long[] {d}, fn);
        writeBias(w, l, bias);
        w.write(layerFile);
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("linears", rep.stream().map(ConvertReport.LinearReport::toMap).toList());
        writeJson(layerJson, j);
        reports.addAll(rep);
        o.log.accept(String.format(java.util.Locale.ROOT, "layer %d: proxy loss qkv %.4g, o %.4g, upgate %.4g, down %.4g", l,
                rep.get(0).proxyLoss(), rep.get(1).proxyLoss(), rep.get(2).proxyLoss(), rep.get(3).proxyLoss()));
    }

    private void readLayerReports(Path layerJson) throws IOException {
        Map<?, ?> m = JSON.readValue(layerJson.toFile(), Map.class);
        for (Object e : (List<?>) m.get("linears")) reports.add(ConvertReport.LinearReport.fromMap((Map<?, ?>) e));
    }

    private static ConvertReport.LinearReport linearReport(int l, String name, Encoded e, double[] tv) {
        EncodeResult r = e.r();
        E8Matrix m = e.m();
        return new ConvertReport.LinearReport(l, name, m.rows(), m.cols(), m.paddedRows(), m.paddedCols(), r.proxyLoss(),
                e.rho(), r.relativeError(), r.damping(), r.dampingIncreased(), r.seconds(), tv[0], tv[1]);
    }

    private Block tuneBlock(Block b, List<float[]> in, List<float[]> out, int l, String after, double[] tv) {
        BlockTuner.Options opt = BlockTuner.Options.defaults().withLearningRates(o.ftLr, o.ftSignLr)
                .withEpochs(o.ftEpochs, Math.min(3, Math.max(1, o.ftEpochs))).withSeed(seedFor(l, 7));
        BlockTuner.Result r = BlockTuner.tune(b, in, out, opt, (t, d, n) -> o.progress.update("layer " + l + " tune after " + after, d, n));
        tv[0] = r.history().initialValLoss();
        tv[1] = r.history().finalValLoss();
        o.log.accept("layer " + l + " block tune after " + after + ": " + r.history().summary());
        return r.block();
    }

    private static float[] weights(DecoderBlock b, LinearKind k) {
        return ((DenseLinear) b.linear(k)).weights().clone();
    }

    /** A fine-tuning view of an encoded linear: fixed decoded Ŵr, trainable SU/SV, fuse scales as fixed row scales. */
    static QuantLinear quant(String name, E8Matrix m, float[] fuse, int[] pieceRows) {
        float[] wrF = m.decodeRotated();
        double[] wr = new double[wrF.length];
        for (int i = 0; i < wr.length; i++) wr[i] = wrF[i];
        double[] rowScale = null;
        if (fuse != null) {
            rowScale = new double[m.rows()];
            int off = 0;
            for (int i = 0; i < fuse.length; i++) {
                java.util.Arrays.fill(rowScale, off, off + pieceRows[i], fuse[i]);
                off += pieceRows[i];
            }
        }
        return new QuantLinear(name, m.rows(), m.cols(), wr, dev.e8q.finetune.Rotation.hadamard(m.paddedRows()),
                dev.e8q.finetune.Rotation.hadamard(m.paddedCols()), dbl(m.su()), dbl(m.sv()), rowScale);
    }

    private QuantLinear quant(String name, Encoded e) {
        int[] rows = e.fuse() == null ? null : e.fuse().length == 3 ? new int[] {c.qDim(), c.kvDim(), c.kvDim()}
                : new int[] {c.hiddenDim(), c.hiddenDim()};
        return quant(name, e.m(), e.fuse(), rows);
    }

    private static Encoded withTunedSigns(Encoded e, QuantLinear t) {
        E8Matrix m = e.m().withSignVectors(QuipFormat.fp16(flt(t.su().value())), QuipFormat.fp16(flt(t.sv().value())));
        return new Encoded(m, e.fuse(), e.r(), e.rho());
    }

    private static dev.e8q.finetune.DenseLinear dense(String name, float[] w, int rows, int cols) {
        return dev.e8q.finetune.DenseLinear.of(name, rows, cols, w);
    }

    static double[] dbl(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < d.length; i++) d[i] = f[i];
        return d;
    }

    static float[] flt(double[] d) {
        float[] f = new float[d.length];
        for (int i = 0; i < f.length; i++) f[i] = (float) d[i];
        return f;
    }

    private static float[] flt(LinearParam p) {
        return ((dev.e8q.finetune.DenseLinear) p).weightAsFloat();
    }

    // ------------------------------------------------------------------------------------------------ e2e

    /** Reads one persisted layer as fine-tuning block parameters (quantized linears exactly as stored). */
    private Block storedBlock(int l, SafetensorsReader r) throws IOException {
        String pre = "model.layers." + l + ".";
        QuipFormat.Tensors t = tensors(r);
        int d = c.dim(), hd = c.hiddenDim();
        QuipFormat.Stored qkv = QuipFormat.read(t, pre + QuipFormat.QKV, c.qDim() + 2 * c.kvDim(), d, o.bits, -1, 3);
        QuipFormat.Stored ow = QuipFormat.read(t, pre + QuipFormat.O, d, c.qDim(), o.bits, -1, 0);
        QuipFormat.Stored ug = QuipFormat.read(t, pre + QuipFormat.UPGATE, 2 * hd, d, o.bits, -1, 2);
        QuipFormat.Stored dn = QuipFormat.read(t, pre + QuipFormat.DOWN, d, hd, o.bits, -1, 0);
        return new Block(BlockShape.of(c), dbl(r.readFloats(pre + "input_layernorm.weight")), dbl(r.readFloats(pre + "post_attention_layernorm.weight")),
                storedBias(l, r), List.of(quant(pre + QuipFormat.QKV, qkv.matrix(), qkv.fuseScales(), new int[] {c.qDim(), c.kvDim(), c.kvDim()})),
                quant(pre + QuipFormat.O, ow.matrix(), null, null),
                List.of(quant(pre + QuipFormat.UPGATE, ug.matrix(), ug.fuseScales(), new int[] {hd, hd})),
                quant(pre + QuipFormat.DOWN, dn.matrix(), null, null));
    }

    /** q/k/v biases (Qwen2) as the writer stores them: one tensor per projection, under the source's names. */
    private void writeBias(SafetensorsWriter w, int l, double[] bias) {
        if (bias == null) return;
        float[] f = flt(bias);
        int q = c.qDim(), kv = c.kvDim();
        dense(w, LinearKind.Q.biasName(l), new long[] {q}, java.util.Arrays.copyOfRange(f, 0, q));
        dense(w, LinearKind.K.biasName(l), new long[] {kv}, java.util.Arrays.copyOfRange(f, q, q + kv));
        dense(w, LinearKind.V.biasName(l), new long[] {kv}, java.util.Arrays.copyOfRange(f, q + kv, q + 2 * kv));
    }

    /** [bq; bk; bv] from a persisted layer, or null without biases. */
    private double[] storedBias(int l, SafetensorsReader r) throws IOException {
        if (!c.attentionBias()) return null;
        return FromLlama.qkvBias(c, r.readFloats(LinearKind.Q.biasName(l)), r.readFloats(LinearKind.K.biasName(l)),
                r.readFloats(LinearKind.V.biasName(l)));
    }

    static QuipFormat.Tensors tensors(SafetensorsReader r) {
        return new QuipFormat.Tensors() {
            public boolean has(String n) { return r.has(n); }

            public SafetensorsReader reader(String n) { return r; }

            public Path where(String n) { return r.path(); }
        };
    }

    private float[] originalHead() throws IOException {
        long n = (long) c.vocabSize() * c.dim();
        if (src.has("lm_head.weight")) return read("lm_head.weight", n);
        return read("model.embed_tokens.weight", n);
    }

    private String endToEnd(List<int[]> seqs) throws IOException {
        Path e2eFile = partial.resolve("e2e.safetensors"), e2eJson = partial.resolve("e2e.json");
        if (Files.exists(e2eFile) && Files.exists(e2eJson)) {
            o.log.accept("end-to-end tuning: taken from the interrupted run");
            return (String) JSON.readValue(e2eJson.toFile(), Map.class).get("summary");
        }
        if (o.e2eEpochs == 0) return "skipped (0 epochs)";
        int L = c.nLayers();
        BlockShape shape = BlockShape.of(c);
        float[] emb = read(src.has("model.embed_tokens.weight") ? "model.embed_tokens.weight" : "lm_head.weight", (long) c.vocabSize() * c.dim());
        float[] finalNorm = read("model.norm.weight", c.dim());
        List<Block> student = new ArrayList<>(), teacher = new ArrayList<>();
        List<SafetensorsReader> open = new ArrayList<>();
        Rope rope = new Rope(c);
        try {
            for (int l = 0; l < L; l++) {
                SafetensorsReader r = SafetensorsReader.open(partial.resolve("layer-" + l + ".safetensors"));
                open.add(r);
                student.add(storedBlock(l, r));
                teacher.add(FromLlama.denseBlock(denseBlock(l, rope)));
            }
        } finally {
            open.forEach(SafetensorsReader::close);
        }
        double[] head = dbl(originalHead());
        Model teach = new Model(shape, c.vocabSize(), emb, teacher, dbl(finalNorm), head.clone());
        Teacher soft = Teacher.of(teach, seqs);
        teacher.clear();
        Model stud = new Model(shape, c.vocabSize(), emb, student, dbl(finalNorm), head);
        E2eTuner.Options opt = E2eTuner.Options.defaults().withLearningRates(o.e2eLr, o.e2eSignLr)
                .withEpochs(o.e2eEpochs, Math.min(2, Math.max(1, o.e2eEpochs)));
        E2eTuner.Result res = E2eTuner.tune(stud, seqs, soft, opt, (t, d, n) -> o.progress.update("end-to-end tune", d, n));
        Model m = res.model();
        SafetensorsWriter w = new SafetensorsWriter().metadata("format", "pt");
        for (int l = 0; l < L; l++) {
            Block b = m.blocks().get(l);
            String pre = "model.layers." + l + ".";
            String[] names = {QuipFormat.QKV, QuipFormat.O, QuipFormat.UPGATE, QuipFormat.DOWN};
            QuantLinear[] ql = {(QuantLinear) b.qkv().get(0), (QuantLinear) b.o(), (QuantLinear) b.upGate().get(0), (QuantLinear) b.down()};
            for (int i = 0; i < 4; i++) {
                w.addF16(pre + names[i] + ".SU", new long[] {ql[i].paddedCols()}, flt(ql[i].su().value()));
                w.addF16(pre + names[i] + ".SV", new long[] {ql[i].paddedRows()}, flt(ql[i].sv().value()));
            }
            dense(w, pre + "input_layernorm.weight", new long[] {c.dim()}, flt(b.attnNorm().value()));
            dense(w, pre + "post_attention_layernorm.weight", new long[] {c.dim()}, flt(b.ffnNorm().value()));
            writeBias(w, l, b.qkvBias() == null ? null : b.qkvBias().value());
        }
        dense(w, "model.norm.weight", new long[] {c.dim()}, flt(m.finalNorm().value()));
        // Kept in float here: it may still be quantized (--quantize-lm-head); the final file stores F16.
        w.addF32("lm_head.weight", new long[] {c.vocabSize(), c.dim()}, flt(m.lmHead().weight().value()));
        w.write(e2eFile);
        String summary = res.history().summary();
        writeJson(e2eJson, Map.of("summary", summary));
        o.log.accept("end-to-end tuning: " + summary);
        return summary;
    }

    // ------------------------------------------------------------------------------------------------ lm_head

    private void quantizeHead(List<int[]> calib) throws IOException {
        Path headFile = partial.resolve("head.safetensors");
        if (Files.exists(headFile)) return;
        float[] norm = read("model.norm.weight", c.dim());
        Hessian h = new Hessian(c.dim(), true);
        int d = c.dim();
        for (int i = 0; i < finalHidden.size(); i++) {
            float[] x = finalHidden.get(i);
            int T = calib.get(i).length;
            float[] xn = new float[T * d];
            ExactForward.rmsnormRows(xn, x, norm, T, d, c.normEps());
            h.add(xn, T, d);
        }
        float[] head;
        Path e2eFile = partial.resolve("e2e.safetensors");
        if (Files.exists(e2eFile)) {
            try (SafetensorsReader r = SafetensorsReader.open(e2eFile)) {
                head = r.readFloats("lm_head.weight");
            }
        } else {
            head = originalHead();
        }
        Encoded e = encode(c.nLayers(), 0, "lm_head", head, c.vocabSize(), d, h);
        reports.add(linearReport(-1, "lm_head", e, new double[] {Double.NaN, Double.NaN}));
        SafetensorsWriter w = new SafetensorsWriter().metadata("format", "pt");
        QuipFormat.write(w, "lm_head", e.m(), null);
        w.write(headFile);
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("linears", List.of(reports.getLast().toMap()));
        writeJson(partial.resolve("head.json"), j);
    }

    // ------------------------------------------------------------------------------------------------ final files

    private long assemble(Path out, Path tokPath, String hash) throws IOException {
        o.progress.update("write", 0, 1);
        List<SafetensorsReader> open = new ArrayList<>();
        try {
            SafetensorsReader e2e = Files.exists(partial.resolve("e2e.safetensors")) ? SafetensorsReader.open(partial.resolve("e2e.safetensors")) : null;
            if (e2e != null) open.add(e2e);
            SafetensorsWriter w = new SafetensorsWriter().metadata("format", "pt");
            for (int l = 0; l < c.nLayers(); l++) {
                SafetensorsReader r = SafetensorsReader.open(partial.resolve("layer-" + l + ".safetensors"));
                open.add(r);
                for (String n : r.names()) copy(w, e2e != null && e2e.has(n) ? e2e : r, n, null);
            }
            float[] emb = read(src.has("model.embed_tokens.weight") ? "model.embed_tokens.weight" : "lm_head.weight", (long) c.vocabSize() * c.dim());
            dense(w, "model.embed_tokens.weight", new long[] {c.vocabSize(), c.dim()}, emb);
            if (e2e != null) copy(w, e2e, "model.norm.weight", null);
            else dense(w, "model.norm.weight", new long[] {c.dim()}, read("model.norm.weight", c.dim()));
            if (o.quantizeLmHead) {
                SafetensorsReader hr = SafetensorsReader.open(partial.resolve("head.safetensors"));
                open.add(hr);
                for (String n : hr.names()) copy(w, hr, n, null);
                if (reports.stream().noneMatch(r -> r.name().equals("lm_head"))) readLayerReports(partial.resolve("head.json"));
            } else if (e2e != null) {
                copy(w, e2e, "lm_head.weight", o.denseF32 ? DType.F32 : DType.F16);
            } else if (!c.tiedEmbeddings()) {
                dense(w, "lm_head.weight", new long[] {c.vocabSize(), c.dim()}, originalHead());
            } // tied and untouched: written once, as the embedding (tie_word_embeddings: true), as transformers does
            w.write(out.resolve("model.safetensors"));
        } finally {
            open.forEach(SafetensorsReader::close);
        }
        copyTokenizer(tokPath, out);
        writeJson(out.resolve("activation_stats.json"), Map.of("layers", stats));
        o.progress.update("write", 1, 1);
        return Files.size(out.resolve("model.safetensors"));
    }

    /** Embedding, norms and a dense lm_head: F16 (SPEC §7) or, with {@code --dense-dtype f32}, F32. */
    private void dense(SafetensorsWriter w, String name, long[] shape, float[] v) {
        if (o.denseF32) w.addF32(name, shape, v);
        else w.addF16(name, shape, v);
    }

    /** Declares tensor {@code name} of {@code r} in {@code w}, copying bytes (or converting F32 → {@code as}). */
    private static void copy(SafetensorsWriter w, SafetensorsReader r, String name, DType as) throws IOException {
        DType dt = r.dtype(name);
        long[] shape = r.shape(name);
        if (as != null && as != dt) {
            float[] v = r.readFloats(name);
            if (as == DType.F16) w.addF16(name, shape, v);
            else w.addF32(name, shape, v);
            return;
        }
        w.add(name, dt, shape, sink -> {
            MemorySegment s = r.segment(name);
            long n = s.byteSize();
            for (long i = 0; i < n; i++) sink.putByte(s.get(ValueLayout.JAVA_BYTE, i));
        });
    }

    private void copyTokenizer(Path tok, Path out) throws IOException {
        String name = tok.getFileName().toString().endsWith(".json") ? "tokenizer.json" : "tokenizer.bin";
        dev.e8q.llama.io.AtomicFiles.copy(tok, out.resolve(name));
        Path dir = tok.toAbsolutePath().getParent();
        if (name.equals("tokenizer.json"))
            for (String extra : new String[] {"tokenizer_config.json", "special_tokens_map.json", "generation_config.json",
                    "chat_template.jinja", "chat_template.json"})
                if (Files.exists(dir.resolve(extra))) dev.e8q.llama.io.AtomicFiles.copy(dir.resolve(extra), out.resolve(extra));
    }

    private ConvertReport report(Path out, long modelBytes, double secs, long peak, int resumed, String e2e) throws IOException {
        long weights = 0, bits = 0;
        for (ConvertReport.LinearReport r : reports) {
            weights += (long) r.rows() * r.cols();
            bits += (long) r.paddedRows() * r.paddedCols() * o.bits + 16L * (r.paddedRows() + r.paddedCols() + 2)
                    + (r.name().endsWith("qkv_proj") ? 48 : r.name().endsWith("upgate_proj") ? 32 : 0);
        }
        return new ConvertReport(out, List.copyOf(reports), weights == 0 ? 0 : (double) bits / weights, weights, modelBytes,
                sourceBytes(), secs, peak, resumed, e2e);
    }

    private long sourceBytes() throws IOException {
        if (!Files.isDirectory(o.model)) return Files.size(o.model);
        long s = 0;
        try (var st = Files.list(o.model)) {
            for (Path p : st.filter(p -> p.getFileName().toString().endsWith(".safetensors")).toList()) s += Files.size(p);
        }
        return s;
    }

    private ConvertReport readReport(Path out, long t0, List<MemoryPoolMXBean> heap) throws IOException {
        Map<?, ?> m = JSON.readValue(out.resolve("report.json").toFile(), Map.class);
        for (Object e : (List<?>) m.get("linears")) reports.add(ConvertReport.LinearReport.fromMap((Map<?, ?>) e));
        Map<?, ?> t = (Map<?, ?>) m.get("totals");
        long peak = 0;
        for (MemoryPoolMXBean p : heap) peak += p.getPeakUsage().getUsed();
        return new ConvertReport(out, List.copyOf(reports), ((Number) t.get("bits_per_weight")).doubleValue(),
                ((Number) t.get("quantized_weights")).longValue(), Files.size(out.resolve("model.safetensors")),
                ((Number) t.get("source_bytes")).longValue(), (System.nanoTime() - t0) / 1e9, peak, c.nLayers(), (String) t.get("e2e"));
    }

    /** config.json: a Hugging Face LlamaConfig + quip_params (SPEC §7) + an e8q block. Written last. */
    private void writeConfig(Path out, String hash) throws IOException {
        // A tied head stays tied (and is not written) unless it was tuned or quantized.
        ObjectNode j = dev.e8q.llama.io.HfConfig.toJson(c, c.tiedEmbeddings() && !o.finetune.e2e() && !o.quantizeLmHead,
                o.denseF32 ? "float32" : "float16");
        ObjectNode q = j.putObject("quip_params");
        q.put("codebook", QuipFormat.codebookName(o.bits));
        q.put("codebook_version", QuipFormat.codebookVersion(o.bits));
        q.put("codesz", 8);
        q.put("idx_dtype", "torch.int64");
        q.put("packsz", QuipFormat.packsz(o.bits));
        q.put("lora_rank", 0);
        q.put("rescale_WH", false);
        q.put("resid_scale_override", -1);
        q.put("model_version", 1);
        ObjectNode e = j.putObject("e8q");
        e.put("format_version", 1);
        e.put("complete", true);
        e.put("manifest_hash", hash);
        e.put("source_architecture", c.architecture());
        e.put("source_rope_interleaved", src.permuted());
        e.put("rope_rows_permuted_to_hf", src.permuted());
        e.put("lm_head_quantized", o.quantizeLmHead);
        ObjectNode dims = e.putObject("linears");
        int[][] shapes = {{c.qDim() + 2 * c.kvDim(), c.dim()}, {c.dim(), c.qDim()}, {2 * c.hiddenDim(), c.dim()}, {c.dim(), c.hiddenDim()}};
        String[] names = {QuipFormat.QKV, QuipFormat.O, QuipFormat.UPGATE, QuipFormat.DOWN};
        for (int i = 0; i < 4; i++) {
            ObjectNode s = dims.putObject(names[i]);
            s.putArray("shape").add(shapes[i][0]).add(shapes[i][1]);
            s.putArray("padded_shape").add(dev.e8q.hadamard.Hadamard.paddedSize(shapes[i][0], 16))
                    .add(dev.e8q.hadamard.Hadamard.paddedSize(shapes[i][1], 64));
        }
        ObjectNode opts = e.putObject("options");
        for (Map.Entry<String, Object> en : o.outputAffecting().entrySet()) opts.putPOJO(en.getKey(), en.getValue());
        writeJson(out.resolve("config.json"), j);
    }

    // ------------------------------------------------------------------------------------------------ utilities

    static void writeJson(Path p, Object value) throws IOException {
        dev.e8q.llama.io.AtomicFiles.write(p, JSON.writeValueAsBytes(value));
    }

    static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) return;
        try (var st = Files.walk(p)) {
            for (Path q : st.sorted(java.util.Comparator.reverseOrder()).toList()) Files.delete(q);
        }
    }

    static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** SHA-256 of a file, or of a directory's config.json and weight files (sorted by name). */
    static String digestOf(Path p) throws IOException {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            List<Path> files;
            if (Files.isDirectory(p)) {
                try (var st = Files.list(p)) {
                    files = st.filter(f -> {
                        String n = f.getFileName().toString();
                        return n.equals("config.json") || n.endsWith(".safetensors") || n.endsWith(".index.json");
                    }).sorted().toList();
                }
            } else {
                files = List.of(p);
            }
            byte[] buf = new byte[1 << 20];
            for (Path f : files) {
                md.update(f.getFileName().toString().getBytes(StandardCharsets.UTF_8));
                try (InputStream in = Files.newInputStream(f)) {
                    for (int n; (n = in.read(buf)) > 0; ) md.update(buf, 0, n);
                }
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
