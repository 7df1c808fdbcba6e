package dev.e8q.compare;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.e8q.convert.QuantizedCheckpoint;
import dev.e8q.llama.eval.PerplexityEvaluator;
import dev.e8q.llama.model.DType;
import dev.e8q.llama.model.LlamaModel;
import dev.e8q.llama.model.ModelLoader;
import dev.e8q.llama.testdata.TestData;
import dev.e8q.llama.tokenizer.Tokenizer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The whole comparison on stories260K with tiny settings (one run shared by the tests). */
class CompareRunnerTest {
    static final int G = 12, EVAL_CONTEXT = 64;
    static final long EVAL_TOKENS = 300;

    @TempDir
    static Path tmp;
    static CompareResult result;
    static Path out;

    @BeforeAll
    static void runOnce() throws Exception {
        out = tmp.resolve("out");
        CompareOptions o = CompareOptions.builder(TestData.stories260K(), TestData.train(), List.of(TestData.valid(), TestData.wiki())).out(out)
                .samples(4).context(64).evalContext(EVAL_CONTEXT).evalTokens(EVAL_TOKENS).prompts(3).genTokens(G)
                .finetuneRows(true).ftSamples(3).ftContext(16).ftEpochs(1);
        result = CompareRunner.run(o, null);
    }

    @Test
    void producesEveryRowWithFiniteNumbers() {
        Set<String> ids = result.rows().stream().map(CompareResult.Row::id).collect(Collectors.toSet());
        assertEquals(Set.of("fp", "rtn-absmax-ch-8", "rtn-absmax-ch-4", "rtn-absmax-g64-4", "rtn-zp-g64-4", "rtn-absmax-g64-3", "rtn-zp-g64-3",
                "rtn-absmax-g64-2", "rtn-zp-g64-2", "noe8-2", "e8q-4", "e8q-3", "e8q-2", "quip-4", "quip-3", "quip-2", "e8q-2-lmhead"), ids);
        assertEquals(result.rows().size(), ids.size());
        // plain QuIP# rows: the same file layout (so the same size), different codes and scales
        for (int b = 2; b <= 4; b++) {
            CompareResult.Row e = row("e8q-" + b), q = row("quip-" + b);
            assertEquals(e.sizeBytes(), q.sizeBytes(), b + " bits");
            assertNotEquals(e.localError(), q.localError(), b + " bits");
        }
        for (CompareResult.Row r : result.allRows()) {
            assertTrue(Double.isFinite(r.bitsPerWeight()) && r.bitsPerWeight() >= r.bits() - 1e-9, r.id() + " bits " + r.bitsPerWeight());
            assertTrue(r.sizeBytes() > 0, r.id());
            assertTrue(Double.isFinite(r.localError()) && r.localError() >= 0, r.id() + " local " + r.localError());
            assertEquals(2, r.perplexity().size(), r.id());
            for (double p : r.perplexity()) assertTrue(Double.isFinite(p) && p > 1, r.id() + " ppl " + p);
            assertTrue(r.divergence() >= 0 && r.divergence() <= G, r.id() + " divergence " + r.divergence());
            // Every layer has each kind once, so the overall mean is the mean of the per-kind means.
            assertEquals(8, r.localErrorByKind().size(), r.id());
            double kinds = r.localErrorByKind().entrySet().stream().filter(e -> !e.getKey().equals("all")).mapToDouble(e -> e.getValue())
                    .average().orElseThrow();
            assertEquals(r.localError(), r.localErrorByKind().get("all"));
            assertEquals(kinds, r.localError(), 1e-12 + 1e-9 * kinds, r.id());
        }
        // Quantized rows cost less than FP32, and lower RTN bit widths have larger local error.
        for (CompareResult.Row r : result.allRows()) if (!r.id().equals("fp")) assertTrue(r.bitsPerWeight() < 10, r.id());
        assertTrue(result.row("rtn-zp-g64-2").localError() > result.row("rtn-zp-g64-4").localError());
        assertTrue(result.row("rtn-absmax-ch-4").localError() > result.row("rtn-absmax-ch-8").localError());
        assertEquals(0, result.row("fp").localError());
    }

