package dev.e8q.lattice;

/**
 * Exact nearest-codeword search for E8P by sorting instead of scanning the 65,536 codewords.
 *
 * <p><b>Reduction to patterns.</b> For the coset with shift s (p=0: s=+¼, p=1: s=−¼) let y = x − s and
 * a = |y|. A codeword of that coset with pattern i is u + s, |u| = A_i, where the number of negative
 * coordinates of u has the parity odd(i) (see {@link E8P}). Since ‖x − u − s‖² = ‖x‖² + ½ − 2·score with
 * score = ⟨y,u⟩ − ‖A_i‖²/2 + sΣx, the nearest codeword maximises score over both cosets. For fixed i,
 * ⟨y,u⟩ ≤ Σ a_k A_ik, reached by copying the signs of y; if those signs have the wrong parity an odd number of
 * coordinates must be flipped, flipping k costs 2a_k A_ik ≥ 0, so the best flips only the cheapest one:
 * best(i) = Σ a_k A_ik − [parity wrong]·2·min_k a_k A_ik.
 *
 * <p><b>Types.</b> Write A = ½ + B with B ∈ {0,1,2}^8. The 227 sorted patterns are <em>all</em> permutations
 * of seven multisets of B (T0 none, T1 one 1, T2 two 1s, T3 three 1s, T4 one 2, T5 four 1s, T6 one 2 and one
 * 1), and odd(i) = ΣB mod 2 depends on the type only. Sort a descending: a(1) ≥ … ≥ a(8). With the parity
 * right, the rearrangement inequality gives the best permutation (largest B on largest a), e.g. T6 scores
 * ½Σa + 2a(1) + a(2). With the parity wrong, maximise over (permutation, flipped k) of Σ_{j≠k} a_j A_j −
 * a_k A_k: the flipped coordinate should carry a ½ (every type has at least three), the rest is a
 * rearrangement, and flipping the smallest a is best because raising one value of a sorted list by δ raises a
 * rearrangement sum by at least ½δ. Every type has a ½ on a(8) in its rearrangement, so the wrong-parity score
 * is simply the right-parity one minus a(8).
 *
 * <p><b>Padding.</b> The 29 padding patterns (T7: five 3/2, three ½) are only some permutations of their
 * multiset, so they are scored one by one, but only when their upper bound reaches the best score found so
 * far. The bound is ½Σa + (a(1)+…+a(5)) − 6 (the best permutation of the full multiset), minus a(8) when the
 * parity is wrong (a flip costs 2·a_k·A_k ≥ a(8)); it beats T5 only when a(5) is about 1 or more.
 *
 * <p><b>Arithmetic.</b> Everything is in double. On dyadic inputs of moderate size every sum is exact, and for
 * float inputs of ordinary magnitude the rounding (a few double ulps) is far below any gap between candidate
 * scores, so the result is the nearest codeword. Only where double itself cannot separate the candidates
 * (coordinates below about 1e-7 next to the ¼ shift, or far beyond 1e4) may it be off, by a few ulps of the
 * distance. The sort keys drop the low 3 mantissa bits of a, which are zero for ordinary inputs.
 */
final class E8PSearch {
    private static final int SORTED = E8PSource.SORTED_ROWS;
    private static final int PADDING = E8PSource.ROWS - SORTED;
    private static final int[] POW3 = {2187, 729, 243, 81, 27, 9, 3, 1}; // 3^(7−k): coordinate 0 most significant

    /** absIdx of the pattern with B digits (base 3, coordinate 0 most significant), or −1. */
    private static final short[] INDEX = new short[6561];
    /** For padding pattern 227+j: bit k set ⇔ A[k] = ½. */
    private static final int[] PAD_HALVES = new int[PADDING];

    static {
        java.util.Arrays.fill(INDEX, (short) -1);
        for (int i = 0; i < E8PSource.ROWS; i++) {
            int key = 0;
            int halves = 0;
            for (int k = 0; k < 8; k++) {
                int b = (E8P.SOURCE[i * 8 + k] - 1) / 2; // 2a = 2B + 1
                key += b * POW3[k];
                halves |= (b == 0 ? 1 : 0) << k;
            }
            if (i < SORTED) {
                INDEX[key] = (short) i;
            } else {
                PAD_HALVES[i - SORTED] = halves;
            }
        }
    }

