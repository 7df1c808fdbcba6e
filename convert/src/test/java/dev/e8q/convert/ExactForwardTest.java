package dev.e8q.convert;

import static org.junit.jupiter.api.Assertions.*;

import dev.e8q.codec.Parallel;
import dev.e8q.llama.model.LlamaModel;
import dev.e8q.llama.model.ModelLoader;
import dev.e8q.llama.testdata.TestData;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The converter's calibration forward equals the llama block forward (to float rounding) and is bit-reproducible. */
class ExactForwardTest {
    @Test
    void matchesDecoderBlockAndIsReproducible() throws Exception {
        LlamaModel m = Baselines.dense(TestData.stories260K());
        var tok = ModelLoader.tokenizer(TestData.stories260K(), null);
        int[] seq = Calibration.windows(tok, java.nio.file.Files.readString(TestData.train()), 1, 200).get(0);
        float[] a = m.embed(seq), b = a.clone();
        List<float[]> seen = new ArrayList<>();
        for (int l = 0; l < m.config().nLayers(); l++) {
            m.block(l).forwardSequence(a, seq.length, null);
            ExactForward.block(m.block(l), b, seq.length, (ly, g, in, rows, cols) -> seen.add(in.clone()));
        }
        assertEquals(4 * 5, seen.size());
        double max = 0, scale = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs(a[i] - b[i]));
            scale = Math.max(scale, Math.abs(a[i]));
        }
        assertTrue(max < 1e-4 * scale, "max diff " + max + " at scale " + scale);
        // same bits again, with another thread count and JIT state
        int threads = Parallel.threads();
        try {
            Parallel.setThreads(threads == 1 ? 2 : 1);
            for (int rep = 0; rep < 3; rep++) {
                float[] c = m.embed(seq);
                for (int l = 0; l < m.config().nLayers(); l++) ExactForward.block(m.block(l), c, seq.length, null);
                assertArrayEquals(b, c, 0f);
            }
        } finally {
            Parallel.setThreads(threads);
        }
    }
}
