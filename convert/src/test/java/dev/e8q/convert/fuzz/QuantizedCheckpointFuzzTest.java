package dev.e8q.convert.fuzz;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.e8q.convert.QuantizedCheckpoint;
import dev.e8q.llama.fuzz.FuzzSupport;
import dev.e8q.llama.io.SafetensorsShards;
import dev.e8q.llama.model.DType;
import dev.e8q.llama.model.LlamaModel;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

/**
 * {@link QuantizedCheckpoint#load}: a QuIP#-layout directory (SPEC §7): config.json with quip_params, then
 * per linear Qidxs (I64), SU/SV (F16), Wscale, codebook_id, fuse_scales, plus norms and embeddings. The input
 * is {@code config.json}, {@link #MARKER}, {@code model.safetensors}. A directory that loads must run a
 * forward step and give one logit per vocabulary entry; anything else must be an IOException naming the
 * directory (wrong dtypes, shapes, codebook ids, packing lengths, non-finite scales).
 */
class QuantizedCheckpointFuzzTest {
    static final String MARKER = "\n--8<--\n";
    /** {@link #MARKER} in libFuzzer's dictionary syntax (a raw newline would end the entry). */
    static final String MARKER_DICT = "\\x0A--8<--\\x0A";
    private static final FuzzSupport.Scratch SCRATCH = new FuzzSupport.Scratch("quip");

    @FuzzTest(maxDuration = "10m")
    @DictionaryEntries({MARKER_DICT, "\"quip_params\"", "\"codebook\"", "\"E8P12\"", "\"E8P12RVQ3B\"", "\"E8P12RVQ4B\"",
            "\"codebook_version\"", "\"idx_dtype\"", "\"resid_scale_override\"", "Qidxs", "SU", "SV", "Wscale", "codebook_id",
            "fuse_scales", "self_attn.qkv_proj", "self_attn.o_proj", "mlp.upgate_proj", "mlp.down_proj", "lm_head.Qidxs",
            "\"I64\"", "\"F16\"", "\"F32\"", "\"BF16\""})
    void fuzz(byte[] data) {
        Path dir = SCRATCH.fresh();
        materialize(dir, data);
        FuzzSupport.run(data.length, () -> load(dir), dir.toString(), IOException.class);
    }

    static void materialize(Path dir, byte[] data) {
        List<byte[]> parts = FuzzSupport.split(data, MARKER.getBytes(StandardCharsets.ISO_8859_1));
        FuzzSupport.Scratch.write(dir, "config.json", parts.get(0));
        for (int i = 1; i < parts.size(); i++) {
            FuzzSupport.Scratch.write(dir, i == 1 ? SafetensorsShards.SINGLE : "extra-" + i + ".safetensors", parts.get(i));
        }
    }

    static void load(Path dir) throws IOException {
        LlamaModel m = QuantizedCheckpoint.load(dir, DType.F32);
        float[] logits = m.newState(2).forward(0, 0);
        if (logits.length != m.config().vocabSize()) {
            throw new AssertionError(logits.length + " logits for a vocabulary of " + m.config().vocabSize());
        }
    }
}
