package dev.e8q.bench.kernels;

import dev.e8q.bench.baseline.DenseLinearMatVec;
import dev.e8q.bench.baseline.GgmlBlocks;
import dev.e8q.bench.baseline.MatVec;
import dev.e8q.codec.Parallel;
import dev.e8q.codec.kernel.E8Kernel;
import dev.e8q.lattice.Rvq;
import dev.e8q.llama.model.DType;

import java.util.List;

/**
 * Builds benchmark matrices with random contents directly in each storage format (no quantization pass, so
 * 16384×16384 takes seconds): speed does not depend on the values, and the quantizers are tested apart.
 * {@code E8Qb_A8} is e8q b-bit with int8 activations ({@link E8Kernel#multiplyInt8}) for matrix-vector products.
 */
public final class Formats {
    public static final List<String> ALL = List.of("FP32", "BF16", "F16", "Q8_0", "Q4_0", "E8Q2", "E8Q3", "E8Q4", "E8Q2_A8", "E8Q3_A8", "E8Q4_A8");

    private Formats() {}

    /** Bits of weight storage per weight (scales included). */
    public static double bitsPerWeight(String format) {
        return switch (format) {
            case "FP32" -> 32;
            case "BF16", "F16" -> 16;
            case "Q8_0" -> 8.5;
            case "Q4_0" -> 4.5;
            case "E8Q2", "E8Q2_A8" -> 2;
            case "E8Q3", "E8Q3_A8" -> 3;
            case "E8Q4", "E8Q4_A8" -> 4;
            default -> throw new IllegalArgumentException("unknown format " + format + "; known: " + ALL);
        };
    }

    public static MatVec build(String format, int rows, int cols, long seed) {
        long n = (long) rows * cols;
        switch (format) {
            case "FP32": {
                float[] w = new float[Math.toIntExact(n)];
                fill(w.length, seed, (i, r) -> w[i] = (float) ((r >>> 40) * 0x1p-24 * 2 - 1) * 0.05f);
                return DenseLinearMatVec.f32(w, rows, cols);
            }
            case "BF16":
            case "F16": {
                short[] h = new short[Math.toIntExact(n)];
                boolean bf = format.equals("BF16");
                fill(h.length, seed, (i, r) -> {
                    float f = (float) ((r >>> 40) * 0x1p-24 * 2 - 1) * 0.05f;
                    h[i] = bf ? (short) (Float.floatToRawIntBits(f) >>> 16) : Float.floatToFloat16(f);
                });
                return DenseLinearMatVec.half(h, rows, cols, bf ? DType.BF16 : DType.F16);
            }
            case "Q8_0":
            case "Q4_0": {
                boolean q8 = format.equals("Q8_0");
                int bb = q8 ? GgmlBlocks.Q8_0.BLOCK_BYTES : GgmlBlocks.Q4_0.BLOCK_BYTES;
                int blocks = Math.toIntExact(n / GgmlBlocks.QK);
                byte[] d = new byte[Math.multiplyExact(blocks, bb)];
                fill(blocks, seed, (i, r) -> {
                    int o = i * bb;
                    short scale = Float.floatToFloat16(0.001f + (r & 0xFF) * 1e-5f);
                    d[o] = (byte) scale;
                    d[o + 1] = (byte) (scale >> 8);
                    long x = r;
                    for (int j = 2; j < bb; j++) {
                        x ^= x << 13; x ^= x >>> 7; x ^= x << 17;
                        d[o + j] = (byte) x;
                    }
                });
                return q8 ? new GgmlBlocks.Q8_0(rows, cols, d) : new GgmlBlocks.Q4_0(rows, cols, d);
            }
            case "E8Q2":
            case "E8Q3":
            case "E8Q4":
            case "E8Q2_A8":
            case "E8Q3_A8":
            case "E8Q4_A8": {
                int bits = format.charAt(3) - '0';
                int stages = bits == 2 ? 1 : 2;
                int nb = cols / 8;
                int[][] codes = new int[stages][Math.toIntExact((long) rows * nb)];
                for (int s = 0; s < stages; s++) {
                    int[] c = codes[s];
                    int mask = s == 1 && bits == 3 ? 0xFF : 0xFFFF;
                    fill(c.length, seed + s, (i, r) -> c[i] = (int) (r >>> 20) & mask);
                }
                E8Kernel k = E8Kernel.repack(bits, rows, cols, codes, bits == 2 ? 0 : Rvq.defaultResidualScale(bits));
                float[] su = signs(cols, seed + 11), sv = signs(rows, seed + 12);
                return new E8qMatVec(k, su, sv, format.endsWith("_A8"));
            }
            default:
                throw new IllegalArgumentException("unknown format " + format + "; known: " + ALL);
        }
    }

    private static float[] signs(int n, long seed) {
        float[] s = new float[n];
        long x = seed * 0x9E3779B97F4A7C15L + 1;
        for (int i = 0; i < n; i++) {
            x ^= x << 13; x ^= x >>> 7; x ^= x << 17;
            s[i] = (x & 1) == 0 ? 0.02f : -0.02f;
        }
        return s;
    }

    interface Fill {
        void set(int i, long random);
    }

    /** Calls f(i, random64) for i in [0, n), in parallel, with a splitmix64 stream per index. */
    static void fill(int n, long seed, Fill f) {
        Parallel.forRange(n, 1 << 16, (a, b) -> {
            for (int i = a; i < b; i++) {
                long z = seed * 0x9E3779B97F4A7C15L + i * 0xBF58476D1CE4E5B9L;
                z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
                z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
                f.set(i, z ^ (z >>> 31));
            }
        });
    }
}
