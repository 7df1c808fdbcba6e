package dev.e8q.convert;

import static org.junit.jupiter.api.Assertions.*;

import dev.e8q.llama.eval.PerplexityEvaluator;
import dev.e8q.llama.model.DType;
import dev.e8q.llama.model.LlamaModel;
import dev.e8q.llama.model.ModelLoader;
import dev.e8q.llama.testdata.TestData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Errors on bad input, and the fine-tuning / lm_head paths on a tiny random model (fast). */
class BadInputTest {
    @TempDir
    Path tmp;

    ConvertOptions opts(Path model, Path out) {
        return ConvertOptions.builder(model, TestData.train(), out).bits(2).samples(4).context(64).finetune(ConvertOptions.Finetune.NONE);
    }

    @Test
    void nanWeightIsReportedByName() throws IOException {
        Path m = TinyModels.write(tmp.resolve("nan"), "LlamaForCausalLM", 2, "model.layers.1.mlp.down_proj.weight");
        var e = assertThrows(IllegalArgumentException.class, () -> Converter.convert(opts(m, tmp.resolve("o"))));
        assertTrue(e.getMessage().contains("model.layers.1.mlp.down_proj.weight"), e.getMessage());
        assertFalse(Files.exists(tmp.resolve("o")), "nothing written before the input is known to be good");
    }

    /** SU/SV hold the matrix scale in fp16: weights too large for it fail naming the layer, instead of an ∞ in the file. */
    @Test
    void weightsTooLargeForFp16ScalesFailNamingTheLayer() throws IOException {
        Path m = TinyModels.write(tmp.resolve("huge"), "LlamaForCausalLM", 1, null, "model.layers.0.mlp.down_proj.weight");
        var e = assertThrows(IllegalArgumentException.class, () -> Converter.convert(opts(m, tmp.resolve("o"))));
        assertTrue(e.getMessage().contains("layer 0") && e.getMessage().contains("fp16"), e.getMessage());
        assertFalse(Files.exists(tmp.resolve("o").resolve("model.safetensors")), "no checkpoint with an overflowed scale");
    }

    @Test
    void unsupportedArchitecturesAreRefused() throws IOException {
        Path m = TinyModels.write(tmp.resolve("gpt2"), "LlamaForCausalLM", 1, null);
        Files.writeString(m.resolve("config.json"), TinyModels.config("GPT2LMHeadModel", 1, false));
        Exception e = assertThrows(Exception.class, () -> Converter.convert(opts(m, tmp.resolve("o1"))));
        assertTrue(e.getMessage().contains("unsupported architecture"), e.getMessage());
        Files.writeString(m.resolve("config.json"), TinyModels.config("LlamaForCausalLM", 1, true));
        e = assertThrows(Exception.class, () -> Converter.convert(opts(m, tmp.resolve("o2"))));
        assertTrue(e.getMessage().contains("bias"), e.getMessage());
    }

    @Test
    void tooShortCalibrationTextSaysHowMuchItHas() throws IOException {
        Path m = TinyModels.write(tmp.resolve("m"), "LlamaForCausalLM", 1, null);
        Path text = Files.writeString(tmp.resolve("short.txt"), "Once upon a time there was a cat.");
        var e = assertThrows(IllegalArgumentException.class,
                () -> Converter.convert(ConvertOptions.builder(m, text, tmp.resolve("o")).samples(4).context(64).finetune(ConvertOptions.Finetune.NONE)));
        assertTrue(e.getMessage().contains("yields only") && e.getMessage().contains("252"), e.getMessage());
    }

    @Test
    void foreignOrUnwritableOutputIsRefused() throws IOException {
        Path m = TinyModels.write(tmp.resolve("m"), "LlamaForCausalLM", 1, null);
        Path busy = Files.createDirectories(tmp.resolve("busy"));
        Files.writeString(busy.resolve("notes.txt"), "mine");
        var e = assertThrows(IOException.class, () -> Converter.convert(opts(m, busy)));
        assertTrue(e.getMessage().contains("not empty"), e.getMessage());
        Path file = Files.writeString(tmp.resolve("a-file"), "x");
        e = assertThrows(IOException.class, () -> Converter.convert(opts(m, file.resolve("out"))));
        assertTrue(e.getMessage().contains("cannot write"), e.getMessage());
    }

    /** Both fine-tuning stages and a quantized lm_head run, and the result loads and is consistent. */
    @Test
    void finetuneAndQuantizedHead() throws Exception {
        Path m = TinyModels.write(tmp.resolve("m"), "LlamaForCausalLM", 2, null);
        Path out = tmp.resolve("ft");
        ConvertReport r = Converter.convert(opts(m, out).finetune(ConvertOptions.Finetune.BOTH).ftSamples(6).ftContext(32).ftEpochs(1)
                .quantizeLmHead(true));
        assertEquals(2 * 4 + 1, r.linears().size());
        assertTrue(Double.isFinite(r.linears().get(0).tuneBefore()) && r.linears().get(0).tuneAfter() <= r.linears().get(0).tuneBefore());
        assertNotNull(r.e2e());
        LlamaModel q = ModelLoader.load(out, DType.F32);
        assertInstanceOf(QuantizedLinear.class, q.lmHead());
        int[] seq = {1, 403, 407, 261, 378, 432, 383};
        float[] a = q.forwardSequence(seq), b = Baselines.decodedDense(q).forwardSequence(seq);
        for (int i = 0; i < a.length; i++) assertEquals(b[i], a[i], 1e-3);
        double ppl = new PerplexityEvaluator(q).evaluate(java.util.List.of(seq), null).perplexity();
        assertTrue(Double.isFinite(ppl));
        assertTrue(new String(Files.readAllBytes(out.resolve("config.json"))).contains("\"tie_word_embeddings\" : false"));
    }

    /** --dense-dtype f32 keeps the embedding (and norms, head) exactly; the default stores SPEC's F16. */
    @Test
    void denseDtypeOption() throws Exception {
        Path m = TinyModels.write(tmp.resolve("m"), "LlamaForCausalLM", 1, null);
        Path a = tmp.resolve("f32"), b = tmp.resolve("f16");
        Converter.convert(opts(m, a).denseF32(true));
        Converter.convert(opts(m, b));
        try (var src = dev.e8q.llama.io.SafetensorsReader.open(m.resolve("model.safetensors"));
             var ra = dev.e8q.llama.io.SafetensorsReader.open(a.resolve("model.safetensors"));
             var rb = dev.e8q.llama.io.SafetensorsReader.open(b.resolve("model.safetensors"))) {
            for (String n : java.util.List.of("model.embed_tokens.weight", "lm_head.weight", "model.norm.weight")) {
                assertEquals(dev.e8q.llama.io.DType.F32, ra.dtype(n), n);
                assertEquals(dev.e8q.llama.io.DType.F16, rb.dtype(n), n);
            }
            assertArrayEquals(src.readFloats("lm_head.weight"), ra.readFloats("lm_head.weight"));
            assertEquals(dev.e8q.llama.io.DType.F32, ra.dtype("model.layers.0.input_layernorm.weight"));
        }
        assertTrue(Files.readString(a.resolve("config.json")).contains("\"torch_dtype\" : \"float32\""));
    }
}
