package dev.e8q.llama.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;

import dev.e8q.llama.LlamaConfig;
import dev.e8q.llama.WeightSource;
import dev.e8q.llama.testdata.TestData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.quicktheories.generators.SourceDSL;

class ExportHfTest {
    @TempDir
    Path tmp;

    @Test
    void permutationOfHeadDim8() {
        int[] src = new int[8];
        for (int r = 0; r < 8; r++) src[r] = RopePermutation.interleavedToHalfSource(r, 8);
        assertArrayEquals(new int[] {0, 2, 4, 6, 1, 3, 5, 7}, src);
    }

    @Test
    void permutationIsABijectionAndRoundTrips() {
        qt().withExamples(200)
                .forAll(SourceDSL.integers().between(1, 4), SourceDSL.integers().between(1, 16),
                        SourceDSL.integers().between(1, 5), SourceDSL.longs().all())
                .checkAssert((heads, halfHd, cols, seed) -> {
                    int hd = 2 * halfHd;
                    boolean[] seen = new boolean[hd];
                    for (int r = 0; r < hd; r++) seen[RopePermutation.interleavedToHalfSource(r, hd)] = true;
                    for (boolean s : seen) assertTrue(s, "not a bijection for head dim " + hd);
                    float[] w = new float[heads * hd * cols];
                    Random rnd = new Random(seed);
                    for (int i = 0; i < w.length; i++) w[i] = rnd.nextFloat();
                    float[] p = RopePermutation.interleavedToHalf(w, heads, hd, cols);
                    assertArrayEquals(w, RopePermutation.halfToInterleaved(p, heads, hd, cols));
                    float[] sortedW = w.clone(), sortedP = p.clone();
                    java.util.Arrays.sort(sortedW);
                    java.util.Arrays.sort(sortedP);
                    assertArrayEquals(sortedW, sortedP);
                });
    }

    /**
     * The reason for the permutation: RoPE in interleaved layout on (q, k) gives the same score as RoPE in
     * rotate_half layout on the permuted (q, k), at every pair of positions.
     */
    @Test
    void permutedRopeScoresEqualInterleavedRopeScores() {
        qt().withExamples(100).forAll(SourceDSL.integers().between(1, 16), SourceDSL.integers().between(0, 300),
                SourceDSL.integers().between(0, 300), SourceDSL.longs().all()).checkAssert((halfHd, m, n, seed) -> {
                    int hd = 2 * halfHd;
                    Random rnd = new Random(seed);
                    double[] q = new double[hd], k = new double[hd];
                    for (int i = 0; i < hd; i++) {
                        q[i] = rnd.nextGaussian();
                        k[i] = rnd.nextGaussian();
                    }
                    double a = dot(ropeInterleaved(q, m), ropeInterleaved(k, n));
                    double b = dot(ropeHalf(permute(q), m), ropeHalf(permute(k), n));
                    assertEquals(a, b, 1e-9 * (1 + Math.abs(a)));
                });
    }

    private static double[] permute(double[] v) {
        double[] out = new double[v.length];
        for (int r = 0; r < v.length; r++) out[r] = v[RopePermutation.interleavedToHalfSource(r, v.length)];
        return out;
    }

    private static double[] ropeInterleaved(double[] v, int pos) {
        double[] o = v.clone();
        for (int i = 0; i < v.length; i += 2) {
            double f = pos * Math.pow(10000, -(double) i / v.length), c = Math.cos(f), s = Math.sin(f);
            o[i] = v[i] * c - v[i + 1] * s;
            o[i + 1] = v[i] * s + v[i + 1] * c;
        }
        return o;
    }

    private static double[] ropeHalf(double[] v, int pos) {
        double[] o = v.clone();
        int h = v.length / 2;
        for (int i = 0; i < h; i++) {
            double f = pos * Math.pow(10000, -(2.0 * i) / v.length), c = Math.cos(f), s = Math.sin(f);
            o[i] = v[i] * c - v[i + h] * s;
            o[i + h] = v[i + h] * c + v[i] * s;
        }
        return o;
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }

    @Test
    void exportedStories260KLoadsWithHfLayout() throws IOException {
        Path bin = TestData.file("stories260K/stories260K.bin");
        Path out = ExportHf.export(bin, tmp.resolve("hf"));
        ExportHf.copyTokenizer(TestData.file("stories260K/tok512.bin"), out, "tokenizer.bin");
        assertTrue(Files.exists(out.resolve("tokenizer.bin")));
        try (WeightSource src = Checkpoints.open(bin); WeightSource hf = Checkpoints.open(out)) {
            LlamaConfig a = src.config(), b = hf.config();
            assertFalse(b.ropeInterleaved());
            assertEquals("llama", b.architecture());
            assertEquals(new LlamaConfig("llama", a.dim(), a.hiddenDim(), a.nLayers(), a.nHeads(), a.nKvHeads(), a.headDim(),
                    a.vocabSize(), a.maxSeqLen(), a.normEps(), a.ropeTheta(), null, false, true, false, 1, 2), b);
            assertEquals(new java.util.TreeSet<>(src.names()), new java.util.TreeSet<>(hf.names()));
            for (String n : src.names()) {
                float[] x = src.read(n), y = hf.read(n);
                if (n.contains("q_proj")) {
                    assertArrayEquals(RopePermutation.interleavedToHalf(x, a.nHeads(), a.headDim(), a.dim()), y, n);
                } else if (n.contains("k_proj")) {
                    assertArrayEquals(RopePermutation.interleavedToHalf(x, a.nKvHeads(), a.headDim(), a.dim()), y, n);
                    assertFalse(java.util.Arrays.equals(x, y), n + " should have moved");
                } else {
                    assertArrayEquals(x, y, n);
                }
            }
        }
        try (SafetensorsReader r = SafetensorsReader.open(out.resolve("model.safetensors"))) {
            assertFalse(r.has("lm_head.weight"), "tied lm_head is stored once, as the embedding");
        }
    }
}
