package dev.e8q.llama.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.e8q.llama.LlamaConfig;
import dev.e8q.llama.io.CheckpointFormatException;
import dev.e8q.llama.io.HfConfig;
import java.nio.file.Path;

/**
 * {@link HfConfig}: Hugging Face {@code config.json}. A config that loads must be usable: sizes whose
 * products fit an int (the runtime allocates q/k/v of nHeads·headDim), finite positive RoPE theta and norm
 * epsilon, BOS/EOS inside the vocabulary (or -1 for none).
 */
class HfConfigFuzzTest {
    private static final FuzzSupport.Scratch SCRATCH = new FuzzSupport.Scratch("hfconfig");

    @FuzzTest(maxDuration = "10m")
    void fuzz(byte[] data) {
        Path file = FuzzSupport.Scratch.write(SCRATCH.fresh(), "config.json", data);
        FuzzSupport.run(data.length, () -> load(file), file.toString(), CheckpointFormatException.class);
    }

    static void load(Path file) throws Exception {
        checkConsistent(HfConfig.read(file));
    }

    static void checkConsistent(LlamaConfig c) {
        require((long) c.nHeads() * c.headDim() <= Integer.MAX_VALUE, c, "nHeads·headDim overflows int");
        require((long) c.nKvHeads() * c.headDim() <= Integer.MAX_VALUE, c, "nKvHeads·headDim overflows int");
        require(c.nHeads() % c.nKvHeads() == 0, c, "nHeads not a multiple of nKvHeads");
        require(Float.isFinite(c.normEps()) && c.normEps() >= 0, c, "norm epsilon " + c.normEps());
        require(Float.isFinite(c.ropeTheta()) && c.ropeTheta() > 0, c, "rope theta " + c.ropeTheta());
        require(c.bosId() >= -1 && c.bosId() < c.vocabSize(), c, "BOS id " + c.bosId() + " outside the vocabulary");
        require(c.eosId() >= -1 && c.eosId() < c.vocabSize(), c, "EOS id " + c.eosId() + " outside the vocabulary");
        LlamaConfig.RopeScaling s = c.ropeScaling();
        if (s != null) {
            require(Float.isFinite(s.factor()) && s.factor() > 0 && Float.isFinite(s.lowFreqFactor()) && s.lowFreqFactor() > 0
                    && Float.isFinite(s.highFreqFactor()) && s.highFreqFactor() > s.lowFreqFactor()
                    && s.originalMaxPositions() > 0, c, "rope scaling " + s);
        }
    }

    private static void require(boolean ok, LlamaConfig c, String what) {
        if (!ok) throw new AssertionError("config loaded but is inconsistent: " + what + " in " + c);
    }
}