    private E8PSearch() {
    }

    /** x[off..off+8) must be finite (checked by the caller). */
    static int nearest(float[] x, int off) {
        double sumX = 0;
        for (int k = 0; k < 8; k++) {
            sumX += x[off + k];
        }
        // Result of the best sorted-pattern candidate over both cosets.
        double best = Double.NEGATIVE_INFINITY;
        int bestP = 0;
        int bestKey = 0;
        int bestNeg = 0; // sign pattern of y in the winning coset
        int bestSmallest = 0; // index of the smallest |y| there: the flip when the parity is wrong
        double bound0 = 0; // padding upper bound per coset
        double bound1 = 0;
        for (int p = 0; p < 2; p++) {
            double s = p == 0 ? 0.25 : -0.25;
            double y0 = x[off] - s, y1 = x[off + 1] - s, y2 = x[off + 2] - s, y3 = x[off + 3] - s;
            double y4 = x[off + 4] - s, y5 = x[off + 5] - s, y6 = x[off + 6] - s, y7 = x[off + 7] - s;
            // y is never −0.0 (x − s with s ≠ 0 rounds an exact zero to +0.0), so the sign bit means y < 0.
            int neg = sign(y0) | sign(y1) << 1 | sign(y2) << 2 | sign(y3) << 3
                    | sign(y4) << 4 | sign(y5) << 5 | sign(y6) << 6 | sign(y7) << 7;
            int negatives = Integer.bitCount(neg);
            double a0 = Math.abs(y0), a1 = Math.abs(y1), a2 = Math.abs(y2), a3 = Math.abs(y3);
            double a4 = Math.abs(y4), a5 = Math.abs(y5), a6 = Math.abs(y6), a7 = Math.abs(y7);
            double sum = ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7));

            // Sort keys: the bits of a non-negative double order like the value; the low 3 mantissa bits (zero
            // for ordinary inputs, at most 7 ulps otherwise) carry the coordinate index.
            long k0 = Double.doubleToRawLongBits(a0) & ~7L, k1 = Double.doubleToRawLongBits(a1) & ~7L | 1;
            long k2 = Double.doubleToRawLongBits(a2) & ~7L | 2, k3 = Double.doubleToRawLongBits(a3) & ~7L | 3;
            long k4 = Double.doubleToRawLongBits(a4) & ~7L | 4, k5 = Double.doubleToRawLongBits(a5) & ~7L | 5;
            long k6 = Double.doubleToRawLongBits(a6) & ~7L | 6, k7 = Double.doubleToRawLongBits(a7) & ~7L | 7;
            long t;
            // Optimal 19-comparator network for 8 inputs, ascending (min/max compile to branch-free code).
            t = Math.min(k0, k2); k2 = Math.max(k0, k2); k0 = t;
            t = Math.min(k1, k3); k3 = Math.max(k1, k3); k1 = t;
            t = Math.min(k4, k6); k6 = Math.max(k4, k6); k4 = t;
            t = Math.min(k5, k7); k7 = Math.max(k5, k7); k5 = t;
            t = Math.min(k0, k4); k4 = Math.max(k0, k4); k0 = t;
            t = Math.min(k1, k5); k5 = Math.max(k1, k5); k1 = t;
            t = Math.min(k2, k6); k6 = Math.max(k2, k6); k2 = t;
            t = Math.min(k3, k7); k7 = Math.max(k3, k7); k3 = t;
            t = Math.min(k0, k1); k1 = Math.max(k0, k1); k0 = t;
            t = Math.min(k2, k3); k3 = Math.max(k2, k3); k2 = t;
            t = Math.min(k4, k5); k5 = Math.max(k4, k5); k4 = t;
            t = Math.min(k6, k7); k7 = Math.max(k6, k7); k6 = t;
            t = Math.min(k2, k4); k4 = Math.max(k2, k4); k2 = t;
            t = Math.min(k3, k5); k5 = Math.max(k3, k5); k3 = t;
            t = Math.min(k1, k4); k4 = Math.max(k1, k4); k1 = t;
            t = Math.min(k3, k6); k6 = Math.max(k3, k6); k3 = t;
            t = Math.min(k1, k2); k2 = Math.max(k1, k2); k1 = t;
            t = Math.min(k3, k4); k4 = Math.max(k3, k4); k3 = t;
            t = Math.min(k5, k6); k6 = Math.max(k5, k6); k5 = t;

