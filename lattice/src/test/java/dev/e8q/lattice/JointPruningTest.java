package dev.e8q.lattice;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.doubles;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The joint RVQ search's shortcuts keep the bits: the per-coset padding scan equals scoring every padding pattern with
 * {@link E8PSearch#paddingScore}, and the candidate pruning ({@link Rvq#cannotWin}) only skips candidates that the full
 * search would have rejected.
 */
class JointPruningTest {
    private static final long SEED = 0x50_5255L;

    /** Gaussian, or on a coarse dyadic grid where exact ties between patterns and candidates are common. */
    static float[] input(Random r, int n, double scale, boolean dyadic) {
        float[] x = new float[n];
        for (int k = 0; k < n; k++) {
            double v = r.nextGaussian() * scale;
            x[k] = dyadic ? (float) (Math.rint(v * 8) / 8) : (float) v;
        }
        return x;
    }

    @Test
    void thePaddingScanIsTheFirstArgmaxOfEveryPatternsScore() {
        qt().withFixedSeed(SEED).withExamples(4000)
                .forAll(longs().all(), doubles().between(0.05, 12), integers().between(0, 1))
                .checkAssert((seed, scale, dyadic) -> {
                    Random r = new Random(seed);
                    float[] x = input(r, 10, scale, dyadic == 1);
                    double sumX = 0;
                    for (int k = 0; k < 8; k++) sumX += x[2 + k];
                    for (double s : new double[] {0.25, -0.25}) {
                        int want = -1;
                        double best = Double.NEGATIVE_INFINITY;
                        for (int j = 0; j < E8PSource.ROWS - E8PSource.SORTED_ROWS; j++) {
                            double sc = E8PSearch.paddingScore(x, 2, s, sumX, j);
                            if (sc > best) {
                                best = sc;
                                want = j;
                            }
                        }
                        assertEquals(want, E8PSearch.bestPadding(x, 2, s, sumX), "shift " + s);
                    }
                });
    }

    /** Rvq.quantizeJoint as it was before pruning: every class-best candidate gets its own residual search. */
    static long unprunedJoint(int bits, double residScale, float[] x, int off, float[] recon) {
        long best = Rvq.quantize(bits, residScale, x, off, recon, 0);
        if (bits == 2) return best;
        double bestErr = JointRvqTest.err(x, off, recon, 0);
        int[] cand = new int[16];
        E8PSearch.classBest(x, off, cand);
        float[] t = new float[16];
        float s = (float) residScale;
        for (int c1 : cand) {
            if (c1 == (int) (best >>> (bits == 3 ? 8 : 16))) continue;
            E8P.decode(c1, t, 0);
            for (int k = 0; k < 8; k++) t[8 + k] = (x[off + k] - t[k]) * s;
            long code = bits == 3 ? (long) c1 << 8 | E81B.nearest(t, 8) : (long) c1 << 16 | E8P.nearest(t, 8);
            Rvq.decode(bits, residScale, code, t, 0);
            double e = 0;
            for (int k = 0; k < 8; k++) {
                double d = x[off + k] - t[k];
                e += d * d;
            }
            if (e < bestErr) {
                bestErr = e;
                best = code;
                System.arraycopy(t, 0, recon, 0, 8);
            }
        }
        return best;
    }

    @Test
    void pruningKeepsTheCodesAndReconstructions() {
        qt().withFixedSeed(SEED).withExamples(6000)
                .forAll(integers().between(3, 4), longs().all(), doubles().between(0.02, 40), integers().between(0, 1))
                .checkAssert((bits, seed, scale, dyadic) -> {
                    Random r = new Random(seed);
                    float[] x = input(r, 9, scale, dyadic == 1);
                    double rs = Rvq.defaultResidualScale(bits);
                    float[] want = new float[8], got = new float[8];
                    long w = unprunedJoint(bits, rs, x, 1, want);
                    long g = Rvq.quantizeJoint(bits, rs, x, 1, got, 0);
                    assertEquals(w, g, bits + " bits, scale " + scale);
                    assertArrayEquals(want, got);
                });
    }

    @Test
    void aCandidateIsNeverCalledHopelessForAnErrorItReaches() {
        qt().withFixedSeed(SEED).withExamples(4000)
                .forAll(integers().between(3, 4), longs().all(), doubles().between(0.02, 8), integers().between(0, 1))
                .checkAssert((bits, seed, scale, nearestResidual) -> {
                    Random r = new Random(seed);
                    float[] x = input(r, 8, scale, false);
                    double rs = Rvq.defaultResidualScale(bits);
                    int c1 = r.nextInt(E8P.CODES);
                    float[] t = new float[16];
                    E8P.decode(c1, t, 0);
                    double rr = 0;
                    for (int k = 0; k < 8; k++) {
                        double d = (double) x[k] - t[k];
                        rr += d * d;
                        t[8 + k] = (x[k] - t[k]) * (float) rs;
                    }
                    int q;
                    if (bits == 3) q = nearestResidual == 1 ? E81B.nearest(t, 8) : r.nextInt(E81B.CODES);
                    else q = nearestResidual == 1 ? E8P.nearest(t, 8) : r.nextInt(E8P.CODES);
                    long code = bits == 3 ? (long) c1 << 8 | q : (long) c1 << 16 | q;
                    float[] recon = new float[8];
                    Rvq.decode(bits, rs, code, recon, 0);
                    double e = JointRvqTest.err(x, 0, recon, 0);
                    double reach = (bits == 3 ? Rvq.E81B_MAX_NORM : Rvq.E8P_MAX_NORM) / rs;
                    assertFalse(Rvq.cannotWin(rr, reach, e), "candidate " + c1 + " reaches " + e);
                });
    }

    @Test
    void theReachIsTheLargestCodewordNorm() {
        double e8p = 0, e81b = 0;
        float[] v = new float[8];
        for (int c = 0; c < E8P.CODES; c++) {
            E8P.decode(c, v, 0);
            e8p = Math.max(e8p, JointRvqTest.err(v, 0, new float[8], 0));
        }
        for (int c = 0; c < E81B.CODES; c++) {
            E81B.decode(c, v, 0);
            e81b = Math.max(e81b, JointRvqTest.err(v, 0, new float[8], 0));
        }
        assertEquals(Math.sqrt(e8p), Rvq.E8P_MAX_NORM);
        assertEquals(Math.sqrt(e81b), Rvq.E81B_MAX_NORM);
    }

    @Test
    void aPaddingClassIsLeftOutOnlyWhenItIsFartherThanTheCutoff() {
        int[] leftOut = {0};
        qt().withFixedSeed(SEED).withExamples(4000)
                .forAll(longs().all(), doubles().between(0.05, 6), doubles().between(-0.3, 0.3), integers().between(0, 1))
                .checkAssert((seed, scale, rel, dyadic) -> {
                    Random r = new Random(seed);
                    float[] x = input(r, 8, scale, dyadic == 1);
                    int[] all = new int[16], cut = new int[16];
                    E8PSearch.classBest(x, 0, all);
                    // cut around the padding classes' own distances, where the margin matters
                    double d = BruteForce.e8pDistance(x, 0, all[r.nextBoolean() ? 7 : 15]);
                    double farther2 = d * (1 + rel * rel * rel);
                    E8PSearch.classBest(x, 0, cut, farther2);
                    for (int i = 0; i < 16; i++) {
                        if (cut[i] == all[i]) continue;
                        assertEquals(-1, cut[i], "slot " + i);
                        assertTrue(i == 7 || i == 15, "only padding classes are left out, not slot " + i);
                        // the class's best codeword, hence all of it, is beyond the cutoff
                        assertTrue(BruteForce.e8pDistance(x, 0, all[i]) > farther2, "slot " + i);
                        leftOut[0]++;
                    }
                });
        assertTrue(leftOut[0] > 400, "the cutoff was exercised: " + leftOut[0] + " classes left out");
    }

    @Test
    void beyondTheHopelessDistanceEveryCandidateCannotWin() {
        qt().withFixedSeed(SEED).withExamples(3000)
                .forAll(doubles().between(0, 4), doubles().between(0.2, 2), doubles().between(0, 1e-6))
                .checkAssert((bestErr, reach, above) -> {
                    double h = Rvq.hopelessDistance2(reach, bestErr);
                    assertTrue(Rvq.cannotWin(Math.nextUp(h) * (1 + above), reach, bestErr), "rr just above " + h);
                });
    }
}
