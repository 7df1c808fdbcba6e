package dev.e8q.codec;

/**
 * Round-to-nearest scalar baselines: symmetric absmax and asymmetric zero-point quantization at any bit
 * width in [2, 8], per tensor, per output channel (row) or per group of input columns. Scales are rounded
 * to fp16 (that is what they would be stored as); zero points are integers of the same bit width.
 */
public final class RtnQuantizer {
    public enum Scheme { SYMMETRIC, ASYMMETRIC }

    /** Dequantized weights (same shape as the input) and the storage cost in bits per weight, scales included. */
    public record Result(float[] dequantized, double bitsPerWeight) {}

    private final Scheme scheme;
    private final int bits;
    private final int groupSize; // 0 = per tensor, -1 = per row, > 0 = groups of that many columns

    private RtnQuantizer(Scheme scheme, int bits, int groupSize) {
        if (bits < 2 || bits > 8) throw new IllegalArgumentException("RTN bits must be in [2, 8], got " + bits);
        this.scheme = scheme;
        this.bits = bits;
        this.groupSize = groupSize;
    }

    public static RtnQuantizer perTensor(Scheme s, int bits) { return new RtnQuantizer(s, bits, 0); }

    public static RtnQuantizer perChannel(Scheme s, int bits) { return new RtnQuantizer(s, bits, -1); }

    public static RtnQuantizer perGroup(Scheme s, int bits, int groupSize) {
        if (groupSize <= 0) throw new IllegalArgumentException("group size must be positive, got " + groupSize);
        return new RtnQuantizer(s, bits, groupSize);
    }

    public String describe() {
        String g = groupSize == 0 ? "tensor" : groupSize < 0 ? "channel" : "g" + groupSize;
        return "RTN " + (scheme == Scheme.SYMMETRIC ? "absmax" : "zero-point") + " " + bits + "b/" + g;
    }

    public Result quantize(float[] w, int rows, int cols) {
        if (rows <= 0 || cols <= 0 || (long) rows * cols != w.length)
            throw new IllegalArgumentException("shape " + rows + "x" + cols + " does not match " + w.length + " weights");
        float[] out = new float[w.length];
        long groups;
        if (groupSize == 0) {
            quantizeRange(w, out, 0, w.length);
            groups = 1;
        } else {
            int g = groupSize < 0 ? cols : groupSize;
            int perRow = (cols + g - 1) / g;
            groups = (long) rows * perRow;
            Parallel.forRange(rows, 16, (r0, r1) -> {
                for (int r = r0; r < r1; r++)
                    for (int c = 0; c < cols; c += g) quantizeRange(w, out, r * cols + c, Math.min(g, cols - c));
            });
        }
        int perGroupBits = 16 + (scheme == Scheme.ASYMMETRIC ? bits : 0);
        return new Result(out, bits + (double) groups * perGroupBits / w.length);
    }

    /** Quantizes w[off, off+len) as one group with one scale (and zero point). */
    void quantizeRange(float[] w, float[] out, int off, int len) {
        float lo = Float.POSITIVE_INFINITY, hi = Float.NEGATIVE_INFINITY;
        for (int i = off; i < off + len; i++) {
            lo = Math.min(lo, w[i]);
            hi = Math.max(hi, w[i]);
        }
        if (scheme == Scheme.SYMMETRIC) {
            // Levels -(2^(b-1)-1) .. 2^(b-1)-1: symmetric around 0, so 2 bits is ternary.
            int qmax = (1 << (bits - 1)) - 1;
            float scale = fp16(Math.max(Math.abs(lo), Math.abs(hi)) / qmax);
            for (int i = off; i < off + len; i++)
                out[i] = scale == 0 ? 0 : clamp(Math.round(w[i] / scale), -qmax, qmax) * scale;
        } else {
            int qmax = (1 << bits) - 1;
            // The range must contain 0 so that zero weights stay exact (the usual convention).
            lo = Math.min(lo, 0);
            hi = Math.max(hi, 0);
            float scale = fp16((hi - lo) / qmax);
            if (scale == 0) {
                for (int i = off; i < off + len; i++) out[i] = 0;
                return;
            }
            int zero = clamp(Math.round(-lo / scale), 0, qmax);
            for (int i = off; i < off + len; i++)
                out[i] = (clamp(Math.round(w[i] / scale) + zero, 0, qmax) - zero) * scale;
        }
    }

    static float fp16(float x) {
        float r = Float.float16ToFloat(Float.floatToFloat16(x));
        // A scale that underflows to 0 in fp16 would zero a nonzero group; keep the smallest subnormal instead.
        return (r == 0 && x != 0) ? Float.float16ToFloat((short) 1) : r;
    }

    private static int clamp(int v, int lo, int hi) {
        return Math.max(lo, Math.min(hi, v));
    }
}
