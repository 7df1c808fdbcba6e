package dev.e8q.llama.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.e8q.llama.io.CheckpointFormatException;
import dev.e8q.llama.tokenizer.Llama2cTokenizer;
import java.nio.file.Path;

/**
 * {@link Llama2cTokenizer}: {@code tokenizer.bin} (max_token_length, then score, length, bytes per id).
 * A tokenizer that loads must decode every id and encode text into ids inside its vocabulary.
 */
class Llama2cTokenizerFuzzTest {
    private static final FuzzSupport.Scratch SCRATCH = new FuzzSupport.Scratch("tokbin");

    @FuzzTest(maxDuration = "10m")
    void fuzz(byte[] data) {
        Path file = FuzzSupport.Scratch.write(SCRATCH.fresh(), "tokenizer.bin", data);
        FuzzSupport.run(data.length, () -> load(file), file.toString(), CheckpointFormatException.class);
    }

    static void load(Path file) throws Exception {
        {
            Llama2cTokenizer t = Llama2cTokenizer.load(file);
            int v = t.vocabSize();
            for (int id = 0; id < v; id++) {
                t.decodeTokenBytes(-1, id);
                t.decodeTokenBytes(t.bos(), id);
                t.piece(id);
            }
            for (String s : TokenizerProbe.TEXTS) {
                int[] ids = t.encode(s, true, true);
                TokenizerProbe.inRange(ids, v, s);
                t.decode(ids);
            }
        }
    }
}
