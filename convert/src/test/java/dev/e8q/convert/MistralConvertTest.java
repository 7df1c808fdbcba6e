package dev.e8q.convert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.e8q.llama.io.HfConfig;
import dev.e8q.llama.model.DType;
import dev.e8q.llama.model.LlamaModel;
import dev.e8q.llama.model.ModelLoader;
import dev.e8q.llama.testdata.TestData;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Mistral model with a sliding window shorter than the calibration and fine-tuning contexts converts (calibration,
 * block and end-to-end tuning all run windowed attention), and the checkpoint keeps the window: written under
 * Mistral's name, read back into the quantized model.
 */
class MistralConvertTest {
    @TempDir
    Path tmp;

    @Test
    void slidingWindowSurvivesConversion() throws Exception {
        Path m = TinyModels.write(tmp.resolve("mistral"), "MistralForCausalLM", 2, null);
        String cfg = TinyModels.config("MistralForCausalLM", 2, false);
        Files.writeString(m.resolve("config.json"), cfg.substring(0, cfg.length() - 1) + ",\"sliding_window\":8}");
        assertEquals(8, HfConfig.read(m.resolve("config.json")).slidingWindow());

        Path out = tmp.resolve("out");
        ConvertReport r = Converter.convert(ConvertOptions.builder(m, TestData.train(), out).bits(2).samples(4).context(64)
                .finetune(ConvertOptions.Finetune.BOTH).ftSamples(4).ftContext(32).ftEpochs(1));
        assertEquals(2 * 4, r.linears().size());

        JsonNode written = HfConfig.readJson(out.resolve("config.json"));
        assertEquals("MistralForCausalLM", written.get("architectures").get(0).asText());
        assertEquals("mistral", written.get("model_type").asText());
        assertEquals(8, written.get("sliding_window").asInt());
        LlamaModel q = ModelLoader.load(out, DType.F32);
        assertEquals(8, q.config().slidingWindow());
        float[] logits = q.forwardSequence(new int[] {1, 5, 9, 13, 17, 21, 25, 29, 33, 37, 41, 45});
        for (float v : logits) assertTrue(Float.isFinite(v));
    }
}
