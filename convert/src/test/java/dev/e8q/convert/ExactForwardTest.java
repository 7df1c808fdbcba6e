package dev.e8q.convert;

import static org.junit.jupiter.api.Assertions.*;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.*;

import dev.e8q.codec.Parallel;
import dev.e8q.llama.LlamaConfig;
import dev.e8q.llama.WeightSource;
import dev.e8q.llama.io.Checkpoints;
import dev.e8q.llama.model.DType;
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

    /**
     * With a sliding window (stories260K given one of 16 positions), the calibration forward still equals the block
     * forward, whose window RandomModelTest checks against an independent reference; and the window is in effect.
     */
    @Test
    void slidingWindowMatchesDecoderBlock() throws Exception {
        LlamaModel full = Baselines.dense(TestData.stories260K()), m;
        try (WeightSource src = new HfLayoutSource(Checkpoints.open(TestData.stories260K()))) {
            m = LlamaModel.load(new WeightSource() {
                public LlamaConfig config() { return src.config().withSlidingWindow(16); }
                public List<String> names() { return src.names(); }
                public boolean has(String name) { return src.has(name); }
                public long[] shape(String name) { return src.shape(name); }
                public float[] read(String name) throws java.io.IOException { return src.read(name); }
                public void close() {}
            }, DType.F32);
        }
        var tok = ModelLoader.tokenizer(TestData.stories260K(), null);
        int[] seq = Calibration.windows(tok, java.nio.file.Files.readString(TestData.train()), 1, 120).get(0);
        float[] a = m.embed(seq), b = a.clone(), f = a.clone();
        for (int l = 0; l < m.config().nLayers(); l++) {
            m.block(l).forwardSequence(a, seq.length, null);
            ExactForward.block(m.block(l), b, seq.length, null);
            ExactForward.block(full.block(l), f, seq.length, null);
        }
        double max = 0, scale = 0, moved = 0;
        int dim = m.config().dim();
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs(a[i] - b[i]));
            scale = Math.max(scale, Math.abs(a[i]));
            if (i < 16 * dim) assertEquals(f[i], b[i], 0f, "positions within the window see the same keys");
            else moved = Math.max(moved, Math.abs(f[i] - b[i]));
        }
        assertTrue(max < 1e-4 * scale, "max diff " + max + " at scale " + scale);
        assertTrue(moved > 1e-3 * scale, "the window changed nothing beyond it: " + moved);
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
