package dev.e8q.convert;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.e8q.codec.RtnQuantizer;
import dev.e8q.codec.kernel.E8Kernel;
import dev.e8q.llama.Linear;
import dev.e8q.llama.eval.PerplexityEvaluator;
import dev.e8q.llama.io.DType;
import dev.e8q.llama.io.SafetensorsReader;
import dev.e8q.llama.model.KvCache;
import dev.e8q.llama.model.LinearKind;
import dev.e8q.llama.model.LlamaModel;
import dev.e8q.llama.model.ModelLoader;
import dev.e8q.llama.testdata.LogitsProbe;
import dev.e8q.llama.testdata.TestData;
import dev.e8q.llama.tokenizer.Tokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * End to end on the real stories260K (5 layers, dim 64, hidden 172 → padded): convert at 2, 3 and 4 bits
 * (32 windows × 128 tokens, no fine-tuning), reload from disk and evaluate on 20 validation stories.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class Stories260KConvertTest {
    static final int SAMPLES = 32, CONTEXT = 128;
    @TempDir
    static Path tmp;
    final Path[] out = new Path[5];
    final double[] ppl = new double[5], rtn = new double[5];
    double fp;
    List<int[]> evalSeqs;
    LlamaModel dense;

    static ConvertOptions options(int bits, Path out) {
        return ConvertOptions.builder(TestData.stories260K(), TestData.train(), out).bits(bits).samples(SAMPLES).context(CONTEXT)
                .finetune(ConvertOptions.Finetune.NONE);
    }

    /** 20 validation stories (blank-line separated paragraphs grouped greedily into ≤ 256-token sequences). */
    static List<int[]> evalSequences(Tokenizer tok) throws Exception {
        String text = Files.readString(TestData.valid());
        return PerplexityEvaluator.windows(tok.encode(text.substring(0, 20_000), false, false), tok.bos(), 256, 0).subList(0, 20);
    }

    @BeforeAll
    void convertAll() throws Exception {
        Tokenizer tok = ModelLoader.tokenizer(TestData.stories260K(), null);
        evalSeqs = evalSequences(tok);
        dense = Baselines.dense(TestData.stories260K());
        fp = new PerplexityEvaluator(dense).evaluate(evalSeqs, null).perplexity();
        for (int b = 2; b <= 4; b++) {
            out[b] = tmp.resolve("s260k-" + b);
            ConvertReport r = Converter.convert(options(b, out[b]));
            assertEquals(20, r.linears().size());
            LlamaModel q = ModelLoader.load(out[b], dev.e8q.llama.model.DType.F32);
            ppl[b] = new PerplexityEvaluator(q).evaluate(evalSeqs, null).perplexity();
            rtn[b] = new PerplexityEvaluator(Baselines.rtn(dense, RtnQuantizer.perGroup(RtnQuantizer.Scheme.ASYMMETRIC, b, 64)))
                    .evaluate(evalSeqs, null).perplexity();
            System.out.printf("stories260K %d-bit: e8q ppl %.4f, RTN g64 ppl %.4f (FP %.4f); %s%n", b, ppl[b], rtn[b], fp, r);
        }
    }

    @Test
    void perplexityIsFiniteAndOrderedByBits() {
        for (int b = 2; b <= 4; b++) assertTrue(Double.isFinite(ppl[b]) && ppl[b] > 1, "ppl " + b + " bits = " + ppl[b]);
        assertTrue(fp < ppl[4], "FP " + fp + " vs 4-bit " + ppl[4]);
        assertTrue(ppl[4] <= ppl[3] && ppl[3] <= ppl[2], Arrays.toString(ppl));
    }

    /**
     * E8P + BlockLDLQ (with the default per-row and per-column scales in SV/SU) beats round-to-nearest (asymmetric,
     * groups of 64, 16-bit scale + zero point: b + 0.31 bits) at every bit width, as issue #4 asks. Before the scales, 4 bits
     * lost to RTN on this model (5.49 vs 5.12 in docs/compare.md's setting).
     */
    @Test
    void beatsRoundToNearestAtEveryBitWidth() {
        assertTrue(ppl[2] < rtn[2] / 2, "2-bit e8q " + ppl[2] + " vs RTN " + rtn[2]);
        assertTrue(ppl[3] < rtn[3], "3-bit e8q " + ppl[3] + " vs RTN " + rtn[3]);
        assertTrue(ppl[4] < rtn[4], "4-bit e8q " + ppl[4] + " vs RTN " + rtn[4]);
        assertTrue(ppl[4] < rtn[3], "4-bit e8q " + ppl[4] + " vs 3-bit RTN " + rtn[3]);
    }

    /**
     * Rounding the activations to int8 ({@code e8q eval --int8-activations}, the faster matrix-vector kernel of
     * issue #5) changes the perplexity, but by less than 2 % at every bit width.
     */
    @Test
    void int8ActivationsChangePerplexityByUnderTwoPercent() throws Exception {
        for (int b = 2; b <= 4; b++) {
            LlamaModel q = ModelLoader.load(out[b], dev.e8q.llama.model.DType.F32);
            double p8;
            E8Kernel.int8Activations(true);
            try {
                p8 = new PerplexityEvaluator(q).evaluate(evalSeqs, null).perplexity();
            } finally {
                E8Kernel.int8Activations(false);
            }
            System.out.printf("stories260K %d-bit: ppl %.4f, with int8 activations %.4f%n", b, ppl[b], p8);
            assertTrue(p8 != ppl[b] && Math.abs(p8 / ppl[b] - 1) < 0.02, b + "-bit: " + p8 + " vs " + ppl[b]);
        }
    }

    @Test
    void quantizedLogitsEqualDenseModelOfDecodedWeights() throws Exception {
        for (int b = 2; b <= 4; b++) {
            LlamaModel q = QuantizedCheckpoint.load(out[b], dev.e8q.llama.model.DType.F32);
            assertInstanceOf(QuantizedLinear.class, q.block(0).linear(LinearKind.Q));
            LlamaModel d = Baselines.decodedDense(q);
            int[] seq = evalSeqs.get(3);
            float[] a = q.forwardSequence(seq), e = d.forwardSequence(seq);
            double max = 0;
            for (int i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - e[i]));
            assertTrue(max < 1e-3, b + " bits: max |logit diff| " + max);
            // token-at-a-time generation path too (KV cache, single-vector products)
            var st = q.newState(16);
            var sd = d.newState(16);
            for (int t = 0; t < 8; t++) {
                float[] la = q.forward(st, seq[t], t).clone(), ld = d.forward(sd, seq[t], t);
                for (int i = 0; i < la.length; i++) assertEquals(ld[i], la[i], 1e-3, "token path, position " + t);
            }
        }
    }

    /**
     * A quantized model's logits are the same bit for bit in every execution mode (fused E8P kernels, Hadamard
     * transforms with the 172-point base matrix of this model's hidden size, dense lm_head): first run, warmed-up run,
     * and a run in a JVM that only interprets. See the llama module's {@code ReproducibleForwardTest}.
     */
    @Test
    void quantizedLogitsAreTheSameInterpretedAndCompiled() throws Exception {
        for (int b : new int[] {2, 4}) {
            LlamaModel q = ModelLoader.load(out[b], dev.e8q.llama.model.DType.F32);
            int[] tokens = LogitsProbe.tokens(q.config().vocabSize(), 8);
            float[] cold = LogitsProbe.run(q, tokens, KvCache.Precision.F32);
            float[] warm = LogitsProbe.warm(q, tokens, KvCache.Precision.F32);
            LogitsProbe.assertBitsEqual(cold, warm, b + "-bit: first run against warmed-up run");
            float[] interpreted = LogitsProbe.interpreted(out[b], dev.e8q.llama.model.DType.F32, 8, KvCache.Precision.F32);
            LogitsProbe.assertBitsEqual(interpreted, warm, b + "-bit: -Xint run against warmed-up run");
        }
    }

    /** The decoded quantized weights approximate the source weights (HF layout) with the reported relative error. */
    @Test
    void decodedWeightsApproximateTheSource() throws Exception {
        LlamaModel q = QuantizedCheckpoint.load(out[4], dev.e8q.llama.model.DType.F32);
        for (LinearKind k : LinearKind.values()) {
            float[] w = ((dev.e8q.llama.model.DenseLinear) dense.block(2).linear(k)).weights();
            float[] wq = ((QuantizedLinear) q.block(2).linear(k)).decode();
            double num = 0, den = 0;
            for (int i = 0; i < w.length; i++) {
                num += (w[i] - wq[i]) * (double) (w[i] - wq[i]);
                den += (double) w[i] * w[i];
            }
            assertTrue(num / den < 0.1, k + ": relative error " + num / den);
        }
    }

    @Test
    void fusedViewsComputeOneProductPerInput() throws Exception {
        LlamaModel q = QuantizedCheckpoint.load(out[2], dev.e8q.llama.model.DType.F32);
        QuantizedLinear ql = (QuantizedLinear) q.block(1).linear(LinearKind.Q);
        long before = ql.productsComputed();
        q.forwardSequence(new int[] {1, 403, 407, 261});
        // q/k/v: 1 product; up/gate: 1 product per block call
        assertEquals(1, ql.productsComputed() - before);
        QuantizedLinear up = (QuantizedLinear) q.block(1).linear(LinearKind.UP);
        assertSame(up.matrix(), ((QuantizedLinear) q.block(1).linear(LinearKind.GATE)).matrix());
        assertEquals(0, up.rowOffset());
        assertEquals(172, ((QuantizedLinear) q.block(1).linear(LinearKind.GATE)).rowOffset());
    }

    @Test
    void checkpointHasQuipLayout() throws Exception {
        JsonNode cfg = new ObjectMapper().readTree(out[3].resolve("config.json").toFile());
        JsonNode qp = cfg.get("quip_params");
        assertEquals("E8P12RVQ3B", qp.get("codebook").asText());
        assertEquals(0, qp.get("codebook_version").asInt());
        assertEquals(8, qp.get("codesz").asInt());
        assertEquals("torch.int64", qp.get("idx_dtype").asText());
        assertEquals(0, qp.get("lora_rank").asInt());
        assertFalse(qp.get("rescale_WH").asBoolean());
        assertEquals(1, qp.get("model_version").asInt());
        assertTrue(cfg.get("e8q").get("rope_rows_permuted_to_hf").asBoolean());
        assertEquals("llama", cfg.get("model_type").asText());
        assertTrue(Files.exists(out[3].resolve("tokenizer.bin")));
        assertFalse(Files.exists(out[3].resolve(QuantizedCheckpoint.PARTIAL)));
        JsonNode stats = new ObjectMapper().readTree(out[3].resolve("activation_stats.json").toFile());
        assertEquals(5, stats.get("layers").size());
        assertEquals(172, stats.get("layers").get(0).get("down").get("max").size());
        JsonNode rep = new ObjectMapper().readTree(out[3].resolve("report.json").toFile());
        assertEquals(20, rep.get("linears").size());
        assertTrue(rep.get("totals").get("peak_heap_bytes").asLong() > 0);
        try (SafetensorsReader r = SafetensorsReader.open(out[3].resolve("model.safetensors"))) {
            String p = "model.layers.4.";
            // upgate: [up; gate] = 344 rows, padded to a Hadamard size; 3 bits = 1.5 words per 32 columns
            long[] s = r.shape(p + "mlp.upgate_proj.Qidxs");
            assertEquals(DType.I64, r.dtype(p + "mlp.upgate_proj.Qidxs"));
            assertEquals(dev.e8q.hadamard.Hadamard.paddedSize(344, 16), s[0]);
            assertEquals(3 * 64 / 64, s[1]);
            assertArrayEquals(new long[] {s[0]}, r.shape(p + "mlp.upgate_proj.SV"));
            assertEquals(DType.F16, r.dtype(p + "mlp.upgate_proj.SV"));
            assertArrayEquals(new long[] {2}, r.shape(p + "mlp.upgate_proj.fuse_scales"));
            assertArrayEquals(new long[] {3}, r.shape(p + "self_attn.qkv_proj.fuse_scales"));
            assertArrayEquals(new long[] {128, 3}, r.shape(p + "self_attn.qkv_proj.Qidxs")); // 64 cols: 2 words of 32, times 1.5
            long[] ds = r.shape(p + "mlp.down_proj.Qidxs");
            assertEquals(64, ds[0]);
            assertEquals(3 * dev.e8q.hadamard.Hadamard.paddedSize(172, 64) / 64, ds[1]);
            assertArrayEquals(new long[] {}, r.shape(p + "self_attn.o_proj.Wscale"));
            assertEquals(1f, r.readFloats(p + "self_attn.o_proj.Wscale")[0]);
            assertArrayEquals(new long[] {18}, r.readLongs(p + "self_attn.o_proj.codebook_id"));
            for (String n : List.of(p + "input_layernorm.weight", "model.embed_tokens.weight", "model.norm.weight"))
                assertEquals(DType.F16, r.dtype(n), n);
            assertFalse(r.has("lm_head.weight"), "tied, untuned head is stored once, as the embedding");
            assertTrue(cfg.get("tie_word_embeddings").asBoolean());
            assertFalse(r.has(p + "self_attn.q_proj.weight"));
        }
    }

    @Test
    void rtnBaselineReplacesEveryLinear() {
        LlamaModel r = Baselines.rtn(dense, RtnQuantizer.perGroup(RtnQuantizer.Scheme.ASYMMETRIC, 2, 64));
        List<Linear> changed = new ArrayList<>();
        for (LinearKind k : LinearKind.values()) if (r.block(0).linear(k) != dense.block(0).linear(k)) changed.add(r.block(0).linear(k));
        assertEquals(7, changed.size());
        assertSame(dense.lmHead(), r.lmHead());
    }

    /** A killed conversion resumed later gives byte-identical model.safetensors and config.json. */
    @Test
    void killedAndResumedConversionIsByteIdentical() throws Exception {
        Path dir = tmp.resolve("resumed");
        assertThrows(ConvertOptions.InjectedFailure.class, () -> Converter.convert(options(3, dir).failAfterLayer(1)));
        assertTrue(Files.isDirectory(dir.resolve(QuantizedCheckpoint.PARTIAL)));
        assertFalse(Files.exists(dir.resolve("config.json")));
        var e = assertThrows(java.io.IOException.class, () -> ModelLoader.load(dir, dev.e8q.llama.model.DType.F32));
        assertTrue(e.getMessage().contains("--resume"), e.getMessage());
        var again = assertThrows(java.io.IOException.class, () -> Converter.convert(options(3, dir)));
        assertTrue(again.getMessage().contains("--resume"), again.getMessage());
        var other = assertThrows(java.io.IOException.class, () -> Converter.convert(options(3, dir).seed(5).resume(true)));
        assertTrue(other.getMessage().contains("different"), other.getMessage());
        // What a SIGKILL during an atomic write leaves behind (ConvertCrashTest hit this at random): resume removes it.
        Files.write(dir.resolve(".model.safetensors.4242.123456789.tmp"), new byte[] {1, 2, 3});
        Files.write(dir.resolve(QuantizedCheckpoint.PARTIAL).resolve(".layer-2.safetensors.4242.987654321.tmp"), new byte[] {4});
        ConvertReport r = Converter.convert(options(3, dir).resume(true));
        try (var st = Files.list(dir)) {
            List<String> left = st.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".tmp")).toList();
            assertEquals(List.of(), left, "temp files left after resume");
        }
        assertEquals(2, r.resumedLayers());
        assertEquals(20, r.linears().size());
        for (String f : List.of("model.safetensors", "config.json"))
            assertArrayEquals(Files.readAllBytes(out[3].resolve(f)), Files.readAllBytes(dir.resolve(f)), f + " differs after resume");
        assertFalse(Files.exists(dir.resolve(QuantizedCheckpoint.PARTIAL)));
        // a finished directory: refused without --resume, accepted (nothing to do) with it
        assertThrows(java.io.IOException.class, () -> Converter.convert(options(3, dir)));
        assertEquals(20, Converter.convert(options(3, dir).resume(true)).linears().size());
        assertThrows(java.io.IOException.class, () -> Converter.convert(options(2, dir).resume(true)));
    }
}
