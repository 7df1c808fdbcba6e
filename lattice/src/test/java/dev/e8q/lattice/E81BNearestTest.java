package dev.e8q.lattice;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.doubles;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** E81B.nearest equals the exhaustive argmax of 2⟨x,g⟩ − ‖g‖² with first-index tie-breaking. */
class E81BNearestTest {
    private static final long SEED = 0xE81BL;

    private static void assertSameAsBruteForce(float[] x) {
        assertEquals(BruteForce.e81bNearest(x, 0), E81B.nearest(x, 0), () -> "x=" + java.util.Arrays.toString(x));
    }

    @Test
    void gaussianPoints() {
        qt().withFixedSeed(SEED).withExamples(3000)
                .forAll(longs().all(), doubles().between(0.05, 4.0))
                .checkAssert((seed, scale) -> {
                    Random r = new Random(seed);
                    float[] x = new float[8];
                    for (int k = 0; k < 8; k++) {
                        x[k] = (float) (r.nextGaussian() * scale);
                    }
                    assertSameAsBruteForce(x);
                });
    }

    @Test
    void tiesOnTheQuarterGridGoToTheFirstIndex() {
        qt().withFixedSeed(SEED).withExamples(3000)
                .forAll(longs().all(), integers().between(1, 12))
                .checkAssert((seed, range) -> {
                    Random r = new Random(seed);
                    float[] x = new float[8];
                    for (int k = 0; k < 8; k++) {
                        x[k] = (r.nextInt(2 * range + 1) - range) / 4f;
                    }
                    assertSameAsBruteForce(x);
                });
        assertSameAsBruteForce(new float[8]);
        // Midway between +½·1 and 0 scores 0 for both: index 56 (zero) comes before 240.
        assertSameAsBruteForce(new float[] {.25f, .25f, .25f, .25f, .25f, .25f, .25f, .25f});
    }

    @Test
    void extremeScales() {
        qt().withFixedSeed(SEED).withExamples(300)
                .forAll(longs().all(), integers().between(-45, 37))
                .checkAssert((seed, exp) -> {
                    Random r = new Random(seed);
                    float[] x = new float[8];
                    for (int k = 0; k < 8; k++) {
                        x[k] = (float) (r.nextGaussian() * Math.pow(10, exp));
                    }
                    assertSameAsBruteForce(x);
                });
    }

    @Test
    void everyCodewordIsItsOwnNearest() {
        float[] v = new float[8];
        for (int c = 0; c < E81B.CODES; c++) {
            E81B.decode(c, v, 0);
            assertEquals(c, E81B.nearest(v, 0), "code " + c);
        }
    }

    @Test
    void rejectsNonFinite() {
        float[] x = new float[8];
        x[7] = Float.NaN;
        assertThrows(IllegalArgumentException.class, () -> E81B.nearest(x, 0));
        x[7] = Float.NEGATIVE_INFINITY;
        assertThrows(IllegalArgumentException.class, () -> E81B.nearest(x, 0));
        assertThrows(IllegalArgumentException.class, () -> E81B.nearest(new float[9], 2));
    }
}
