package dev.e8q.convert;

import static org.junit.jupiter.api.Assertions.*;

import dev.e8q.finetune.Block;
import dev.e8q.finetune.BlockShape;
import dev.e8q.finetune.E2eTuner;
import dev.e8q.finetune.Model;
import dev.e8q.finetune.Teacher;
import dev.e8q.llama.LlamaConfig;
import dev.e8q.llama.eval.PerplexityEvaluator;
import dev.e8q.llama.io.SafetensorsReader;
import dev.e8q.llama.model.DType;
import dev.e8q.llama.model.LlamaModel;
import dev.e8q.llama.model.ModelLoader;
import dev.e8q.llama.testdata.TestData;
import dev.e8q.llama.tokenizer.Tokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Acceptance points of issue #6 on the real stories260K at 2 bits: (1) blockwise + end-to-end fine-tuning lowers held-out
 * perplexity clearly, both checkpoints reloaded from disk; (2) the fine-tuned checkpoint, reloaded, reproduces the
 * end-to-end validation loss that the conversion reported.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FinetuneAcceptanceTest {
    static final int SAMPLES = 32, CONTEXT = 128, FT_SAMPLES = 48, FT_CONTEXT = 64, FT_EPOCHS = 2;
    @TempDir
    static Path tmp;
    Path noneDir, bothDir;
    ConvertReport bothReport;
    double pplNone, pplBoth;
    Tokenizer tok;

    static ConvertOptions options(ConvertOptions.Finetune f, Path out) {
        return ConvertOptions.builder(TestData.stories260K(), TestData.train(), out).bits(2).samples(SAMPLES).context(CONTEXT)
                .finetune(f).ftSamples(FT_SAMPLES).ftContext(FT_CONTEXT).ftEpochs(FT_EPOCHS);
    }

    @BeforeAll
    void convertBoth() throws Exception {
        tok = ModelLoader.tokenizer(TestData.stories260K(), null);
        // held-out text: tinystories_valid_head.txt (the calibration/devset text is tinystories_train_2MiB.txt)
        List<int[]> evalSeqs = Stories260KConvertTest.evalSequences(tok);
        noneDir = tmp.resolve("none");
        bothDir = tmp.resolve("both");
        long t0 = System.nanoTime();
        Converter.convert(options(ConvertOptions.Finetune.NONE, noneDir));
        long t1 = System.nanoTime();
        bothReport = Converter.convert(options(ConvertOptions.Finetune.BOTH, bothDir));
        long t2 = System.nanoTime();
        pplNone = new PerplexityEvaluator(ModelLoader.load(noneDir, DType.F32)).evaluate(evalSeqs, null).perplexity();
        pplBoth = new PerplexityEvaluator(ModelLoader.load(bothDir, DType.F32)).evaluate(evalSeqs, null).perplexity();
        System.out.printf("stories260K 2-bit held-out ppl: none %.4f (%.1f s), both %.4f (%.1f s); e2e: %s%n", pplNone, (t1 - t0) / 1e9,
                pplBoth, (t2 - t1) / 1e9, bothReport.e2e());
    }

    /** Acceptance 1: fine-tuning (blockwise + e2e) gives clearly lower held-out perplexity than none, both reloaded. */
    @Test
    void finetuningLowersHeldOutPerplexity() {
        assertTrue(Double.isFinite(pplNone) && Double.isFinite(pplBoth) && pplBoth > 1, "none " + pplNone + ", both " + pplBoth);
        assertTrue(pplBoth < 0.8 * pplNone, "held-out ppl with --finetune both " + pplBoth + " not < 0.8 × none " + pplNone);
    }

    /**
     * Acceptance 2: the reloaded fine-tuned checkpoint evaluates to the end-to-end validation loss the run reported
     * ({@code report.json} totals.e2e, "val BEFORE -> AFTER ..."): soft-target cross-entropy against the original model on
     * the last round(n/3) devset windows, which is how {@code E2eTuner} splits the devset the converter hands it
     * ({@code Calibration.windows(tok, text, ftSamples, ftContext)}).
     */
    @Test
    void reloadedCheckpointReproducesReportedE2eLoss() throws Exception {
        String e2e = (String) ((java.util.Map<?, ?>) new com.fasterxml.jackson.databind.ObjectMapper()
                .readValue(bothDir.resolve("report.json").toFile(), java.util.Map.class).get("totals")).get("e2e");
        assertEquals(bothReport.e2e(), e2e, "report.json vs returned report");
        Matcher m = Pattern.compile("^val (\\S+) -> (\\S+) ").matcher(e2e);
        assertTrue(m.find(), "unexpected e2e summary: " + e2e);
        double reportedBefore = Double.parseDouble(m.group(1)), reportedAfter = Double.parseDouble(m.group(2));

        String text = Files.readString(TestData.train());
        List<int[]> devset = Calibration.windows(tok, text, FT_SAMPLES, FT_CONTEXT);
        int nVal = (int) Math.max(1, Math.min(devset.size() - 1, Math.round(devset.size() / 3.0)));
        List<int[]> val = devset.subList(devset.size() - nVal, devset.size());

        LlamaModel reloaded = ModelLoader.load(bothDir, DType.F32);
        Model student = fromCheckpoint(reloaded.config(), bothDir.resolve("model.safetensors"));
        Teacher teacher = Teacher.of(Baselines.dense(TestData.stories260K()), val);
        double recomputed = E2eTuner.loss(student, val, teacher);
        double rel = Math.abs(recomputed - reportedAfter) / reportedAfter;
        System.out.printf("e2e val loss: reported before %.6g, after %.6g; recomputed from reloaded checkpoint %.6g (rel. diff %.2e)%n",
                reportedBefore, reportedAfter, recomputed, rel);
        // Tolerance: exact equality is impossible. The reported figure is computed in double on the tuner's parameters
        // before they are stored, while the checkpoint holds SU/SV, norms, lm_head and the embedding (f32 in the source)
        // in fp16 (unit roundoff 2^-11 ≈ 4.9e-4 per value; the errors are independent and mostly cancel in the mean loss);
        // the summary prints 6 significant digits (≤ 1.6e-6 relative at a loss of ~3); and the teacher here is the
        // llama module's float forward, not the tuner's double one. Measured: 1.2e-6 relative (48 × 64 devset, 16
        // validation windows). 1e-5 leaves room for that and is 6000× below the change e2e tuning made (checked below).
        final double TOL = 1e-5;
        assertTrue(rel <= TOL, "reloaded e2e val loss " + recomputed + " vs reported " + reportedAfter + " (rel " + rel + ")");
        // the check can tell the tuned from the untuned model: tuning moved the loss by far more than the tolerance
        assertTrue((reportedBefore - reportedAfter) / reportedAfter > 10 * TOL,
                "e2e tuning moved val loss only from " + reportedBefore + " to " + reportedAfter);
    }

    /** The fine-tuning model of a written checkpoint, read the way the converter reads its persisted layers. */
    static Model fromCheckpoint(LlamaConfig c, Path safetensors) throws Exception {
        try (SafetensorsReader r = SafetensorsReader.open(safetensors)) {
            QuipFormat.Tensors t = Converter.tensors(r);
            int d = c.dim(), hd = c.hiddenDim();
            List<Block> blocks = new ArrayList<>();
            for (int l = 0; l < c.nLayers(); l++) {
                String pre = "model.layers." + l + ".";
                QuipFormat.Stored qkv = QuipFormat.read(t, pre + QuipFormat.QKV, c.qDim() + 2 * c.kvDim(), d, 2, -1, 3);
                QuipFormat.Stored ow = QuipFormat.read(t, pre + QuipFormat.O, d, c.qDim(), 2, -1, 0);
                QuipFormat.Stored ug = QuipFormat.read(t, pre + QuipFormat.UPGATE, 2 * hd, d, 2, -1, 2);
                QuipFormat.Stored dn = QuipFormat.read(t, pre + QuipFormat.DOWN, d, hd, 2, -1, 0);
                blocks.add(new Block(BlockShape.of(c), Converter.dbl(r.readFloats(pre + "input_layernorm.weight")),
                        Converter.dbl(r.readFloats(pre + "post_attention_layernorm.weight")),
                        List.of(Converter.quant(pre + QuipFormat.QKV, qkv.matrix(), qkv.fuseScales(), new int[] {c.qDim(), c.kvDim(), c.kvDim()})),
                        Converter.quant(pre + QuipFormat.O, ow.matrix(), null, null),
                        List.of(Converter.quant(pre + QuipFormat.UPGATE, ug.matrix(), ug.fuseScales(), new int[] {hd, hd})),
                        Converter.quant(pre + QuipFormat.DOWN, dn.matrix(), null, null)));
            }
            assertTrue(r.has("lm_head.weight"), "e2e-tuned checkpoint must store its own lm_head");
            return new Model(BlockShape.of(c), c.vocabSize(), r.readFloats("model.embed_tokens.weight"), blocks,
                    Converter.dbl(r.readFloats("model.norm.weight")), Converter.dbl(r.readFloats("lm_head.weight")));
        }
    }
}
