package dev.e8q.llama.model;

import dev.e8q.llama.testdata.LogitsProbe;
import dev.e8q.llama.testdata.TestData;
import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The runtime gives the same logits, bit for bit, in every execution mode: the first run in this JVM, a run after the
 * kernels have been compiled by C2, and a run in a fresh JVM that only interprets ({@code -Xint}) agree on every logit
 * of a prefill and of the tokens after it. Two things broke that before: {@code reduceLanes(ADD)} leaves its order
 * open and C2 sums in another order than the interpreter, and {@code lanewise(EXP)} rounds differently in C2. With
 * both, 758 of stories260K's 6,144 logits (12 tokens) differed between an -Xint run and a fresh JIT-compiled one; with
 * the lane sums fixed, the exponential alone still moved 9,847 of TinyStories-656K's 20,480 (F32, first against
 * warmed-up run) and 5,952 (BF16, -Xint against warmed-up). Every lane sum now goes through
 * {@link dev.e8q.simd.Lanes} and every exponential through {@link dev.e8q.simd.Exp}.
 */
class ReproducibleForwardTest {
    private static final int TOKENS = 10;

    @ParameterizedTest
    @CsvSource({"stories260K/stories260K.bin, F32, F32", "tinystories656K, F32, F32", "tinystories656K, BF16, F16"})
    void interpretedAndCompiledRunsGiveTheSameLogits(String model, DType storage, KvCache.Precision kv) throws Exception {
        Path path = TestData.file(model);
        LlamaModel m = ModelLoader.load(path, storage);
        int[] tokens = LogitsProbe.tokens(m.config().vocabSize(), TOKENS);
        float[] cold = LogitsProbe.run(m, tokens, kv);
        float[] warm = LogitsProbe.warm(m, tokens, kv);
        LogitsProbe.assertBitsEqual(cold, warm, model + " " + storage + ": first run against warmed-up run");
        float[] interpreted = LogitsProbe.interpreted(path, storage, TOKENS, kv);
        LogitsProbe.assertBitsEqual(interpreted, warm, model + " " + storage + ": -Xint run against warmed-up run");
    }
}
