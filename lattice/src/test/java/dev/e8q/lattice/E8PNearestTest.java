package dev.e8q.lattice;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.doubles;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * E8P.nearest against exhaustive search over all 65,536 codewords. Properties draw a seed (QuickTheories
 * prints it on failure) and build the point from it, so a failure is reproducible from the report.
 */
class E8PNearestTest {
    private static final long SEED = 0x5EED_E8L;

    /** Asserts that nearest(x) is at the minimum distance; on failure the message has x, the code, both distances. */
    private static void assertExact(float[] x) {
        assertNear(x, 0.0);
    }

    /**
     * At extreme magnitudes double arithmetic cannot separate the candidates: ‖x‖² ≈ 1e31 has an ulp of 1e15,
     * far more than the gap between neighbouring codewords, and for |x| below 1e-16 the terms that decide
     * between the ±¼ cosets vanish next to the ¼ shift. There both searches only agree up to rounding.
     */
    private static void assertWithinRounding(float[] x) {
        double min = BruteForce.e8pMinDistance(x, 0);
        assertNear(x, 1e-14 * (min + 1));
    }

    private static void assertNear(float[] x, double tolerance) {
        int code = E8P.nearest(x, 0);
        double got = BruteForce.e8pDistance(x, 0, code);
        double min = BruteForce.e8pMinDistance(x, 0);
        assertEquals(min, got, tolerance, () -> "x=" + java.util.Arrays.toString(x) + " code=" + code);
    }

    private static float[] gaussian(long seed, double scale) {
        Random r = new Random(seed);
        float[] x = new float[8];
        for (int k = 0; k < 8; k++) {
            x[k] = (float) (r.nextGaussian() * scale);
        }
        return x;
    }

    @Test
    void gaussianPointsAtScalesHalfToFour() {
        qt().withFixedSeed(SEED).withExamples(1500)
                .forAll(longs().all(), doubles().between(0.5, 4.0))
                .checkAssert((seed, scale) -> assertExact(gaussian(seed, scale)));
    }

    @Test
    void farOutsideTheBall() {
        qt().withFixedSeed(SEED).withExamples(300)
                .forAll(longs().all(), doubles().between(8, 1e4))
                .checkAssert((seed, scale) -> assertExact(gaussian(seed, scale)));
        qt().withFixedSeed(SEED).withExamples(200)
                .forAll(longs().all(), integers().between(5, 37))
                .checkAssert((seed, exp) -> assertWithinRounding(gaussian(seed, Math.pow(10, exp))));
        assertWithinRounding(new float[] {Float.MAX_VALUE, -Float.MAX_VALUE, 1, 0, 0, 0, 0, 0});
    }

    @Test
    void tinyScalesAndZero() {
        qt().withFixedSeed(SEED).withExamples(200)
                .forAll(longs().all(), integers().between(-6, -1))
                .checkAssert((seed, exp) -> assertExact(gaussian(seed, Math.pow(10, exp))));
        qt().withFixedSeed(SEED).withExamples(200)
                .forAll(longs().all(), integers().between(-45, -7))
                .checkAssert((seed, exp) -> assertWithinRounding(gaussian(seed, Math.pow(10, exp))));
        assertExact(new float[8]);
        assertExact(new float[] {-0f, -0f, 0, 0, -0f, 0, 0, 0});
        assertExact(new float[] {Float.MIN_VALUE, -Float.MIN_VALUE, 0, 0, 0, 0, 0, 0});
    }

    @Test
    void midpointsBetweenTwoCodewordsTie() {
        // Pairs of nearby codewords (the second is the nearest one to a nudged copy of the first) and random
        // pairs: the midpoint is equidistant from both, so only the distance, not the code, is checked.
        qt().withFixedSeed(SEED).withExamples(1500)
                .forAll(integers().between(0, E8P.CODES - 1), longs().all(), doubles().between(0.3, 1.5))
                .checkAssert((c1, seed, step) -> {
                    float[] v1 = new float[8];
                    E8P.decode(c1, v1, 0);
                    float[] nudged = gaussian(seed, step);
                    for (int k = 0; k < 8; k++) {
                        nudged[k] += v1[k];
                    }
                    float[] v2 = new float[8];
                    E8P.decode(E8P.nearest(nudged, 0), v2, 0);
                    float[] v3 = new float[8];
                    E8P.decode((int) Math.floorMod(seed, (long) E8P.CODES), v3, 0);
                    float[] mid = new float[8];
                    float[] far = new float[8];
                    for (int k = 0; k < 8; k++) {
                        mid[k] = (v1[k] + v2[k]) / 2;
                        far[k] = (v1[k] + v3[k]) / 2;
                    }
                    assertExact(mid);
                    assertExact(far);
                });
    }

    @Test
    void pointsOnTheEighthGridHaveManyTies() {
        qt().withFixedSeed(SEED).withExamples(1500)
                .forAll(longs().all())
                .checkAssert(seed -> {
                    Random r = new Random(seed);
                    float[] x = new float[8];
                    for (int k = 0; k < 8; k++) {
                        x[k] = (r.nextInt(65) - 32) / 8f;
                    }
                    assertExact(x);
                });
    }

    @Test
    void nearPaddingCodewords() {
        // The 29 padding patterns are searched separately from the sorted ones (E8PSearch), so probe around them.
        qt().withFixedSeed(SEED).withExamples(400)
                .forAll(integers().between(227 * 256, E8P.CODES - 1), longs().all(), doubles().between(0.01, 0.6))
                .checkAssert((code, seed, noise) -> {
                    float[] x = gaussian(seed, noise);
                    float[] v = new float[8];
                    E8P.decode(code, v, 0);
                    for (int k = 0; k < 8; k++) {
                        x[k] += v[k];
                    }
                    assertExact(x);
                });
    }

    @Test
    void everyCodewordIsItsOwnNearest() {
        float[] v = new float[8];
        for (int c = 0; c < E8P.CODES; c++) {
            E8P.decode(c, v, 0);
            assertEquals(c, E8P.nearest(v, 0), "code " + c);
        }
    }

    @Test
    void readsAtTheOffset() {
        float[] x = gaussian(7, 1.5f);
        float[] padded = new float[20];
        System.arraycopy(x, 0, padded, 5, 8);
        assertEquals(E8P.nearest(x, 0), E8P.nearest(padded, 5));
    }

    @Test
    void rejectsNonFiniteAndBadRanges() {
        for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
            float[] x = new float[8];
            x[3] = bad;
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> E8P.nearest(x, 0));
            assertEquals("x[3] = " + bad + " is not finite", e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> E8P.nearest(new float[8], 1));
        assertThrows(IllegalArgumentException.class, () -> E8P.nearest(new float[8], -1));
        assertThrows(IllegalArgumentException.class, () -> E8P.nearest(null, 0));
    }
}