    @Test
    void fpPerplexityEqualsThePerplexityEvaluator() throws Exception {
        LlamaModel m = ModelLoader.load(TestData.stories260K(), DType.F32);
        Tokenizer tok = ModelLoader.tokenizer(TestData.stories260K(), null);
        List<Path> texts = List.of(TestData.valid(), TestData.wiki());
        for (int i = 0; i < texts.size(); i++) {
            String text = Files.readString(texts.get(i), StandardCharsets.UTF_8).replace("\r\n", "\n");
            PerplexityEvaluator.Result r = new PerplexityEvaluator(m).evaluateText(tok, text, EVAL_CONTEXT, EVAL_TOKENS, null);
            assertEquals(EVAL_TOKENS, r.tokens());
            // Same windows, same evaluator; the Vector API kernels may round differently once JIT-compiled (FMA), hence 1e-6.
            assertEquals(r.perplexity(), result.row("fp").perplexity().get(i), 1e-6 * r.perplexity(), texts.get(i).toString());
            assertEquals(EVAL_TOKENS, result.evals().get(i).tokens());
        }
    }

    @Test
    void divergenceIsGenTokensForFpAndAtMostThatForOthers() {
        assertEquals(G, result.row("fp").divergence());
        assertEquals(3, result.row("fp").fullAgreement());
        for (CompareResult.Row r : result.allRows()) assertTrue(r.divergence() <= G, r.id());
        // Ternary 2-bit RTN is far from FP: its greedy text leaves FP's within the cap.
        assertTrue(result.row("rtn-absmax-g64-2").divergence() < G);
    }

    @Test
    void e8qRowsAreTheReloadedCheckpoints() throws Exception {
        for (String id : List.of("e8q-2", "e8q-3", "e8q-4", "e8q-2-lmhead", "e8q-3-both")) {
            Path dir = out.resolve("checkpoints").resolve(id);
            assertTrue(Files.exists(dir.resolve("config.json")), id);
            assertEquals(Files.size(dir.resolve("model.safetensors")), result.row(id).sizeBytes(), id);
            LlamaModel q = QuantizedCheckpoint.load(dir, DType.F32);
            Tokenizer tok = ModelLoader.tokenizer(TestData.stories260K(), null);
            String text = Files.readString(TestData.valid(), StandardCharsets.UTF_8);
            double ppl = new PerplexityEvaluator(q).evaluateText(tok, text, EVAL_CONTEXT, EVAL_TOKENS, null).perplexity();
            assertEquals(ppl, result.row(id).perplexity().get(0), 1e-6 * ppl, id);
        }
        // The lm_head row's checkpoint holds a quantized head, and the reloaded model computes with it.
        Path head = out.resolve("checkpoints").resolve("e8q-2-lmhead");
        try (var sh = dev.e8q.llama.io.SafetensorsShards.open(head)) {
            assertTrue(sh.has("lm_head.Qidxs"));
        }
        assertTrue(QuantizedCheckpoint.load(head, DType.F32).lmHead() instanceof dev.e8q.convert.QuantizedLinear);
        assertFalse(QuantizedCheckpoint.load(out.resolve("checkpoints").resolve("e8q-2"), DType.F32).lmHead()
                instanceof dev.e8q.convert.QuantizedLinear);
    }

    @Test
    void finetuneRowsCoverEveryStageAndBitWidth() {
        List<CompareResult.Row> ft = result.finetuneRows();
        assertEquals(12, ft.size());
        for (int b : new int[] {2, 3, 4})
            for (String f : List.of("none", "block", "e2e", "both")) {
                CompareResult.Row r = ft.stream().filter(x -> x.bits() == b && x.finetune().equals(f)).findFirst().orElseThrow();
                assertTrue(Double.isFinite(r.reportProxyLoss()), r.id());
                assertEquals(f.equals("block") || f.equals("both"), Double.isFinite(r.tuneValAfter()), r.id() + " " + r.tuneValAfter());
            }
        // e2e tuning leaves the encoder's proxy loss alone (it is reported before tuning).
        assertEquals(result.row("e8q-2").reportProxyLoss(), result.row("e8q-2-e2e").reportProxyLoss(),
                1e-6 * result.row("e8q-2").reportProxyLoss());
    }

    @Test
    void writesMarkdownAndJson() throws Exception {
        JsonNode j = new ObjectMapper().readTree(out.resolve(CompareReport.JSON).toFile());
        assertEquals(result.rows().size(), j.get("rows").size());
        assertEquals(12, j.get("finetune_rows").size());
        assertEquals(G, j.get("rows").get(0).get("divergence").asDouble());
        String md = Files.readString(out.resolve(CompareReport.MARKDOWN));
        assertEquals(CompareReport.markdown(result), md);
        for (CompareResult.Row r : result.rows()) assertTrue(md.contains("| " + r.method() + " |"), r.method());
        try (var s = Files.list(out)) {
            assertFalse(s.anyMatch(p -> p.getFileName().toString().endsWith(".tmp")), "temporary files left behind");
        }
    }

    CompareResult.Row row(String id) {
        return result.rows().stream().filter(r -> r.id().equals(id)).findFirst().orElseThrow();
    }
}
