package dev.e8q.simd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import java.util.SplittableRandom;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.api.Test;

class LanesTest {
    private static final VectorSpecies<Float>[] FLOATS = new VectorSpecies[] {FloatVector.SPECIES_64, FloatVector.SPECIES_128,
            FloatVector.SPECIES_256, FloatVector.SPECIES_512, FloatVector.SPECIES_PREFERRED};
    private static final VectorSpecies<Double>[] DOUBLES = new VectorSpecies[] {DoubleVector.SPECIES_64, DoubleVector.SPECIES_128,
            DoubleVector.SPECIES_256, DoubleVector.SPECIES_512, DoubleVector.SPECIES_PREFERRED};

    /** Values of wildly different magnitudes and signs, so that any other order of the additions rounds differently. */
    private static double value(SplittableRandom r) {
        return (r.nextBoolean() ? 1 : -1) * Math.scalb(1 + r.nextDouble(), r.nextInt(-30, 30));
    }

    /** The tree spelled out: level by level, lane i + h onto lane i. */
    private static double tree(double[] a) {
        double[] t = a.clone();
        for (int h = t.length / 2; h > 0; h /= 2) for (int i = 0; i < h; i++) t[i] = t[i] + t[i + h];
        return t[0];
    }

    private static float tree(float[] a) {
        float[] t = a.clone();
        for (int h = t.length / 2; h > 0; h /= 2) for (int i = 0; i < h; i++) t[i] = t[i] + t[i + h];
        return t[0];
    }

    @Test
    void pairwiseFloatSumsInTheTreeOrderOnEverySpecies() {
        qt().withExamples(3000).forAll(integers().between(0, FLOATS.length - 1), longs().all()).checkAssert((si, seed) -> {
            VectorSpecies<Float> s = FLOATS[si];
            SplittableRandom r = new SplittableRandom(seed);
            float[] x = new float[s.length()];
            for (int i = 0; i < x.length; i++) x[i] = (float) value(r);
            assertEquals(Float.floatToRawIntBits(tree(x)), Float.floatToRawIntBits(Lanes.pairwise(FloatVector.fromArray(s, x, 0))), s.toString());
        });
    }

    @Test
    void pairwiseDoubleSumsInTheTreeOrderOnEverySpecies() {
        qt().withExamples(3000).forAll(integers().between(0, DOUBLES.length - 1), longs().all()).checkAssert((si, seed) -> {
            VectorSpecies<Double> s = DOUBLES[si];
            SplittableRandom r = new SplittableRandom(seed);
            double[] x = new double[s.length()];
            for (int i = 0; i < x.length; i++) x[i] = value(r);
            assertEquals(Double.doubleToRawLongBits(tree(x)), Double.doubleToRawLongBits(Lanes.pairwise(DoubleVector.fromArray(s, x, 0))), s.toString());
        });
    }

    @Test
    void sumAddsInLaneOrder() {
        qt().withExamples(1000).forAll(integers().between(0, FLOATS.length - 1), longs().all()).checkAssert((si, seed) -> {
            SplittableRandom r = new SplittableRandom(seed);
            float[] x = new float[FLOATS[si].length()];
            double[] d = new double[DOUBLES[si].length()];
            float fs = 0;
            double ds = 0;
            for (int i = 0; i < x.length; i++) fs += x[i] = (float) value(r);
            for (int i = 0; i < d.length; i++) ds += d[i] = value(r);
            assertEquals(Float.floatToRawIntBits(fs), Float.floatToRawIntBits(Lanes.sum(FloatVector.fromArray(FLOATS[si], x, 0))));
            assertEquals(Double.doubleToRawLongBits(ds), Double.doubleToRawLongBits(Lanes.sum(DoubleVector.fromArray(DOUBLES[si], d, 0))));
        });
    }

    @Test
    void theOrdersDifferSoTheTestsCanTellThemApart() {
        // with these magnitudes the orders matter: the property tests above would notice a swapped order
        float[] x = {1e8f, 1f, -1e8f, 1f, 0.5f, 3f, -0.25f, 7f, 1e-3f, 2e7f, -2e7f, 5f, 1e8f, -1e8f, 0.125f, 1f};
        float seq = 0;
        for (float v : x) seq += v;
        float pw = Lanes.pairwise(FloatVector.fromArray(FloatVector.SPECIES_512, x, 0));
        org.junit.jupiter.api.Assertions.assertNotEquals(seq, pw);
        assertEquals(seq, Lanes.sum(FloatVector.fromArray(FloatVector.SPECIES_512, x, 0)));
    }
}
