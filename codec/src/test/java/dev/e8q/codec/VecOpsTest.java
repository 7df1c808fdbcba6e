package dev.e8q.codec;

import static org.junit.jupiter.api.Assertions.*;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.*;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The blocked dot products give each sum the bits of {@link VecOps#dot}, so callers can switch without a trace. */
class VecOpsTest {
    @Test
    void dot4GivesTheBitsOfFourDots() {
        qt().withExamples(60).forAll(integers().between(0, 70), integers().between(0, 9), longs().all()).checkAssert((len, gap, seed) -> {
            SplittableRandom r = new SplittableRandom(seed);
            int stride = len + gap;
            float[] a = random(r, len + 3), b = random(r, 4 * stride + len + 5);
            int aOff = r.nextInt(4), bOff = r.nextInt(6);
            float[] out = new float[4];
            VecOps.dot4(a, aOff, b, bOff, stride, len, out);
            for (int k = 0; k < 4; k++)
                assertEquals(VecOps.dot(a, aOff, b, bOff + k * stride, len), out[k], 0f, "len=" + len + " k=" + k);
        });
    }

    @Test
    void dot4x4GivesTheBitsOfSixteenDots() {
        qt().withExamples(60).forAll(integers().between(0, 70), integers().between(0, 9), integers().between(0, 9), longs().all())
                .checkAssert((len, gapA, gapB, seed) -> {
                    SplittableRandom r = new SplittableRandom(seed);
                    int sa = len + gapA, sb = len + gapB;
                    float[] a = random(r, 4 * sa + len + 3), b = random(r, 4 * sb + len + 5);
                    int aOff = r.nextInt(4), bOff = r.nextInt(6);
                    float[] out = new float[16];
                    VecOps.dot4x4(a, aOff, sa, b, bOff, sb, len, out);
                    for (int p = 0; p < 4; p++)
                        for (int q = 0; q < 4; q++)
                            assertEquals(VecOps.dot(a, aOff + p * sa, b, bOff + q * sb, len), out[4 * p + q], 0f,
                                    "len=" + len + " (" + p + "," + q + ")");
                });
    }

    private static float[] random(SplittableRandom r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < v.length; i++) v[i] = (float) (r.nextGaussian() * Math.exp(2 * r.nextGaussian()));
        return v;
    }
}
