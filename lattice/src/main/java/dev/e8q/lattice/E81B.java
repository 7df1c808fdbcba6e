package dev.e8q.lattice;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The 8-bit E81B codebook (SPEC §3): 256 points of E8 with ‖g‖² ≤ 2 plus 15 of norm² 4, used for the second
 * (residual) stage of 3-bit RVQ.
 *
 * <p>{@link #nearest} is exact: argmax of 2⟨x,g⟩ − ‖g‖², the first index on ties. Scores are computed in
 * float with SIMD, each with an absolute error below a bound E. With M the largest float score, every index
 * whose true score is maximal has a float score ≥ M − 2E, and every index below that is strictly worse than
 * the one that produced M; so only the indices at or above M − 2E (almost always one) are re-scored in double,
 * in index order, keeping the first maximum.
 */
public final class E81B {
    public static final int CODES = 256;

    private static final VectorSpecies<Float> SP = FloatVector.SPECIES_PREFERRED;
    private static final int L = SP.length();

    /** 256×8 int8 of 2·g, row-major. */
    static final byte[] GRID2 = build();
    /** Transposed: GT[k·256 + i] = 2·g_i[k]. */
    private static final float[] GT = new float[8 * CODES];
    /** ‖g_i‖². */
    private static final float[] NORM = new float[CODES];
    /** Above this Σ|x| the float pass could overflow; such inputs are scored in double only. */
    private static final float FLOAT_LIMIT = 0x1p100f;
    private static final ThreadLocal<float[]> SCRATCH = ThreadLocal.withInitial(() -> new float[CODES]);

    static {
        if (CODES % L != 0) {
            throw new IllegalStateException("vector length " + L + " does not divide " + CODES);
        }
        for (int i = 0; i < CODES; i++) {
            int norm4 = 0;
            for (int k = 0; k < 8; k++) {
                int g2 = GRID2[i * 8 + k];
                GT[k * CODES + i] = g2;
                norm4 += g2 * g2;
            }
            NORM[i] = norm4 * 0.25f;
        }
    }

    private E81B() {
    }

    /** Writes codeword {@code code} to {@code out[off..off+8)}, exactly. */
    public static void decode(int code, float[] out, int off) {
        Checks.code(code, CODES, "E81B");
        Checks.range8(out, off, "out");
        for (int k = 0; k < 8; k++) {
            out[off + k] = GRID2[code * 8 + k] * 0.5f;
        }
    }

    /** Returns a copy of the table as int8 of 2·g, 256×8 row-major. */
    public static byte[] grid2() {
        return GRID2.clone();
    }

    /**
     * Returns the exact nearest codeword of {@code x[off..off+8)}: argmax 2⟨x,g⟩ − ‖g‖², first index on ties.
     *
     * @throws IllegalArgumentException if the range is out of bounds or holds NaN or ±inf
     */
    public static int nearest(float[] x, int off) {
        Checks.finite8(x, off);
        float sumAbs = 0;
        for (int k = 0; k < 8; k++) {
            sumAbs += Math.abs(x[off + k]);
        }
        if (!(sumAbs <= FLOAT_LIMIT)) {
            return rescore(x, off, 0, CODES);
        }
        FloatVector x0 = FloatVector.broadcast(SP, x[off]), x1 = FloatVector.broadcast(SP, x[off + 1]);
        FloatVector x2 = FloatVector.broadcast(SP, x[off + 2]), x3 = FloatVector.broadcast(SP, x[off + 3]);
        FloatVector x4 = FloatVector.broadcast(SP, x[off + 4]), x5 = FloatVector.broadcast(SP, x[off + 5]);
        FloatVector x6 = FloatVector.broadcast(SP, x[off + 6]), x7 = FloatVector.broadcast(SP, x[off + 7]);
        // Scores go to a per-thread scratch array: about 25% faster than recomputing them for the candidate scan.
        float[] scores = SCRATCH.get();
        FloatVector max = FloatVector.broadcast(SP, Float.NEGATIVE_INFINITY);
        for (int j = 0; j < CODES; j += L) {
            // 2⟨x, g_j⟩ − ‖g_j‖² for L codewords, written out here: a helper taking and returning vectors gets them
            // boxed whenever C2 does not inline it
            FloatVector sc = FloatVector.fromArray(SP, GT, j).mul(x0);
            sc = FloatVector.fromArray(SP, GT, CODES + j).fma(x1, sc);
            sc = FloatVector.fromArray(SP, GT, 2 * CODES + j).fma(x2, sc);
            sc = FloatVector.fromArray(SP, GT, 3 * CODES + j).fma(x3, sc);
            sc = FloatVector.fromArray(SP, GT, 4 * CODES + j).fma(x4, sc);
            sc = FloatVector.fromArray(SP, GT, 5 * CODES + j).fma(x5, sc);
            sc = FloatVector.fromArray(SP, GT, 6 * CODES + j).fma(x6, sc);
            sc = FloatVector.fromArray(SP, GT, 7 * CODES + j).fma(x7, sc).sub(FloatVector.fromArray(SP, NORM, j));
            sc.intoArray(scores, j);
            max = max.max(sc);
        }
        // E: 8 fma roundings on partial sums ≤ 4Σ|x| plus one on ‖g‖² ≤ 4, i.e. under 9·2^-24·(4Σ|x| + 4);
        // 2^-18 (64 float ulps) of a larger bound leaves a wide margin.
        float threshold = max.reduceLanes(VectorOperators.MAX) - 2 * 0x1p-18f * (4 * sumAbs + 8);
        int best = -1;
        double bestScore = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < CODES; j += L) {
            VectorMask<Float> hit = FloatVector.fromArray(SP, scores, j).compare(VectorOperators.GE, threshold);
            long bits = hit.toLong();
            while (bits != 0) {
                int i = j + Long.numberOfTrailingZeros(bits);
                bits &= bits - 1;
                double s = exactScore(x, off, i);
                if (s > bestScore) {
                    bestScore = s;
                    best = i;
                }
            }
        }
        return best;
    }

    /** 2⟨x,g_i⟩ − ‖g_i‖² in double. Each product of a float and a small integer is exact in double; so is the
     *  sum unless the coordinates' magnitudes span more than about 2^25. */
    static double exactScore(float[] x, int off, int i) {
        double s = 0;
        int norm4 = 0;
        for (int k = 0; k < 8; k++) {
            int g2 = GRID2[i * 8 + k];
            s += (double) x[off + k] * g2;
            norm4 += g2 * g2;
        }
        return s - norm4 * 0.25;
    }

    private static int rescore(float[] x, int off, int from, int to) {
        int best = -1;
        double bestScore = Double.NEGATIVE_INFINITY;
        for (int i = from; i < to; i++) {
            double s = exactScore(x, off, i);
            if (s > bestScore) {
                bestScore = s;
                best = i;
            }
        }
        return best;
    }

    /**
     * SPEC §3 index order: (a) integer vectors over −4..3 in odometer order (coordinate 0 slowest) with even sum
     * and ‖x‖² ≤ 2; (b) half-integer vectors over −3.5..3.5, same order and filter; (c) +2e_0…+2e_7 then
     * −2e_0…−2e_6. Filtering with ‖x‖² ≤ 2 leaves only coordinates in {−1,0,1} (resp. ±½), and restricting an
     * odometer to a subset of digit values keeps the relative order, so the small odometers below suffice.
     */
    private static byte[] build() {
        byte[] t = new byte[CODES * 8];
        int row = 0;
        int[] v = new int[8];
        for (int n = 0; n < 6561; n++) { // {−1,0,1}^8, values of g
            int rest = n;
            int sum = 0;
            int norm = 0;
            for (int k = 7; k >= 0; k--) {
                v[k] = rest % 3 - 1;
                rest /= 3;
                sum += v[k];
                norm += v[k] * v[k];
            }
            if ((sum & 1) == 0 && norm <= 2) {
                for (int k = 0; k < 8; k++) {
                    t[row * 8 + k] = (byte) (2 * v[k]);
                }
                row++;
            }
        }
        for (int n = 0; n < 256; n++) { // {−½,½}^8 as 2g ∈ {−1,1}, bit for coordinate 0 most significant
            int minus = 0;
            for (int k = 0; k < 8; k++) {
                boolean negative = ((n >> (7 - k)) & 1) == 0;
                t[row * 8 + k] = (byte) (negative ? -1 : 1);
                minus += negative ? 1 : 0;
            }
            if ((minus & 1) == 0) { // Σ = 4 − minus must be even
                row++;
            }
        }
        for (int k = 0; k < 8; k++) {
            java.util.Arrays.fill(t, row * 8, row * 8 + 8, (byte) 0);
            t[row * 8 + k] = 4;
            row++;
        }
        for (int k = 0; k < 7; k++) { // −2e_7 is omitted (SPEC §3)
            t[row * 8 + k] = -4;
            row++;
        }
        if (row != CODES) {
            throw new IllegalStateException("E81B table has " + row + " rows, expected 256");
        }
        return t;
    }
}
