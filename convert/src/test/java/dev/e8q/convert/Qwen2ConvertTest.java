package dev.e8q.convert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.e8q.llama.io.HfConfig;
import dev.e8q.llama.model.DType;
import dev.e8q.llama.model.DecoderBlock;
import dev.e8q.llama.model.LinearKind;
import dev.e8q.llama.model.LlamaModel;
import dev.e8q.llama.model.ModelLoader;
import dev.e8q.llama.testdata.TestData;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Qwen2's q/k/v biases go through conversion: calibration runs with them, the checkpoint stores them beside the codes
 * under the source's names (fp16, like the norms), block and end-to-end tuning train them, and the quantized model
 * applies them.
 */
class Qwen2ConvertTest {
    private static final LinearKind[] QKV = {LinearKind.Q, LinearKind.K, LinearKind.V};

    @TempDir
    Path tmp;

    @Test
    void biasesAreStoredAppliedAndTuned() throws Exception {
        Path m = TinyModels.write(tmp.resolve("qwen2"), "Qwen2ForCausalLM", 2, null, null, true);
        LlamaModel dense = Baselines.dense(m);
        assertTrue(dense.config().attentionBias());

        Path out = tmp.resolve("q4");
        Converter.convert(ConvertOptions.builder(m, TestData.train(), out).bits(4).samples(4).context(64)
                .finetune(ConvertOptions.Finetune.NONE));
        assertEquals("Qwen2ForCausalLM", HfConfig.readJson(out.resolve("config.json")).get("architectures").get(0).asText());
        LlamaModel q = ModelLoader.load(out, DType.F32);
        for (int l = 0; l < 2; l++) {
            for (LinearKind k : QKV) {
                float[] src = dense.block(l).bias(k), stored = q.block(l).bias(k), f16 = new float[src.length];
                for (int i = 0; i < src.length; i++) f16[i] = Float.float16ToFloat(Float.floatToFloat16(src[i]));
                assertArrayEquals(f16, stored, 0f, "layer " + l + " " + k + " bias, untuned, is the source's in fp16");
            }
        }
        int[] tokens = {1, 37, 401, 5, 99, 260, 17, 302, 88, 140, 3, 77, 501, 12, 9, 64};
        float[] ref = dense.forwardSequence(tokens);
        double withBias = meanSquaredDiff(ref, q.forwardSequence(tokens));
        for (DecoderBlock b : q.blocks()) for (LinearKind k : QKV) java.util.Arrays.fill(b.bias(k), 0f);
        double withoutBias = meanSquaredDiff(ref, q.forwardSequence(tokens));
        System.out.printf("Qwen2 tiny, 4 bits: mean squared logit error %.3g with the stored biases, %.3g without%n", withBias, withoutBias);
        assertTrue(withBias < 0.25 * withoutBias, "biases applied: " + withBias + " vs " + withoutBias + " without them");

        Path tuned = tmp.resolve("q2-tuned");
        Converter.convert(ConvertOptions.builder(m, TestData.train(), tuned).bits(2).samples(4).context(64)
                .finetune(ConvertOptions.Finetune.BOTH).ftSamples(4).ftContext(32).ftEpochs(1));
        LlamaModel t = ModelLoader.load(tuned, DType.F32);
        boolean moved = false;
        for (int l = 0; l < 2; l++) {
            for (LinearKind k : QKV) {
                float[] src = dense.block(l).bias(k), b = t.block(l).bias(k);
                for (int i = 0; i < b.length; i++) {
                    assertTrue(Float.isFinite(b[i]));
                    moved |= Math.abs(b[i] - src[i]) > 1e-3f;
                }
            }
        }
        assertTrue(moved, "fine-tuning left every bias where it was");
        assertFalse(Float.isNaN(t.forwardSequence(tokens)[0]));
    }

    /** The calibration forward adds the biases where the block forward does (before RoPE). */
    @Test
    void calibrationForwardAppliesTheBiases() throws Exception {
        LlamaModel dense = Baselines.dense(TinyModels.write(tmp.resolve("qwen2"), "Qwen2ForCausalLM", 2, null, null, true));
        int[] tokens = {1, 37, 401, 5, 99, 260, 17, 302, 88, 140, 3, 77};
        float[] a = dense.embed(tokens), b = a.clone();
        for (int l = 0; l < 2; l++) {
            dense.block(l).forwardSequence(a, tokens.length, null);
            ExactForward.block(dense.block(l), b, tokens.length, null);
        }
        double max = 0, scale = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs(a[i] - b[i]));
            scale = Math.max(scale, Math.abs(a[i]));
        }
        assertTrue(max < 1e-4 * scale, "max diff " + max + " at scale " + scale);
    }

    private static double meanSquaredDiff(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += (a[i] - b[i]) * (double) (a[i] - b[i]);
        return s / a.length;
    }
}
