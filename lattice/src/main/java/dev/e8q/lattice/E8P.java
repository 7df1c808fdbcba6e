package dev.e8q.lattice;

/**
 * The E8P codebook (SPEC §1): 65,536 points of E8 + ¼ = (D̂8 − ¼) ∪ (D̂8 + ¼), one 16-bit code per 8 weights
 * (2 bits/weight).
 *
 * <p>A code is {@code absIdx << 8 | signByte}. Its codeword is {@code ±A_absIdx} (signs per §1.2) plus a shift
 * of +¼ or −¼. In this class a sign pattern is described by a <em>negation mask</em>: bit k set ⇔ coordinate
 * k of {@code v − shift} is negative. The canonical decode forces the mask's popcount parity to equal
 * {@link #odd(int)}; {@link #encode(int, int, int)} is the exact inverse of {@link #decode}.
 */
public final class E8P {
    public static final int CODES = 65536;

    /** σ: output position k takes its sign from bit SIGMA[k] of the (parity-corrected) sign byte. */
    private static final int[] SIGMA = {0, 4, 1, 5, 2, 6, 3, 7};

    /** SPREAD[t] moves bit k of t to bit σ(k): the sign byte (before step 2) of per-position sign bits t. */
    private static final int[] SPREAD = new int[256];

    /** 256×8 int8 of 2·|a| (SPEC §1.1). Never handed out; callers get copies. */
    static final byte[] SOURCE = E8PSource.build();
    /** odd(i) as a 0/1 int, the parity of Σ A_i. */
    private static final int[] ODD = new int[E8PSource.ROWS];
    /** 65536×8 int8 of 4·v, row-major: the whole codebook, built by the §1.2 rule. */
    static final byte[] GRID4 = new byte[CODES * 8];

    static {
        for (int t = 0; t < 256; t++) {
            for (int k = 0; k < 8; k++) {
                SPREAD[t] |= ((t >> k) & 1) << SIGMA[k];
            }
        }
        for (int i = 0; i < E8PSource.ROWS; i++) {
            int sum2 = 0; // Σ 2a = 2·Σa, and Σa is an integer
            for (int k = 0; k < 8; k++) {
                sum2 += SOURCE[i * 8 + k];
            }
            ODD[i] = (sum2 / 2) & 1;
        }
        for (int c = 0; c < CODES; c++) {
            decodeByRule(c, GRID4, c * 8);
        }
    }

    private E8P() {
    }

    /** Writes the codeword of {@code code} to {@code out[off..off+8)}, exactly (values are multiples of ¼). */
    public static void decode(int code, float[] out, int off) {
        Checks.code(code, CODES, "E8P");
        Checks.range8(out, off, "out");
        int base = code * 8;
        for (int k = 0; k < 8; k++) {
            out[off + k] = GRID4[base + k] * 0.25f;
        }
    }

    /**
     * Returns the code of an exact nearest codeword (Euclidean) of {@code x[off..off+8)}: its distance equals
     * the minimum over all 65,536 codewords. Ties may be broken differently from QuIP#. The search works in
     * double; only at magnitudes where double itself cannot separate the candidates (coordinates below about
     * 1e-7 next to the ¼ shift, or far beyond 1e4) can the choice be off, and then by a few ulps of the
     * distance (see {@link E8PSearch}).
     *
     * @throws IllegalArgumentException if the range is out of bounds or holds NaN or ±inf
     */
    public static int nearest(float[] x, int off) {
        Checks.finite8(x, off);
        return E8PSearch.nearest(x, off);
    }

    /** Returns a copy of the 256×8 source table S as int8 of 2·|a| (SPEC §1.1), row-major. */
    public static byte[] sourceTable() {
        return SOURCE.clone();
    }

    /** Returns odd(absIdx): whether Σ A_absIdx is odd (entry 0 is even, entry 1 odd). */
    public static boolean odd(int absIdx) {
        checkAbsIdx(absIdx);
        return ODD[absIdx] != 0;
    }

    /**
     * Returns a copy of the whole codebook as int8 of 4·v, 65536×8 row-major (512 KiB): exact, and what GPU or
     * SIMD kernels build their lookup tables from. A copy, so callers may keep and modify it.
     */
    public static byte[] grid4() {
        return GRID4.clone();
    }

    /**
     * Inverse of {@link #decode}: the code whose codeword is {@code ±A_absIdx + shift}, with the signs given by
     * {@code negMask} (bit k set ⇔ coordinate k of {@code v − shift} is negative) and the shift by
     * {@code shiftBit} (0: +¼, 1: −¼).
     *
     * @throws IllegalArgumentException if the mask's popcount parity differs from odd(absIdx): no codeword has
     *                                  that sign pattern
     */
    public static int encode(int absIdx, int negMask, int shiftBit) {
        checkAbsIdx(absIdx);
        if ((negMask & ~0xFF) != 0 || (shiftBit & ~1) != 0) {
            throw new IllegalArgumentException("negMask " + negMask + " must be in [0, 255] and shiftBit "
                    + shiftBit + " in {0, 1}");
        }
        if ((Integer.bitCount(negMask) & 1) != ODD[absIdx]) {
            throw new IllegalArgumentException("negMask " + Integer.toBinaryString(negMask) + " has the wrong parity"
                    + " for absIdx " + absIdx + " (odd=" + ODD[absIdx] + ")");
        }
        return encodeUnchecked(absIdx, negMask, shiftBit);
    }

    /** {@link #encode} without checks, for the search's inner loop. */
    static int encodeUnchecked(int absIdx, int negMask, int shiftBit) {
        // Undo step 4's extra negation of v_7, giving the sign bits t_k of the even-parity byte s.
        int s = SPREAD[negMask ^ (ODD[absIdx] << 7)];
        // Step 2 inverted: s has even popcount, so flipping bit 0 when p=1 makes popcount(signByte) odd again.
        return absIdx << 8 | (s ^ shiftBit);
    }

    static int oddBit(int absIdx) {
        return ODD[absIdx];
    }

    /** SPEC §1.2 verbatim, writing 4·v (integers) to {@code out4[off..off+8)}. */
    static void decodeByRule(int code, byte[] out4, int off) {
        int absIdx = code >>> 8;
        int signByte = code & 0xFF;
        int p = Integer.bitCount(signByte) & 1;
        int s = signByte ^ p;
        for (int k = 0; k < 8; k++) {
            int neg = (s >> SIGMA[k]) & 1;
            if (k == 7) {
                neg ^= ODD[absIdx];
            }
            int a2 = SOURCE[absIdx * 8 + k]; // 2·|a|, so 4·|a| = 2·a2
            out4[off + k] = (byte) ((neg == 1 ? -2 * a2 : 2 * a2) + (p == 1 ? -1 : 1));
        }
    }

    /** ‖x − decode(code)‖² in double; exact whenever x's coordinates are multiples of small powers of two. */
    static double distance(float[] x, int off, int code) {
        double d = 0;
        int base = code * 8;
        for (int k = 0; k < 8; k++) {
            double e = (double) x[off + k] - GRID4[base + k] * 0.25;
            d += e * e;
        }
        return d;
    }

    private static void checkAbsIdx(int absIdx) {
        if (absIdx < 0 || absIdx >= E8PSource.ROWS) {
            throw new IllegalArgumentException("absIdx " + absIdx + " is outside [0, 256)");
        }
    }
}
