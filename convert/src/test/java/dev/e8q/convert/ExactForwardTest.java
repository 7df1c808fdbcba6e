package dev.e8q.convert;

import static org.junit.jupiter.api.Assertions.*;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.*;

import dev.e8q.codec.Parallel;
import dev.e8q.llama.model.LlamaModel;
import dev.e8q.llama.model.ModelLoader;
import dev.e8q.llama.testdata.TestData;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
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

    @Test
    void tiledMatmulGivesEachOutputTheBitsOfOneDot() {
        // Widths below, at and around the vector length; row and token counts that leave partial 4 × 4 tiles.
        qt().withExamples(40).forAll(integers().between(1, 70), integers().between(1, 37), integers().between(1, 23), longs().all())
                .checkAssert((in, out, T, seed) -> {
                    SplittableRandom r = new SplittableRandom(seed);
                    float[] w = new float[out * in], x = new float[T * in];
                    for (int i = 0; i < w.length; i++) w[i] = (float) r.nextGaussian();
                    for (int i = 0; i < x.length; i++) x[i] = (float) (r.nextGaussian() * 10);
                    int threads = Parallel.threads();
                    try {
                        for (int th : new int[] {1, 2}) {
                            Parallel.setThreads(th);
                            // the default token block, and small ones so that several blocks run
                            float[] y = r.nextBoolean() ? ExactForward.matmul(x, T, w, out, in) : ExactForward.matmul(x, T, w, out, in, 1 + r.nextInt(9));
                            for (int t = 0; t < T; t++)
                                for (int o = 0; o < out; o++)
                                    assertEquals(ExactForward.dot(w, o * in, x, t * in, in), y[t * out + o], 0f,
                                            "in=" + in + " out=" + out + " T=" + T + " threads=" + th + " at (" + t + "," + o + ")");
                        }
                    } finally {
                        Parallel.setThreads(threads);
                    }
                });
    }
}
