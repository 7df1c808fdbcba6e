package dev.e8q.llama.fuzz;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.e8q.llama.io.CheckpointFormatException;
import dev.e8q.llama.tokenizer.HfTokenizer;
import java.nio.file.Path;

/**
 * {@link HfTokenizer}: Hugging Face {@code tokenizer.json} (model, normalizer, pre_tokenizer, decoder,
 * added tokens). A tokenizer that loads must decode every id and encode text into ids inside its
 * vocabulary; the only encode-time failures allowed are the documented ones (a character outside a
 * vocabulary without unk_token: IllegalArgumentException; a file regex that exceeds its step budget, i.e. backtracks
 * catastrophically: IllegalArgumentException naming the pattern; normalizers that lengthen the text more than 64-fold:
 * IllegalArgumentException; no BOS/EOS defined: IllegalStateException).
 */
class HfTokenizerFuzzTest {
    private static final FuzzSupport.Scratch SCRATCH = new FuzzSupport.Scratch("tokjson");

    @FuzzTest(maxDuration = "10m")
    @DictionaryEntries({"\"type\"", "\"BPE\"", "\"vocab\"", "\"merges\"", "\"normalizer\"", "\"pre_tokenizer\"", "\"decoder\"",
            "\"added_tokens\"", "\"Sequence\"", "\"Metaspace\"", "\"ByteLevel\"", "\"Split\"", "\"Digits\"", "\"Replace\"",
            "\"Prepend\"", "\"Strip\"", "\"ByteFallback\"", "\"Fuse\"", "\"byte_fallback\"", "\"fuse_unk\"", "\"unk_token\"",
            "\"ignore_merges\"", "\"pattern\"", "\"Regex\"", "\"String\"", "\"content\"", "\"behavior\"", "\"Isolated\"",
            "\"post_processor\"", "\"SpecialToken\"", "\"id\"", "\"special\"", "\"<0x41>\"", "\"prepend_scheme\""})
    void fuzz(byte[] data) {
        Path file = FuzzSupport.Scratch.write(SCRATCH.fresh(), "tokenizer.json", data);
        FuzzSupport.run(data.length, () -> load(file), file.toString(), CheckpointFormatException.class);
    }

    static void load(Path file) throws Exception {
        {
            HfTokenizer t = HfTokenizer.load(file);
            int v = t.vocabSize();
            for (int id = 0; id < v; id++) {
                t.decodeTokenBytes(-1, id);
                t.decodeTokenBytes(0, id);
            }
            for (String s : TokenizerProbe.TEXTS) {
                int[] ids;
                try {
                    ids = t.encode(s, false, false);
                } catch (IllegalArgumentException noUnk) {
                    String m = String.valueOf(noUnk.getMessage());
                    if (!m.contains("not in the vocabulary") && !m.contains("backtracks catastrophically")
                            && !m.contains("normalizers expand the text")) throw noUnk;
                    continue;
                }
                TokenizerProbe.inRange(ids, v, s);
                t.decode(ids);
            }
        }
    }
}
