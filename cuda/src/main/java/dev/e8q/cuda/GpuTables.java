package dev.e8q.cuda;

import dev.e8q.hadamard.Hadamard;
import dev.e8q.lattice.E81B;
import dev.e8q.lattice.E8P;

/**
 * The lookup tables the kernels keep in shared memory, built at run time from the lattice module's
 * codebooks (never stored), and a bit-exact Java twin of the kernel's E8P decode ({@code e8q_decode}).
 */
public final class GpuTables {
    private GpuTables() {}

    /** Kernel nibble k holds coordinate POS[k] (and takes its sign from bit k of the sign byte). */
    static final int[] NIBBLE_POS = {0, 2, 4, 6, 1, 3, 5, 7};

    /**
     * The 256-entry "packed abs" table of SPEC §1.4: for entry i, P = (A0,A2,A4,A6,A1,A3,A5,A7) of the source
     * row (P[7] negated when odd(i)); nibble k = 2·P[k] + 8.
     */
    public static int[] packedAbs() {
        byte[] src = E8P.sourceTable(); // 2·|a|
        int[] table = new int[256];
        for (int i = 0; i < 256; i++) {
            int word = 0;
            for (int k = 0; k < 8; k++) {
                int twoP = src[i * 8 + NIBBLE_POS[k]];
                if (k == 7 && E8P.odd(i)) twoP = -twoP;
                word |= (twoP + 8) << (4 * k);
            }
            table[i] = word;
        }
        return table;
    }

    /** The E81B table as 256×8 int8 of 2·g (what the 3-bit kernel reads). */
    public static byte[] e81bGrid2() {
        return E81B.grid2();
    }

    /**
     * Decodes slot {@code slot} of a Qidxs word exactly as {@code e8q_decode} does (same integer operations, same
     * float construction 0x4A000000 | 2t = 2^21 + t/2, same subtraction), writing 8 values in coordinate order to
     * out[off..off+8).
     */
    public static void decode(long word, int slot, int[] packedAbs, float[] out, int off) {
        int abs32 = (int) word;
        int sign32 = (int) (word >>> 32);
        int packed = packedAbs[(abs32 >>> (8 * slot)) & 0xFF];
        int sb = (sign32 >>> slot) & 0x11111111;
        int p = Integer.bitCount(sb) & 1;
        sb ^= p;
        packed ^= sb * 0xE;
        float base = p != 0 ? 2097156.25f : 2097155.75f;
        for (int k = 0; k < 8; k++) {
            int twoT = k == 0 ? (packed << 1) & 0x1E : (packed >>> (4 * k - 1)) & 0x1E;
            out[off + NIBBLE_POS[k]] = Float.intBitsToFloat(0x4A000000 | twoT) - base;
        }
    }

    /** hadK (SPEC §4.3) as K×K float, row-major, as the {@code e8q_hadk} kernel reads it. */
    public static float[] hadamardBase(int k) {
        byte[] h = Hadamard.baseMatrix(k);
        float[] f = new float[h.length];
        for (int i = 0; i < h.length; i++) f[i] = h[i];
        return f;
    }
}
