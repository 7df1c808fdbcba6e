package dev.e8q.compare;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import dev.e8q.codec.RtnQuantizer;
import dev.e8q.convert.Baselines;
import dev.e8q.convert.Calibration;
import dev.e8q.llama.model.DType;
import dev.e8q.llama.model.DenseLinear;
import dev.e8q.llama.model.LlamaModel;
import dev.e8q.llama.model.ModelLoader;
import dev.e8q.llama.testdata.TestData;
import dev.e8q.llama.tokenizer.Tokenizer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The pieces of the comparison: divergence, eval-token prefix, local error, no-E8, atomic files. */
class CompareUnitsTest {
    @TempDir
    Path tmp;

    static int[] arr(List<Integer> l) {
        return l.stream().mapToInt(Integer::intValue).toArray();
    }

    @Test
    void firstDifferenceOfASequenceWithItselfIsTheCap() {
        qt().forAll(lists().of(integers().between(0, 511)).ofSizeBetween(0, 80), integers().between(1, 64))
                .checkAssert((l, g) -> assertEquals(g, Divergence.firstDifference(arr(l), arr(l), g)));
    }

    @Test
    void firstDifferenceFindsTheFirstChangedToken() {
        qt().forAll(lists().of(integers().between(0, 511)).ofSizeBetween(1, 80), integers().between(0, 1 << 20), integers().between(1, 64))
                .checkAssert((l, r, g) -> {
                    int i = r % l.size();
                    int[] a = arr(l), b = a.clone();
                    b[i] = (b[i] + 1) % 512;
                    int want = i < g ? i : g;
                    assertEquals(want, Divergence.firstDifference(a, b, g));
                    assertEquals(want, Divergence.firstDifference(b, a, g));
                });
    }

    @Test
    void firstDifferenceOfAStoppedAndAContinuedSequence() {
        // One stops (shorter, its stop token included), the other goes on: they part where the shorter ends.
        assertEquals(3, Divergence.firstDifference(new int[] {5, 6, 7}, new int[] {5, 6, 7, 8}, 10));
        assertEquals(3, Divergence.firstDifference(new int[] {5, 6, 7, 8}, new int[] {5, 6, 7}, 10));
        assertEquals(10, Divergence.firstDifference(new int[] {5, 6, 7}, new int[] {5, 6, 7}, 10));
        assertEquals(2, Divergence.firstDifference(new int[] {5, 6, 7}, new int[] {5, 6, 7, 8}, 2));
    }

    @Test
    void promptsAreTheFirstWordsOfDistinctParagraphs() {
        String text = "A b c d e f g h i.\n\nShort one.\n\nOne two three four five six seven eight.\r\n\r\nA b c d x y z w.\n\n"
                + "X y z w v u t s r q.\n";
        assertEquals(List.of("A b c d", "One two three four", "X y z w"), Divergence.promptTexts(text, 3, 4));
        assertThrows(IllegalArgumentException.class, () -> Divergence.promptTexts(text, 4, 4));
    }

    @Test
    void evalTokensArePrefixOfTheWholeTextsTokens() throws Exception {
        Path model = TestData.stories260K();
        Tokenizer tok = ModelLoader.tokenizer(model, null);
        String text = Files.readString(TestData.wiki(), StandardCharsets.UTF_8);
        String head = text.replace("\r\n", "\n").substring(0, 120_000);
        int[] all = tok.encode(head, false, false);
        qt().withExamples(8).forAll(integers().between(1, 20_000)).checkAssert(cap -> {
            int[] t = CompareRunner.evalTokens(tok, head, cap);
            assertEquals(Math.min(cap, all.length), t.length);
            assertArrayEquals(Arrays.copyOf(all, t.length), t);
        });
        // CRLF is normalized: the raw text gives the same tokens as its LF version.
        assertArrayEquals(CompareRunner.evalTokens(tok, head, 500), CompareRunner.evalTokens(tok, text.substring(0, 130_000), 500));
    }

    @Test
    void localErrorIsZeroForTheReferenceAndGrowsAsBitsShrink() throws Exception {
        Path model = TestData.stories260K();
        LlamaModel dense = Baselines.dense(model);
        Tokenizer tok = ModelLoader.tokenizer(model, null);
        String calib = Files.readString(TestData.train(), StandardCharsets.UTF_8);
        LocalError le = LocalError.collect(dense, Calibration.windows(tok, calib, 4, 64));
        assertEquals(0, le.meanProxyLoss(dense));
        double e8 = le.meanProxyLoss(Baselines.rtn(dense, RtnQuantizer.perChannel(RtnQuantizer.Scheme.SYMMETRIC, 8)));
        double e4 = le.meanProxyLoss(Baselines.rtn(dense, RtnQuantizer.perChannel(RtnQuantizer.Scheme.SYMMETRIC, 4)));
        assertTrue(0 < e8 && e8 < e4 && e4 < 1, e8 + " " + e4);
        // Scaling every weight by (1 + t) gives a proxy loss of exactly t² (whatever H is).
        LlamaModel scaled = Models.withLinears(dense, (l, k, lin) -> {
            float[] w = ((DenseLinear) lin).weights().clone();
            for (int i = 0; i < w.length; i++) w[i] *= 1.5f;
            return DenseLinear.of(w, lin.outFeatures(), lin.inFeatures(), DType.F32);
        });
        assertEquals(0.25, le.meanProxyLoss(scaled), 1e-5);
        // The identity probe reads the same W as a dense linear's stored weights.
        DenseLinear d = (DenseLinear) dense.block(1).linear(dev.e8q.llama.model.LinearKind.DOWN);
        dev.e8q.llama.Linear wrapped = new dev.e8q.llama.Linear() {
            public int inFeatures() { return d.inFeatures(); }

            public int outFeatures() { return d.outFeatures(); }

            public void forward(float[] x, int xo, float[] y, int yo) { d.forward(x, xo, y, yo); }

            public long weightBytes() { return d.weightBytes(); }
        };
        assertArrayEquals(d.weights(), LocalError.weights(wrapped), 1e-6f);

        // no E8 at 2 bits: a real quantization (error well above 8-bit RTN), storage 2 bits + fp16 vectors.
        NoE8.Result n = NoE8.quantize(dense, le, 2, 0);
        double en = le.meanProxyLoss(n.model());
        assertTrue(en > e8 && en < 1, "no-E8 local error " + en);
        assertTrue(n.bitsPerWeight() > 2 && n.bitsPerWeight() < 3, "bits " + n.bitsPerWeight());
    }

    @Test
    void atomicWriteReplacesTheTargetAndLeavesNoTemporaryFile() throws Exception {
        Path f = tmp.resolve("compare.json");
        dev.e8q.llama.io.AtomicFiles.write(f, "old".getBytes(StandardCharsets.UTF_8));
        dev.e8q.llama.io.AtomicFiles.write(f, "new".getBytes(StandardCharsets.UTF_8));
        assertEquals("new", Files.readString(f));
        // A rename that cannot happen (the target is a non-empty directory) leaves the target and no temporary file.
        Path d = tmp.resolve("compare.md");
        Files.createDirectories(d.resolve("x"));
        assertThrows(java.io.IOException.class, () -> dev.e8q.llama.io.AtomicFiles.write(d, "x".getBytes(StandardCharsets.UTF_8)));
        assertTrue(Files.isDirectory(d.resolve("x")));
        try (var s = Files.list(tmp)) {
            assertFalse(s.anyMatch(p -> p.getFileName().toString().endsWith(".tmp")));
        }
    }
}
