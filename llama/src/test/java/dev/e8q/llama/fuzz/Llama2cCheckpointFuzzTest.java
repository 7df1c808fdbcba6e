package dev.e8q.llama.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.e8q.llama.LlamaConfig;
import dev.e8q.llama.io.CheckpointFormatException;
import dev.e8q.llama.io.Llama2cCheckpoint;
import java.nio.file.Path;

/**
 * {@link Llama2cCheckpoint}: the 7-int header and the float arrays it implies. A file that opens must have
 * a consistent config, and every tensor must read back with as many floats as its shape says.
 */
class Llama2cCheckpointFuzzTest {
    private static final FuzzSupport.Scratch SCRATCH = new FuzzSupport.Scratch("llama2c");

    @FuzzTest(maxDuration = "10m")
    void fuzz(byte[] data) {
        Path file = FuzzSupport.Scratch.write(SCRATCH.fresh(), "model.bin", data);
        FuzzSupport.run(data.length, () -> load(file, data.length), file.toString(), CheckpointFormatException.class);
    }

    static void load(Path file, long size) throws Exception {
        {
            try (Llama2cCheckpoint c = Llama2cCheckpoint.open(file)) {
                LlamaConfig cfg = c.config();
                HfConfigFuzzTest.checkConsistent(cfg);
                long floats = 0;
                for (String name : c.names()) {
                    long count = 1;
                    for (long d : c.shape(name)) count = Math.multiplyExact(count, d);
                    float[] v = c.read(name);
                    if (v.length != count) throw new AssertionError(name + ": read " + v.length + ", shape says " + count);
                    floats += count;
                }
                // Tied lm_head shares the embedding, so the exposed floats may exceed the file by one matrix.
                long limit = size / 4 + (long) cfg.vocabSize() * cfg.dim();
                if (floats > limit) throw new AssertionError("tensors hold " + floats + " floats, file " + size + " bytes");
            }
        }
    }
}
