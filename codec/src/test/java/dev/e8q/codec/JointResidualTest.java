package dev.e8q.codec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import org.junit.jupiter.api.Test;

/** {@link E8Encoder#jointResidual}: the same format, a better choice of codes. */
class JointResidualTest {
    @Test
    void withoutAHessianEveryBlockIsAtLeastAsCloseSoTheMatrixIs() {
        qt().withExamples(8).forAll(integers().between(2, 4), longs().between(1, 1_000_000)).checkAssert((bits, seed) -> {
            int rows = 32, cols = 128;
            float[] w = E8CodecTest.gaussian(rows * cols, seed);
            E8Encoder e = E8Codec.encoder().bits(bits).seed(seed);
            EncodeResult greedy = e.encodeWithReport(w, rows, cols), joint = e.jointResidual(true).encodeWithReport(w, rows, cols);
            assertTrue(joint.relativeError() <= greedy.relativeError() * (1 + 1e-6), bits + " bits");
            if (bits == 4) assertTrue(joint.relativeError() < 0.97 * greedy.relativeError(), "4 bits: " + joint.relativeError() + " vs " + greedy.relativeError());
            if (bits == 2) assertArrayEquals(greedy.matrix().qidxs(), joint.matrix().qidxs());
            E8Matrix back = E8Matrix.fromCbor(joint.matrix().toCbor());
            assertArrayEquals(joint.matrix().decodeRowMajor(), back.decodeRowMajor(), 0f);
        });
    }

    @Test
    void withAHessianTheProxyLossDrops() {
        int rows = 64, cols = 256;
        float[] w = E8CodecTest.gaussian(rows * cols, 3);
        E8Encoder e = E8Codec.encoder().bits(4).seed(1).hessian(E8CodecTest.ar1(cols, 0.9));
        double greedy = e.encodeWithReport(w, rows, cols).proxyLoss(), joint = e.jointResidual(true).encodeWithReport(w, rows, cols).proxyLoss();
        assertTrue(joint < 0.97 * greedy, "proxy loss joint " + joint + " vs greedy " + greedy);
    }
}
