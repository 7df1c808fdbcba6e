package dev.e8q.lattice;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Exact nearest-codeword search for E8P.
 *
 * <p><b>Why it is exact.</b> For the coset with shift s (p=0: s=+¼, p=1: s=−¼) let y = x − s. A codeword of
 * that coset with pattern i is u + s where |u| = A_i and the number of negative coordinates of u has the parity
 * odd(i) (see {@link E8P}). ‖x − u − s‖² = ‖y‖² − 2⟨y,u⟩ + ‖A_i‖², and ‖y‖² = ‖x‖² − 2sΣx + ½, so over both
 * cosets we maximise score = ⟨y,u⟩ − ‖A_i‖²/2 + sΣx. For fixed i, ⟨y,u⟩ ≤ Σ|y_k|A_ik, reached by giving u the
 * signs of y. If that sign pattern has the wrong parity, an odd number of coordinates must be flipped, each
 * flip of k costing 2|y_k|A_ik ≥ 0, so the optimum flips exactly the cheapest one. Hence
 * score_i = Σ|y_k|A_ik − [parity wrong]·2·min_k|y_k|A_ik − ‖A_i‖²/2 + sΣx, over 2×256 (coset, pattern) pairs.
 *
 * <p><b>Rounding.</b> The 512 scores are computed in float with SIMD. Each has an absolute error below E
 * (a generous bound, {@link #errorBound}). With M the largest float score, every pair whose true score is
 * maximal has a float score ≥ M − 2E, and every pair below that is strictly worse than the one that produced
 * M. So the pairs at or above M − 2E (almost always one or two) are re-scored in double by their actual
 * distance, and the smallest wins, the first in (coset, pattern) order on ties.
 */
final class E8PSearch {
    private static final VectorSpecies<Float> SP = FloatVector.SPECIES_PREFERRED;
    private static final int L = SP.length();
    private static final int N = E8PSource.ROWS;

    /** Transposed patterns: AT[k·256 + i] = A_i[k] = |a|. */
    private static final float[] AT = new float[8 * N];
    /** ‖A_i‖² / 2. */
    private static final float[] HALF_NORM = new float[N];
    /** Penalty factor when y has an even number of negative coordinates: 2 where odd(i), else 0. */
    private static final float[] PEN_EVEN = new float[N];
    /** Penalty factor when y has an odd number of negative coordinates: 2 where !odd(i), else 0. */
    private static final float[] PEN_ODD = new float[N];
    /** Above this Σ|x| the float pass could overflow; such inputs re-score all pairs in double. */
    private static final float FLOAT_LIMIT = 0x1p100f;

    private static final ThreadLocal<float[]> SCRATCH = ThreadLocal.withInitial(() -> new float[2 * N]);

    static {
        if (N % L != 0) {
            throw new IllegalStateException("vector length " + L + " does not divide " + N);
        }
        for (int i = 0; i < N; i++) {
            float norm = 0;
            for (int k = 0; k < 8; k++) {
                float a = E8P.SOURCE[i * 8 + k] * 0.5f;
                AT[k * N + i] = a;
                norm += a * a;
            }
            HALF_NORM[i] = norm * 0.5f;
            PEN_EVEN[i] = E8P.oddBit(i) == 1 ? 2f : 0f;
            PEN_ODD[i] = E8P.oddBit(i) == 1 ? 0f : 2f;
        }
    }

    private E8PSearch() {
    }

    /** x[off..off+8) must be finite (checked by the caller). */
    static int nearest(float[] x, int off) {
        float sumX = 0;
        float sumAbs = 0;
        for (int k = 0; k < 8; k++) {
            sumX += x[off + k];
            sumAbs += Math.abs(x[off + k]);
        }
        if (!(sumAbs <= FLOAT_LIMIT)) {
            return rescoreAll(x, off);
        }
        float[] scores = SCRATCH.get();
        float m0 = cosetScores(x, off, 0.25f, sumX * 0.25f, scores, 0);
        float m1 = cosetScores(x, off, -0.25f, -sumX * 0.25f, scores, N);
        float threshold = Math.max(m0, m1) - 2 * errorBound(sumAbs);

        int best = -1;
        double bestDist = Double.POSITIVE_INFINITY;
        for (int j = 0; j < 2 * N; j += L) {
            VectorMask<Float> hit = FloatVector.fromArray(SP, scores, j).compare(VectorOperators.GE, threshold);
            long bits = hit.toLong();
            while (bits != 0) {
                int pair = j + Long.numberOfTrailingZeros(bits);
                bits &= bits - 1;
                int code = bestSigns(x, off, pair >> 8, pair & (N - 1));
                double d = E8P.distance(x, off, code);
                if (d < bestDist) {
                    bestDist = d;
                    best = code;
                }
            }
        }
        return best;
    }

    /**
     * A bound on |float score − true score|. The float computation has about 20 roundings on terms no larger
     * than 8Σ|x| + 24 in magnitude (|y_k| ≤ |x_k| + ¼, A ≤ 5/2, penalty ≤ twice the dot product, ‖A‖²/2 ≤ 6,
     * |sΣx| ≤ Σ|x|/4); 2^-18 = 64 float ulps of that bound leaves a wide margin.
     */
    private static float errorBound(float sumAbs) {
        return 0x1p-18f * (8 * sumAbs + 24);
    }

    /** Writes the 256 scores of one coset to scores[dst..dst+256) and returns their maximum. */
    static float cosetScores(float[] x, int off, float shift, float offset, float[] scores, int dst) {
        float y0 = x[off] - shift, y1 = x[off + 1] - shift, y2 = x[off + 2] - shift, y3 = x[off + 3] - shift;
        float y4 = x[off + 4] - shift, y5 = x[off + 5] - shift, y6 = x[off + 6] - shift, y7 = x[off + 7] - shift;
        int negatives = (y0 < 0 ? 1 : 0) + (y1 < 0 ? 1 : 0) + (y2 < 0 ? 1 : 0) + (y3 < 0 ? 1 : 0)
                + (y4 < 0 ? 1 : 0) + (y5 < 0 ? 1 : 0) + (y6 < 0 ? 1 : 0) + (y7 < 0 ? 1 : 0);
        float[] pen = (negatives & 1) == 0 ? PEN_EVEN : PEN_ODD;
        float a0 = Math.abs(y0), a1 = Math.abs(y1), a2 = Math.abs(y2), a3 = Math.abs(y3);
        float a4 = Math.abs(y4), a5 = Math.abs(y5), a6 = Math.abs(y6), a7 = Math.abs(y7);
        FloatVector max = FloatVector.broadcast(SP, Float.NEGATIVE_INFINITY);
        for (int j = 0; j < N; j += L) {
            FloatVector t = FloatVector.fromArray(SP, AT, j).mul(a0);
            FloatVector acc = t;
            FloatVector min = t;
            t = FloatVector.fromArray(SP, AT, N + j).mul(a1);
            acc = acc.add(t);
            min = min.min(t);
            t = FloatVector.fromArray(SP, AT, 2 * N + j).mul(a2);
            acc = acc.add(t);
            min = min.min(t);
            t = FloatVector.fromArray(SP, AT, 3 * N + j).mul(a3);
            acc = acc.add(t);
            min = min.min(t);
            t = FloatVector.fromArray(SP, AT, 4 * N + j).mul(a4);
            acc = acc.add(t);
            min = min.min(t);
            t = FloatVector.fromArray(SP, AT, 5 * N + j).mul(a5);
            acc = acc.add(t);
            min = min.min(t);
            t = FloatVector.fromArray(SP, AT, 6 * N + j).mul(a6);
            acc = acc.add(t);
            min = min.min(t);
            t = FloatVector.fromArray(SP, AT, 7 * N + j).mul(a7);
            acc = acc.add(t);
            min = min.min(t);
            FloatVector score = acc.sub(FloatVector.fromArray(SP, HALF_NORM, j).sub(offset))
                    .sub(FloatVector.fromArray(SP, pen, j).mul(min));
            score.intoArray(scores, dst + j);
            max = max.max(score);
        }
        return max.reduceLanes(VectorOperators.MAX);
    }

    /** Fallback for huge inputs: every (coset, pattern) pair by its double distance. */
    private static int rescoreAll(float[] x, int off) {
        int best = -1;
        double bestDist = Double.POSITIVE_INFINITY;
        for (int pair = 0; pair < 2 * N; pair++) {
            int code = bestSigns(x, off, pair >> 8, pair & (N - 1));
            double d = E8P.distance(x, off, code);
            if (d < bestDist) {
                bestDist = d;
                best = code;
            }
        }
        return best;
    }

    /** The code of the nearest codeword with pattern i in coset p, in double (see the class comment). */
    static int bestSigns(float[] x, int off, int p, int i) {
        double shift = p == 0 ? 0.25 : -0.25;
        int neg = 0;
        int cheapest = 0;
        double cheapestCost = Double.POSITIVE_INFINITY;
        for (int k = 0; k < 8; k++) {
            double y = (double) x[off + k] - shift;
            if (y < 0) {
                neg |= 1 << k;
            }
            double cost = Math.abs(y) * E8P.SOURCE[i * 8 + k];
            if (cost < cheapestCost) {
                cheapestCost = cost;
                cheapest = k;
            }
        }
        if ((Integer.bitCount(neg) & 1) != E8P.oddBit(i)) {
            neg ^= 1 << cheapest;
        }
        return E8P.encodeUnchecked(i, neg, p);
    }
}
