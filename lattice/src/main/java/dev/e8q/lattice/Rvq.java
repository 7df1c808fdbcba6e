package dev.e8q.lattice;

/**
 * Residual stacks for 2, 3 and 4 bits per weight (SPEC §3): x ≈ stage1 + stage2 / residScale.
 * <ul>
 *   <li>2 bits: E8P alone; code = the 16-bit E8P code.</li>
 *   <li>3 bits: E8P, then the residual ·residScale to E81B; code = (e8pCode &lt;&lt; 8) | e81bCode (24 bits).</li>
 *   <li>4 bits: E8P, then the residual ·residScale to E8P again; code = (code1 &lt;&lt; 16) | code2 (32 bits).</li>
 * </ul>
 * Inputs are in codebook units, i.e. already divided by Wscale so that their RMS is about ρ (SPEC §2).
 * {@link #quantize} and {@link #decode} share one reconstruction routine, so the reconstruction written by
 * quantize is bit-identical to the decode of the returned code.
 */
public final class Rvq {
    /** opt_scale ρ per bit width (SPEC §2). */
    public static final double RHO_2 = 1.03, RHO_3 = 0.98, RHO_4 = 1.03;
    /** opt_resid_scale for the second stage (SPEC §3). */
    public static final double RESID_3 = 2.04, RESID_4 = 3.45;

    /** The largest codeword norms of the residual codebooks, for {@link #cannotWin}. */
    static final double E8P_MAX_NORM = maxNorm(E8P.GRID4, 4), E81B_MAX_NORM = maxNorm(E81B.GRID2, 2);
    private static final double PRUNE_SLACK = 1e-5;
    /** One lookup per call: the joint search used to make about ten (a tenth of a 4-bit conversion's time). */
    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /** t[0..8): stage-1 codeword, then a reconstruction; t[8..16): scaled residual; cand: class-best codes. */
    private static final class Scratch {
        final float[] t = new float[16];
        final int[] cand = new int[16];
    }

    private Rvq() {
    }

    /** ρ for {@code bits} ∈ {2, 3, 4}. */
    public static double defaultRho(int bits) {
        return switch (checkBits(bits)) {
            case 2 -> RHO_2;
            case 3 -> RHO_3;
            default -> RHO_4;
        };
    }

    /** The residual scale for {@code bits} ∈ {2, 3, 4}; 0 for 2 bits, which has no residual stage. */
    public static double defaultResidualScale(int bits) {
        return switch (checkBits(bits)) {
            case 2 -> 0.0;
            case 3 -> RESID_3;
            default -> RESID_4;
        };
    }

    /** Bits per packed code of 8 weights: 16, 24 or 32. */
    public static int codeBits(int bits) {
        return 8 * checkBits(bits);
    }

    /**
     * Quantizes {@code x[off..off+8)}, writes the reconstruction to {@code recon[rOff..rOff+8)} and returns the
     * packed code. {@code residScale} is ignored for 2 bits and must be finite and positive otherwise.
     */
    public static long quantize(int bits, double residScale, float[] x, int off, float[] recon, int rOff) {
        checkBits(bits);
        Checks.finite8(x, off);
        Checks.range8(recon, rOff, "recon");
        if (bits == 2) {
            int c1 = E8PSearch.nearest(x, off);
            reconstruct(2, 0, c1, recon, rOff);
            return c1;
        }
        checkScale(residScale);
        return greedy(bits, residScale, x, off, recon, rOff, SCRATCH.get().t);
    }

    /** Greedy RVQ of a checked 8-block at 3 or 4 bits. */
    private static long greedy(int bits, double residScale, float[] x, int off, float[] recon, int rOff, float[] t) {
        int c1 = E8PSearch.nearest(x, off);
        stage1(c1, t, 0);
        float s = (float) residScale;
        for (int k = 0; k < 8; k++) {
            t[8 + k] = (x[off + k] - t[k]) * s;
        }
        long code = bits == 3
                ? (long) c1 << 8 | E81B.nearest(t, 8)
                : (long) c1 << 16 | E8P.nearest(t, 8);
        reconstruct(bits, residScale, code, recon, rOff);
        return code;
    }

    private static void stage1(int c1, float[] out, int off) {
        int base = c1 * 8;
        for (int k = 0; k < 8; k++) {
            out[off + k] = E8P.GRID4[base + k] * 0.25f;
        }
    }

