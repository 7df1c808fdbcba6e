package dev.e8q.codec;

/**
 * Packs logical codes into QuIP#'s {@code Qidxs} int64 layout and back (SPEC §1.5 for E8P, §3 for the
 * 3-bit and 4-bit residual stacks). Pure functions on arrays.
 *
 * <p>Logical codes are laid out row-major: {@code codes[r * (n/8) + b]} is the code of row r, 8-column block
 * b. The packed result is the flattened (m, n/32·b) tensor, row-major.
 */
public final class QidxsPacking {
    private QidxsPacking() {}

    /** Number of int64 words of a packed matrix: m · n/32 · bits/2 (bits ∈ {2,3,4}). */
    public static int words(int m, int n, int bits) {
        checkShape(m, n);
        return switch (bits) {
            case 2 -> m * (n / 32);
            case 3 -> m * (3 * n / 64);
            case 4 -> m * (n / 16);
            default -> throw new IllegalArgumentException("bits must be 2, 3 or 4, got " + bits);
        };
    }

    /**
     * The §1.5 flat E8P stream: each word holds a 2×2 group (rows 2p,2p+1 × blocks 2q,2q+1); the low 32 bits
     * hold the four abs indices, the high 32 bits interleave the four sign bytes, and the words are ordered by
     * 16-row group, 64-column group, row pair, block pair.
     */
    public static long[] packE8p(int m, int n, int[] codes) {
        checkShape(m, n);
        int blocks = n / 8;
        if (codes.length != m * blocks)
            throw new IllegalArgumentException("expected " + m * blocks + " codes for " + m + "x" + n + ", got " + codes.length);
        long[] out = new long[m * (n / 32)];
        int groupsQ = n / 64;
        for (int p = 0; p < m / 2; p++) {
            int bigP = p >> 3, rp = p & 7;
            for (int q = 0; q < blocks / 2; q++) {
                long abs32 = 0, sign32 = 0;
                for (int i = 0; i < 4; i++) {
                    int code = codes[(2 * p + (i & 1)) * blocks + 2 * q + (i >> 1)];
                    abs32 |= (long) ((code >>> 8) & 0xFF) << (8 * i);
                    sign32 |= spreadSigns(code & 0xFF) << i;
                }
                int flat = ((bigP * groupsQ + (q >> 2)) * 8 + rp) * 4 + (q & 3);
                out[flat] = (sign32 << 32) | abs32;
            }
        }
        return out;
    }

    /** Inverse of {@link #packE8p}. */
    public static int[] unpackE8p(int m, int n, long[] words, int wordsOff) {
        checkShape(m, n);
        int blocks = n / 8;
        int[] codes = new int[m * blocks];
        int groupsQ = n / 64;
        for (int p = 0; p < m / 2; p++) {
            int bigP = p >> 3, rp = p & 7;
            for (int q = 0; q < blocks / 2; q++) {
                long w = words[wordsOff + ((bigP * groupsQ + (q >> 2)) * 8 + rp) * 4 + (q & 3)];
                long sign32 = w >>> 32;
                for (int i = 0; i < 4; i++) {
                    int abs = (int) (w >>> (8 * i)) & 0xFF;
                    codes[(2 * p + (i & 1)) * blocks + 2 * q + (i >> 1)] = (abs << 8) | gatherSigns(sign32 >>> i);
                }
            }
        }
        return codes;
    }

    /** Bit j of the sign byte goes to bit 4j (the caller shifts by the slot). */
    private static long spreadSigns(int signByte) {
        long r = 0;
        for (int j = 0; j < 8; j++) r |= (long) ((signByte >>> j) & 1) << (4 * j);
        return r;
    }

    private static int gatherSigns(long s) {
        int r = 0;
        for (int j = 0; j < 8; j++) r |= (int) ((s >>> (4 * j)) & 1) << j;
        return r;
    }

    /**
     * Packs a whole matrix. stage0: E8P codes (16 bit). stage1: E81B codes (8 bit, 3-bit) or E8P codes
     * (4-bit), or null for 2-bit.
     */
    public static long[] pack(int m, int n, int bits, int[] stage0, int[] stage1) {
        int wpr = words(m, n, bits) / m; // words per tensor row
        long[] e8 = packE8p(m, n, stage0);
        if (bits == 2) return e8;
        if (stage1 == null || stage1.length != stage0.length)
            throw new IllegalArgumentException(bits + "-bit packing needs a second stage of " + stage0.length + " codes");
        long[] out = new long[m * wpr];
        int n32 = n / 32, blocks = n / 8;
        long[] second = bits == 4 ? packE8p(m, n, stage1) : null;
        for (int r = 0; r < m; r++) {
            System.arraycopy(e8, r * n32, out, r * wpr, n32);
            if (bits == 4) {
                System.arraycopy(second, r * n32, out, r * wpr + n32, n32);
            } else {
                // 3-bit: row r's E81B codes, 8 per word, block 8j+k in byte k (little-endian).
                for (int j = 0; j < blocks / 8; j++) {
                    long w = 0;
                    for (int k = 0; k < 8; k++) w |= (long) (stage1[r * blocks + 8 * j + k] & 0xFF) << (8 * k);
                    out[r * wpr + n32 + j] = w;
                }
            }
        }
        return out;
    }

    /** Inverse of {@link #pack}: returns {stage0} for 2-bit, {stage0, stage1} otherwise. */
    public static int[][] unpack(int m, int n, int bits, long[] qidxs) {
        int total = words(m, n, bits);
        if (qidxs.length != total)
            throw new IllegalArgumentException("Qidxs for " + m + "x" + n + " at " + bits + " bits needs " + total
                    + " int64 words, got " + qidxs.length);
        if (bits == 2) return new int[][] {unpackE8p(m, n, qidxs, 0)};
        int wpr = total / m, n32 = n / 32, blocks = n / 8;
        long[] first = new long[m * n32];
        long[] second = bits == 4 ? new long[m * n32] : null;
        int[] stage1 = bits == 3 ? new int[m * blocks] : null;
        for (int r = 0; r < m; r++) {
            System.arraycopy(qidxs, r * wpr, first, r * n32, n32);
            if (bits == 4) {
                System.arraycopy(qidxs, r * wpr + n32, second, r * n32, n32);
            } else {
                for (int j = 0; j < blocks / 8; j++) {
                    long w = qidxs[r * wpr + n32 + j];
                    for (int k = 0; k < 8; k++) stage1[r * blocks + 8 * j + k] = (int) (w >>> (8 * k)) & 0xFF;
                }
            }
        }
        int[] s0 = unpackE8p(m, n, first, 0);
        return new int[][] {s0, bits == 4 ? unpackE8p(m, n, second, 0) : stage1};
    }

    private static void checkShape(int m, int n) {
        if (m <= 0 || n <= 0 || m % 16 != 0 || n % 64 != 0)
            throw new IllegalArgumentException("Qidxs packing needs rows % 16 == 0 and cols % 64 == 0, got " + m + "x" + n);
    }
}
