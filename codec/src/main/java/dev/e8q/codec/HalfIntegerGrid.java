package dev.e8q.codec;

/**
 * The "no E8" ablation (SPEC §8): each coordinate is rounded on its own to the half-integer grid
 * {±½, ±3/2, …, ±(2^b−1)/2} (2^b levels). The code packs the 8 level indices, b bits each, coordinate 0 lowest.
 */
final class HalfIntegerGrid implements BlockCodebook {
    /**
     * ρ (RMS of the codebook input) minimizing the MSE of a unit Gaussian on the grid, found by a sweep
     * (HalfIntegerGridTest checks it is a local minimum): 2 bits 1.00 (SPEC §2: "best s≈1.0"), 3 bits 1.71,
     * 4 bits 2.98; i.e. grid steps 1.00, 0.585, 0.336 in units of σ (the classic uniform-quantizer optima).
     */
    static double optimalRho(int bits) {
        return switch (bits) {
            case 2 -> 1.00;
            case 3 -> 1.71;
            case 4 -> 2.98;
            default -> throw new IllegalArgumentException("bits must be 2, 3 or 4, got " + bits);
        };
    }

    private final int bits, levels, mask;
    private final float half;

    HalfIntegerGrid(int bits) {
        optimalRho(bits);
        this.bits = bits;
        this.levels = 1 << bits;
        this.mask = levels - 1;
        this.half = (levels - 1) / 2f;
    }

    int bits() { return bits; }

    @Override public int stages() { return 1; }

    @Override public long quantize(float[] x, int off, float[] recon, int rOff) {
        long code = 0;
        for (int i = 0; i < 8; i++) {
            int q = (int) Math.floor(x[off + i] + levels / 2f);
            q = Math.max(0, Math.min(mask, q));
            recon[rOff + i] = q - half;
            code |= (long) q << (bits * i);
        }
        return code;
    }

    @Override public void decode(long code, float[] out, int off) {
        for (int i = 0; i < 8; i++) out[off + i] = ((int) (code >>> (bits * i)) & mask) - half;
    }

    @Override public int stageCode(long code, int stage) { return (int) code; }

    @Override public long combine(int[] c) { return c[0] & 0xFFFFFFFFL; }

    @Override public double defaultRho() { return optimalRho(bits); }
}