    /**
     * Like {@link #quantize}, but the stage-1 codeword is chosen jointly with the residual: every class-best E8P codeword
     * (the best of each of the 16 coset × pattern-type classes, among them the nearest one) gets its own nearest residual
     * code, and the pair with the least error wins. Greedy RVQ keeps the nearest stage-1 codeword even when a slightly
     * farther one leaves a residual the second stage fits much better. Never worse than {@link #quantize} (its pair is a
     * candidate, and ties keep it). Candidates that {@link #cannotWin} are skipped, which keeps the result and makes the
     * joint search about 9× the time of the greedy one at 4 bits (it was 31× when every class was searched). On N(0, ρ²) inputs at 4 bits: relative MSE 0.0096 → 0.0089 at
     * ρ = 1.03 and 0.0087 → 0.0078 at ρ = 0.9 (docs/codec.md); at 3 bits the coarse E81B residual gains under 1 %. 2 bits:
     * same as {@link #quantize}.
     */
    public static long quantizeJoint(int bits, double residScale, float[] x, int off, float[] recon, int rOff) {
        if (checkBits(bits) == 2) return quantize(bits, residScale, x, off, recon, rOff);
        Checks.finite8(x, off);
        Checks.range8(recon, rOff, "recon");
        checkScale(residScale);
        Scratch scratch = SCRATCH.get();
        float[] t = scratch.t;
        long best = greedy(bits, residScale, x, off, recon, rOff, t);
        double bestErr = error(x, off, recon, rOff);
        double reach = (bits == 3 ? E81B_MAX_NORM : E8P_MAX_NORM) / residScale;
        int[] cand = scratch.cand;
        E8PSearch.classBest(x, off, cand, hopelessDistance2(reach, bestErr));
        float s = (float) residScale;
        int greedyC1 = (int) (best >>> (bits == 3 ? 8 : 16));
        for (int c1 : cand) {
            if (c1 < 0 || c1 == greedyC1) continue; // c1 < 0: a padding class beyond hopelessDistance2
            stage1(c1, t, 0);
            double rr = 0;
            for (int k = 0; k < 8; k++) {
                double d = (double) x[off + k] - t[k];
                rr += d * d;
            }
            if (cannotWin(rr, reach, bestErr)) continue;
            for (int k = 0; k < 8; k++) t[8 + k] = (x[off + k] - t[k]) * s;
            long code = bits == 3 ? (long) c1 << 8 | E81B.nearest(t, 8) : (long) c1 << 16 | E8P.nearest(t, 8);
            reconstruct(bits, residScale, code, t, 0);
            double e = error(x, off, t, 0);
            if (e < bestErr) {
                bestErr = e;
                best = code;
                System.arraycopy(t, 0, recon, rOff, 8);
            }
        }
        return best;
    }

    /**
     * Whether a stage-1 codeword at squared distance {@code rr} from x is certain to end farther than {@code bestErr},
     * whatever the second stage picks: the reconstruction moves at most {@code reach} from the codeword, so its distance
     * is at least √rr − reach. The slack covers float rounding of the reconstruction (a few 2^-24 of norms below 6) and
     * the double sums, so a skipped candidate is one that the full search would also have rejected: the codes stay the
     * same bits. On N(0, ρ²) inputs about half of the 15 other class-best codewords are pruned this way (4 bits: at most 6.8 are
     * searched at ρ = 1.03, 7.6 at ρ = 0.9; 3 bits: 7.1 at ρ = 1.03).
     */
    static boolean cannotWin(double rr, double reach, double bestErr) {
        double gap = Math.sqrt(rr) * (1 - 1e-12) - reach - PRUNE_SLACK;
        return gap > 0 && gap * gap > bestErr * (1 + 1e-9);
    }

    /**
     * A squared distance beyond which every stage-1 codeword is {@link #cannotWin hopeless} (with a 1e-9 relative
     * margin for the rounding of that test), so that {@link E8PSearch#classBest} can leave out padding classes that
     * lie entirely beyond it without searching them.
     */
    static double hopelessDistance2(double reach, double bestErr) {
        double d = (Math.sqrt(bestErr * (1 + 1e-9)) + reach + PRUNE_SLACK) / (1 - 1e-12);
        return d * d * (1 + 1e-9);
    }

    /** The largest norm of a codeword of the given table of {@code scale}·v, row-major 8 per code. */
    private static double maxNorm(byte[] grid, double scale) {
        double max = 0;
        for (int c = 0; c < grid.length; c += 8) {
            double n = 0;
            for (int k = 0; k < 8; k++) n += (grid[c + k] / scale) * (grid[c + k] / scale);
            max = Math.max(max, n);
        }
        return Math.sqrt(max);
    }

    private static double error(float[] x, int off, float[] r, int rOff) {
        double e = 0;
        for (int k = 0; k < 8; k++) {
            double d = x[off + k] - r[rOff + k];
            e += d * d;
        }
        return e;
    }

    /** Writes the reconstruction of a packed code to {@code out[off..off+8)}. */
    public static void decode(int bits, double residScale, long code, float[] out, int off) {
        checkBits(bits);
        Checks.range8(out, off, "out");
        if (code < 0 || code >>> codeBits(bits) != 0) {
            throw new IllegalArgumentException("code " + code + " does not fit in " + codeBits(bits) + " bits");
        }
        if (bits == 2) {
            E8P.decode((int) code, out, off);
            return;
        }
        checkScale(residScale);
        reconstruct(bits, residScale, code, out, off);
    }

    /**
     * stage1 + stage2 / residScale of a valid code, straight from the tables: the arithmetic of SPEC §3's decode (the
     * stage-2 value rounded to float, divided in double, rounded to float, added in float).
     */
    private static void reconstruct(int bits, double residScale, long code, float[] out, int off) {
        if (bits == 2) {
            stage1((int) code, out, off);
            return;
        }
        int base1 = (int) (code >>> (bits == 3 ? 8 : 16)) * 8;
        if (bits == 3) {
            int base2 = (int) (code & 0xFF) * 8;
            for (int k = 0; k < 8; k++) {
                float v2 = E81B.GRID2[base2 + k] * 0.5f;
                out[off + k] = E8P.GRID4[base1 + k] * 0.25f + (float) (v2 / residScale);
            }
        } else {
            int base2 = (int) (code & 0xFFFF) * 8;
            for (int k = 0; k < 8; k++) {
                float v2 = E8P.GRID4[base2 + k] * 0.25f;
                out[off + k] = E8P.GRID4[base1 + k] * 0.25f + (float) (v2 / residScale);
            }
        }
    }

    private static int checkBits(int bits) {
        if (bits < 2 || bits > 4) {
            throw new IllegalArgumentException("bits " + bits + " must be 2, 3 or 4");
        }
        return bits;
    }

    private static void checkScale(double residScale) {
        if (!(residScale > 0) || Double.isInfinite(residScale)) {
            throw new IllegalArgumentException("residScale " + residScale + " must be finite and > 0");
        }
    }
}
