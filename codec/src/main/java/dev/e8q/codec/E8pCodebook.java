package dev.e8q.codec;

import dev.e8q.lattice.Rvq;

/** E8P (2-bit), E8P + E81B residual (3-bit) or E8P + E8P residual (4-bit), through the lattice module's RVQ. */
final class E8pCodebook implements BlockCodebook {
    private final int bits;
    private final double residScale;
    private final boolean joint;

    E8pCodebook(int bits, double residScale) {
        this(bits, residScale, false);
    }

    /** joint: choose the stage-1 code jointly with the residual ({@link Rvq#quantizeJoint}). */
    E8pCodebook(int bits, double residScale, boolean joint) {
        this.bits = bits;
        this.residScale = residScale;
        this.joint = joint;
    }

    @Override public int stages() { return bits == 2 ? 1 : 2; }

    @Override public long quantize(float[] x, int off, float[] recon, int rOff) {
        return joint ? Rvq.quantizeJoint(bits, residScale, x, off, recon, rOff) : Rvq.quantize(bits, residScale, x, off, recon, rOff);
    }

    @Override public void decode(long code, float[] out, int off) {
        Rvq.decode(bits, residScale, code, out, off);
    }

    @Override public int stageCode(long code, int stage) {
        return switch (bits) {
            case 2 -> (int) code & 0xFFFF;
            case 3 -> stage == 0 ? (int) (code >>> 8) & 0xFFFF : (int) code & 0xFF;
            default -> stage == 0 ? (int) (code >>> 16) & 0xFFFF : (int) code & 0xFFFF;
        };
    }

    @Override public long combine(int[] c) {
        return switch (bits) {
            case 2 -> c[0] & 0xFFFFL;
            case 3 -> ((c[0] & 0xFFFFL) << 8) | (c[1] & 0xFFL);
            default -> ((c[0] & 0xFFFFL) << 16) | (c[1] & 0xFFFFL);
        };
    }

    @Override public double defaultRho() { return Rvq.defaultRho(bits); }
}
