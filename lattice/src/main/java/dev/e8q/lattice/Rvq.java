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

    private static final ThreadLocal<float[]> SCRATCH = ThreadLocal.withInitial(() -> new float[16]);
    private static final ThreadLocal<float[]> JOINT = ThreadLocal.withInitial(() -> new float[16]);
    private static final ThreadLocal<int[]> CANDIDATES = ThreadLocal.withInitial(() -> new int[16]);

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
        int c1 = E8PSearch.nearest(x, off);
        if (bits == 2) {
            E8P.decode(c1, recon, rOff);
            return c1;
        }
        checkScale(residScale);
        float[] t = SCRATCH.get(); // t[0..8): stage-1 codeword, t[8..16): scaled residual
        E8P.decode(c1, t, 0);
        float s = (float) residScale;
        for (int k = 0; k < 8; k++) {
            t[8 + k] = (x[off + k] - t[k]) * s;
        }
        long code = bits == 3
                ? (long) c1 << 8 | E81B.nearest(t, 8)
                : (long) c1 << 16 | E8P.nearest(t, 8);
        decode(bits, residScale, code, recon, rOff);
        return code;
    }

    /**
     * Like {@link #quantize}, but the stage-1 codeword is chosen jointly with the residual: every class-best E8P codeword
     * (the best of each of the 16 coset × pattern-type classes, among them the nearest one) gets its own nearest residual
     * code, and the pair with the least error wins. Greedy RVQ keeps the nearest stage-1 codeword even when a slightly
     * farther one leaves a residual the second stage fits much better. Never worse than {@link #quantize} (its pair is a
     * candidate, and ties keep it); about 17× the search work. On N(0, ρ²) inputs at 4 bits: relative MSE 0.0096 → 0.0089 at
     * ρ = 1.03 and 0.0087 → 0.0078 at ρ = 0.9 (docs/codec.md); at 3 bits the coarse E81B residual gains under 1 %. 2 bits:
     * same as {@link #quantize}.
     */
    public static long quantizeJoint(int bits, double residScale, float[] x, int off, float[] recon, int rOff) {
        long best = quantize(bits, residScale, x, off, recon, rOff);
        if (bits == 2) return best;
        double bestErr = error(x, off, recon, rOff);
        int[] cand = CANDIDATES.get();
        E8PSearch.classBest(x, off, cand);
        float[] t = JOINT.get(); // t[0..8): stage-1 codeword, then the reconstruction; t[8..16): scaled residual
        float s = (float) residScale;
        for (int c1 : cand) {
            if (c1 == (int) (best >>> (bits == 3 ? 8 : 16))) continue;
            E8P.decode(c1, t, 0);
            for (int k = 0; k < 8; k++) t[8 + k] = (x[off + k] - t[k]) * s;
            long code = bits == 3 ? (long) c1 << 8 | E81B.nearest(t, 8) : (long) c1 << 16 | E8P.nearest(t, 8);
            decode(bits, residScale, code, t, 0);
            double e = error(x, off, t, 0);
            if (e < bestErr) {
                bestErr = e;
                best = code;
                System.arraycopy(t, 0, recon, rOff, 8);
            }
        }
        return best;
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
        float[] t = SCRATCH.get();
        if (bits == 3) {
            E8P.decode((int) (code >>> 8), t, 0);
            E81B.decode((int) (code & 0xFF), t, 8);
        } else {
            E8P.decode((int) (code >>> 16), t, 0);
            E8P.decode((int) (code & 0xFFFF), t, 8);
        }
        for (int k = 0; k < 8; k++) {
            out[off + k] = t[k] + (float) (t[8 + k] / residScale);
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