            // Ranks 1..5 (largest first) and the smallest, with their exact values.
            int r1 = (int) (k7 & 7), r2 = (int) (k6 & 7), r3 = (int) (k5 & 7), r4 = (int) (k4 & 7);
            int r5 = (int) (k3 & 7), r8 = (int) (k0 & 7);
            double b1 = Math.abs(x[off + r1] - s), b2 = Math.abs(x[off + r2] - s), b3 = Math.abs(x[off + r3] - s);
            double b4 = Math.abs(x[off + r4] - s), b5 = Math.abs(x[off + r5] - s), b8 = Math.abs(x[off + r8] - s);

            double base = 0.5 * sum + s * sumX;
            // Even types (ΣB even) pay b8 when y has an odd number of negatives, odd types when it has an even one.
            double penEven = (negatives & 1) == 0 ? 0 : b8;
            double penOdd = b8 - penEven;
            double top2 = b1 + b2, top3 = top2 + b3, top4 = top3 + b4;

            double sc = base - 1 - penEven; // T0
            int key = 0;
            double c = base + b1 - 2 - penOdd; // T1
            if (c > sc) {
                sc = c;
                key = POW3[r1];
            }
            c = base + top2 - 3 - penEven; // T2
            if (c > sc) {
                sc = c;
                key = POW3[r1] + POW3[r2];
            }
            c = base + top3 - 4 - penOdd; // T3
            if (c > sc) {
                sc = c;
                key = POW3[r1] + POW3[r2] + POW3[r3];
            }
            c = base + 2 * b1 - 4 - penEven; // T4
            if (c > sc) {
                sc = c;
                key = 2 * POW3[r1];
            }
            c = base + top4 - 5 - penEven; // T5
            if (c > sc) {
                sc = c;
                key = POW3[r1] + POW3[r2] + POW3[r3] + POW3[r4];
            }
            c = base + 2 * b1 + b2 - 5 - penOdd; // T6
            if (c > sc) {
                sc = c;
                key = 2 * POW3[r1] + POW3[r2];
            }
            if (sc > best) {
                best = sc;
                bestP = p;
                bestKey = key;
                bestNeg = neg;
                bestSmallest = r8;
            }
            // Padding patterns are odd; with the parity wrong each loses at least 2·½·a(8).
            double padBound = base + top4 + b5 - 6 - penOdd;
            if (p == 0) {
                bound0 = padBound;
            } else {
                bound1 = padBound;
            }
        }
        int bestIdx = INDEX[bestKey];
        for (int p = 0; p < 2; p++) {
            if ((p == 0 ? bound0 : bound1) >= best) {
                double s = p == 0 ? 0.25 : -0.25;
                int j = bestPadding(x, off, s, sumX);
                double sc = paddingScore(x, off, s, sumX, j);
                if (sc > best) {
                    best = sc;
                    bestP = p;
                    bestIdx = SORTED + j;
                }
            }
        }
        if (bestIdx >= SORTED) {
            return bestSigns(x, off, bestP, bestIdx);
        }
        // Sorted types put a ½ on the smallest |y|, which is therefore the cheapest coordinate to flip.
        if ((Integer.bitCount(bestNeg) & 1) != E8P.oddBit(bestIdx)) {
            bestNeg ^= 1 << bestSmallest;
        }
        return E8P.encodeUnchecked(bestIdx, bestNeg, bestP);
    }

    /**
     * The best codeword of each (coset, type) class: for both cosets, the right-parity rearrangement of each of the seven
     * sorted types (see the class comment) and the best padding pattern. 16 codes, written to {@code out}; the nearest
     * codeword is among them. Residual stages search these instead of the single nearest stage-1 codeword, because the
     * stage-1 choice that leaves the best residual is often not the nearest.
     */
    static void classBest(float[] x, int off, int[] out) {
        classBest(x, off, out, Double.POSITIVE_INFINITY);
    }

    /**
     * {@link #classBest(float[], int, int[])}, except that a padding class whose every codeword is provably farther than
     * √{@code farther2} gets −1 instead of its best code, without its 29-pattern scan. The proof is the padding score bound
     * of the class comment: ‖x − v‖² = ‖x‖² + ½ − 2·score, and score ≤ padBound; the test keeps a 1e-9 margin against
     * the rounding of both sides.
     */
    static void classBest(float[] x, int off, int[] out, double farther2) {
        double sumX = 0, xx = 0;
        for (int k = 0; k < 8; k++) {
            sumX += x[off + k];
            xx += (double) x[off + k] * x[off + k];
        }
        int o = 0;
        for (int p = 0; p < 2; p++) {
            double s = p == 0 ? 0.25 : -0.25;
            double y0 = x[off] - s, y1 = x[off + 1] - s, y2 = x[off + 2] - s, y3 = x[off + 3] - s;
            double y4 = x[off + 4] - s, y5 = x[off + 5] - s, y6 = x[off + 6] - s, y7 = x[off + 7] - s;
            int neg = sign(y0) | sign(y1) << 1 | sign(y2) << 2 | sign(y3) << 3
                    | sign(y4) << 4 | sign(y5) << 5 | sign(y6) << 6 | sign(y7) << 7;
            double a0 = Math.abs(y0), a1 = Math.abs(y1), a2 = Math.abs(y2), a3 = Math.abs(y3);
            double a4 = Math.abs(y4), a5 = Math.abs(y5), a6 = Math.abs(y6), a7 = Math.abs(y7);
            int rk = ranks(a0, a1, a2, a3, a4, a5, a6, a7);
            int r1 = rk >>> 21 & 7, r2 = rk >>> 18 & 7, r3 = rk >>> 15 & 7, r4 = rk >>> 12 & 7, r8 = rk & 7;
            for (int type = 0; type < 7; type++) {
                int idx = INDEX[typeKey(type, r1, r2, r3, r4)];
                int n = neg;
                if ((Integer.bitCount(n) & 1) != E8P.oddBit(idx)) n ^= 1 << r8; // a ½ sits on the smallest |y|
                out[o++] = E8P.encodeUnchecked(idx, n, p);
            }
            boolean far = false;
            if (farther2 != Double.POSITIVE_INFINITY) {
                double sum = ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7));
                double b8 = Math.abs(x[off + r8] - s);
                double top5 = Math.abs(x[off + r1] - s) + Math.abs(x[off + r2] - s) + Math.abs(x[off + r3] - s)
                        + Math.abs(x[off + r4] - s) + Math.abs(x[off + (rk >>> 9 & 7)] - s);
                double padBound = 0.5 * sum + s * sumX + top5 - 6 - ((Integer.bitCount(neg) & 1) == 0 ? b8 : 0);
                double lower = xx + 0.5 - 2 * padBound;
                far = lower - 1e-9 * (1 + xx + Math.abs(padBound)) > farther2;
            }
            out[o++] = far ? -1 : bestSigns(x, off, p, SORTED + bestPadding(x, off, s, sumX));
        }
    }

    /**
     * The coordinates of a0..a7 in ascending order of value, packed 3 bits each (the smallest in bits 0–2, the
     * largest in bits 21–23). Sort keys: the bits of a non-negative double order like the value; the low 3 mantissa
     * bits (zero for ordinary inputs, at most 7 ulps otherwise) carry the coordinate index. {@link #nearest} keeps its
     * own inline copy of this network: calling this and unpacking made it about 5 % slower (NearestBench, 6.1–6.2 vs
     * 5.7–5.96 M/s, 2026-11-22), and it is the encoder's hot path.
     */
    private static int ranks(double a0, double a1, double a2, double a3, double a4, double a5, double a6, double a7) {
        long k0 = Double.doubleToRawLongBits(a0) & ~7L, k1 = Double.doubleToRawLongBits(a1) & ~7L | 1;
        long k2 = Double.doubleToRawLongBits(a2) & ~7L | 2, k3 = Double.doubleToRawLongBits(a3) & ~7L | 3;
        long k4 = Double.doubleToRawLongBits(a4) & ~7L | 4, k5 = Double.doubleToRawLongBits(a5) & ~7L | 5;
        long k6 = Double.doubleToRawLongBits(a6) & ~7L | 6, k7 = Double.doubleToRawLongBits(a7) & ~7L | 7;
        long t;
        // Optimal 19-comparator network for 8 inputs, ascending (min/max compile to branch-free code).
        t = Math.min(k0, k2); k2 = Math.max(k0, k2); k0 = t;
        t = Math.min(k1, k3); k3 = Math.max(k1, k3); k1 = t;
        t = Math.min(k4, k6); k6 = Math.max(k4, k6); k4 = t;
        t = Math.min(k5, k7); k7 = Math.max(k5, k7); k5 = t;
        t = Math.min(k0, k4); k4 = Math.max(k0, k4); k0 = t;
        t = Math.min(k1, k5); k5 = Math.max(k1, k5); k1 = t;
        t = Math.min(k2, k6); k6 = Math.max(k2, k6); k2 = t;
        t = Math.min(k3, k7); k7 = Math.max(k3, k7); k3 = t;
        t = Math.min(k0, k1); k1 = Math.max(k0, k1); k0 = t;
        t = Math.min(k2, k3); k3 = Math.max(k2, k3); k2 = t;
        t = Math.min(k4, k5); k5 = Math.max(k4, k5); k4 = t;
        t = Math.min(k6, k7); k7 = Math.max(k6, k7); k6 = t;
        t = Math.min(k2, k4); k4 = Math.max(k2, k4); k2 = t;
        t = Math.min(k3, k5); k5 = Math.max(k3, k5); k3 = t;
        t = Math.min(k1, k4); k4 = Math.max(k1, k4); k1 = t;
        t = Math.min(k3, k6); k6 = Math.max(k3, k6); k3 = t;
        t = Math.min(k1, k2); k2 = Math.max(k1, k2); k1 = t;
        t = Math.min(k3, k4); k4 = Math.max(k3, k4); k3 = t;
        t = Math.min(k5, k6); k6 = Math.max(k5, k6); k5 = t;
        return (int) (k0 & 7) | (int) (k1 & 7) << 3 | (int) (k2 & 7) << 6 | (int) (k3 & 7) << 9
                | (int) (k4 & 7) << 12 | (int) (k5 & 7) << 15 | (int) (k6 & 7) << 18 | (int) (k7 & 7) << 21;
    }

    /**
     * INDEX key (base-3 digits of B) of the best rearrangement of sorted type T0..T6 (class comment): the largest B on
     * the largest |y|, given the coordinates r1..r4 of the four largest.
     */
    private static int typeKey(int type, int r1, int r2, int r3, int r4) {
        return switch (type) {
            case 0 -> 0;
            case 1 -> POW3[r1];
            case 2 -> POW3[r1] + POW3[r2];
            case 3 -> POW3[r1] + POW3[r2] + POW3[r3];
            case 4 -> 2 * POW3[r1];
            case 5 -> POW3[r1] + POW3[r2] + POW3[r3] + POW3[r4];
            default -> 2 * POW3[r1] + POW3[r2];
        };
    }

    private static int sign(double y) {
        return (int) (Double.doubleToRawLongBits(y) >>> 63);
    }

    /**
     * The padding pattern with the highest score in the coset with shift s (first on ties): the same arithmetic as
     * {@link #paddingScore}, with |y|·½ and |y|·3/2 and the parity taken once per coset instead of once per pattern. Large
     * inputs (the scaled residuals of the joint 4-bit search) reach this scan in most calls, and the per-pattern
     * recomputation made it two thirds of that search's time.
     */
    static int bestPadding(float[] x, int off, double s, double sumX) {
        double y0 = x[off] - s, y1 = x[off + 1] - s, y2 = x[off + 2] - s, y3 = x[off + 3] - s;
        double y4 = x[off + 4] - s, y5 = x[off + 5] - s, y6 = x[off + 6] - s, y7 = x[off + 7] - s;
        int negatives = (y0 < 0 ? 1 : 0) + (y1 < 0 ? 1 : 0) + (y2 < 0 ? 1 : 0) + (y3 < 0 ? 1 : 0)
                + (y4 < 0 ? 1 : 0) + (y5 < 0 ? 1 : 0) + (y6 < 0 ? 1 : 0) + (y7 < 0 ? 1 : 0);
        double a0 = Math.abs(y0), a1 = Math.abs(y1), a2 = Math.abs(y2), a3 = Math.abs(y3);
        double a4 = Math.abs(y4), a5 = Math.abs(y5), a6 = Math.abs(y6), a7 = Math.abs(y7);
        double h0 = a0 * 0.5, h1 = a1 * 0.5, h2 = a2 * 0.5, h3 = a3 * 0.5, h4 = a4 * 0.5, h5 = a5 * 0.5, h6 = a6 * 0.5;
        double h7 = a7 * 0.5;
        double t0 = a0 * 1.5, t1 = a1 * 1.5, t2 = a2 * 1.5, t3 = a3 * 1.5, t4 = a4 * 1.5, t5 = a5 * 1.5, t6 = a6 * 1.5;
        double t7 = a7 * 1.5;
        boolean wrongParity = (negatives & 1) == 0;
        double shiftTerm = s * sumX;
        int best = -1;
        double bestScore = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < PADDING; j++) {
            int h = PAD_HALVES[j];
            double c0 = (h & 1) != 0 ? h0 : t0, c1 = (h & 2) != 0 ? h1 : t1;
            double c2 = (h & 4) != 0 ? h2 : t2, c3 = (h & 8) != 0 ? h3 : t3;
            double c4 = (h & 16) != 0 ? h4 : t4, c5 = (h & 32) != 0 ? h5 : t5;
            double c6 = (h & 64) != 0 ? h6 : t6, c7 = (h & 128) != 0 ? h7 : t7;
            // Summed in coordinate order from c0 (= 0 + c0), as paddingScore does: the same bits.
            double dot = c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7;
            double minCost = Math.min(Math.min(Math.min(c0, c1), Math.min(c2, c3)), Math.min(Math.min(c4, c5), Math.min(c6, c7)));
            double penalty = wrongParity ? 2 * minCost : 0;
            double sc = dot - penalty - 6 + shiftTerm;
            if (sc > bestScore) {
                bestScore = sc;
                best = j;
            }
        }
        return best;
    }

    /** score of padding pattern 227+j: ½Σa + Σ_{A=3/2} a − 6 + sΣx, minus 2·min a_k A_k if the parity is wrong. */
    static double paddingScore(float[] x, int off, double s, double sumX, int j) {
        int halves = PAD_HALVES[j];
        double dot = 0;
        double minCost = Double.POSITIVE_INFINITY;
        int negatives = 0;
        for (int k = 0; k < 8; k++) {
            double y = x[off + k] - s;
            negatives += y < 0 ? 1 : 0;
            double cost = Math.abs(y) * (((halves >> k) & 1) != 0 ? 0.5 : 1.5);
            dot += cost;
            minCost = Math.min(minCost, cost);
        }
        // Padding patterns are odd: the signs of y are feasible iff y has an odd number of negatives.
        double penalty = (negatives & 1) == 1 ? 0 : 2 * minCost;
        return dot - penalty - 6 + s * sumX;
    }

    /** The code of the nearest codeword with pattern i in coset p (see the class comment). */
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
