package dev.e8q.codec.kernel;

import dev.e8q.lattice.E81B;
import dev.e8q.lattice.E8P;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * E8P decode-and-multiply by table lookup on pairs of coordinates (512-bit, AVX-512 VBMI), exact in float.
 *
 * <p>Every coordinate pair of the 256 E8P magnitude patterns takes one of 8 magnitude combinations ({½, 3⁄2,
 * 5⁄2}² without (5⁄2, 5⁄2)), so with the two sign bits a pair of weights is one of 32 values. For each 8-column
 * block of u and each pair q the 32 possible partial dot products ±m₀·u[i₀] ± m₁·u[i₁] are tabulated once per
 * product ({@link #tables}): two 512-bit registers, which one {@code vpermi2d} indexes. A lookup then yields the
 * products of 2 weights for 16 rows at once, where the widen-convert-FMA kernel needs 3 instructions per 16
 * weights. The ±¼ shift adds U/4 − p·U/2 per block (U = Σ of the block's u, p the shift bit): the U/4 parts sum
 * to one constant, and the p·U/2 parts of five blocks at a time are one more lookup: the five shift bits of a row
 * form a 5-bit index into a 32-entry table of the sums of those blocks' U/2 (built by {@link #tables}). That replaced a
 * masked subtract per block and accumulator (with a {@code pext} and a mask move each) and made the kernel 1.07–1.11×
 * faster on 1 thread.
 *
 * <p>The pairs are the positions whose sign bits are adjacent, (0,2), (4,6), (1,3), (5,7) (σ of SPEC §1.2), so
 * a pair's index byte is {@code combo << 2 | (s >>> 2q) & 3}; the odd-pattern flip of position 7 is folded into
 * pair 3's combo table and the shift bit into pair 0's (bit 0 flips).
 * The 64 rows of a group sit in byte lanes as in {@link E8Kernel}; the index bytes are used as 16 int lanes
 * shifted by 0, 8, 16, 24 bits ({@code vpermi2d} reads the low 5 bits), so accumulator j holds rows 4i + j and
 * is put back in row order once per group.
 *
 * <p>The 3-bit second stage (E81B, one code byte per 8 weights) uses the same lookups on the pairs (2q, 2q+1), whose
 * coordinates take 17 distinct value pairs over the 256 codewords ({@link #pairE81B}, {@link #pairE81BInt8}); a
 * pair's index is a 256-entry byte lookup of the code.
 *
 * <p>{@link #pairE8P} and {@link #pairE8PInt8} repeat the index-byte construction on purpose: it produces vectors,
 * and a helper that returns or takes vectors is not inlined into these loops by C2 (its vectors get boxed); the
 * same trade was measured for {@link E8KernelA8} (a shared decode helper cost 10–15 %).
 *
 * <p>Accumulators are written {@code a = x.add(a)}, never {@code a = a.add(x)}: a loop-carried receiver's class is
 * known to C2 only from the JDK's type profile, and in some processes C2 compiled this loop before that profile
 * existed, made those adds virtual calls, and boxed every lookup (generation about 2.7× slower for the whole process;
 * docs/runtime.md, "A slow mode of generation"). The freshly looked-up vector's class follows from its species.
 * Float addition is commutative, so the sums are the same bits.
 */
final class E8KernelLut {
    private static final int GROUP = E8Kernel.GROUP;
    private static final VectorSpecies<Byte> B64 = ByteVector.SPECIES_512;
    private static final VectorSpecies<Integer> I16 = IntVector.SPECIES_512;
    private static final VectorSpecies<Float> F16 = FloatVector.SPECIES_512;
    private static final VectorSpecies<Short> S32 = ShortVector.SPECIES_512;

    /** Positions of pair q's two weights. */
    private static final int[][] POS = {{0, 2}, {4, 6}, {1, 3}, {5, 7}};
    /** Magnitudes ×2 of the 8 combinations. */
    private static final int[] M0 = {1, 1, 1, 3, 3, 3, 5, 5}, M1 = {1, 3, 5, 1, 3, 5, 1, 3};
    /** CA[i], CB[i]: signed magnitudes of the pair's first and second weight for index i = combo·4 + s₁·2 + s₀. */
    private static final float[] CA = new float[32], CB = new float[32];
    /** TA[a] = combo₀ << 2 | combo₁ << 5 and TB[a] = combo₃ << 2 | odd(a) << 1 | combo₂ << 5 for pattern a. */
    static final byte[] TA = new byte[256], TB = new byte[256];
    /**
     * Int16 tables (int8 activations): QA[i], QB[i] = 4·v of the pair's first and second weight for index
     * i = combo·4 + s₁·2 + s₀, without the shift; QP[i] = ±1 (the shift in units of ¼: +1 for p = 0, −1 for p = 1)
     * for i = p·32 + combo·4 + s₁·2 + s₀, which pair 0's table multiplies by the block's Σ q.
     */
    private static final short[] QA = new short[32], QB = new short[32], QP = new short[64];
    /** Low two bits of every byte. */
    private static final int SIGNS = 0x03030303;
    /** Low five bits of every byte. */
    private static final int LOW5 = 0x1F1F1F1F;
    /**
     * E81B (3-bit second stage) pairs, positions (2q, 2q+1): V0[i], V1[i] are 2·g of the pair's two coordinates for
     * the i-th of the 17 value pairs any E81B codeword takes there; P81[q·256 + c] is codeword c's i in pair q.
     */
    private static final int[] V0 = new int[32], V1 = new int[32];
    private static final short[] V0S = new short[32], V1S = new short[32];
    private static final byte[] P81 = new byte[4 * 256];

    static {
        for (int i = 0; i < 32; i++) {
            int c = i >> 2;
            CA[i] = ((i & 1) != 0 ? -M0[c] : M0[c]) * 0.5f;
            CB[i] = ((i & 2) != 0 ? -M1[c] : M1[c]) * 0.5f;
        }
        for (int i = 0; i < 32; i++) {
            int c = i >> 2;
            QA[i] = (short) ((i & 1) != 0 ? -2 * M0[c] : 2 * M0[c]);
            QB[i] = (short) ((i & 2) != 0 ? -2 * M1[c] : 2 * M1[c]);
        }
        for (int i = 0; i < 64; i++) QP[i] = (short) ((i & 32) != 0 ? -1 : 1);
        byte[] src = E8P.sourceTable();
        for (int a = 0; a < 256; a++) {
            int[] combo = new int[4];
            for (int q = 0; q < 4; q++) {
                int m0 = Math.abs(src[a * 8 + POS[q][0]]), m1 = Math.abs(src[a * 8 + POS[q][1]]);
                combo[q] = -1;
                for (int c = 0; c < 8; c++) if (M0[c] == m0 && M1[c] == m1) combo[q] = c;
                if (combo[q] < 0) throw new IllegalStateException("E8P pattern " + a + " has magnitudes " + m0 + "/2, " + m1 + "/2 in pair " + q);
            }
            TA[a] = (byte) (combo[0] << 2 | combo[1] << 5);
            TB[a] = (byte) (combo[3] << 2 | (E8P.odd(a) ? 2 : 0) | combo[2] << 5);
        }
        byte[] g2 = E81B.grid2();
        int values = 0;
        for (int q = 0; q < 4; q++) {
            for (int c = 0; c < 256; c++) {
                int v0 = g2[c * 8 + 2 * q], v1 = g2[c * 8 + 2 * q + 1], i = 0;
                while (i < values && (V0[i] != v0 || V1[i] != v1)) i++;
                if (i == values) {
                    if (values == 32) throw new IllegalStateException("E81B pairs take more than 32 values");
                    V0[i] = v0;
                    V1[i] = v1;
                    values++;
                }
                P81[q * 256 + c] = (byte) i;
            }
        }
        for (int i = 0; i < 32; i++) {
            V0S[i] = (short) V0[i];
            V1S[i] = (short) V1[i];
        }
    }

    private static final int SPAN = E8KernelA8.SPAN;

    private E8KernelLut() {}

    /** Ints of table storage {@link #tables} fills for nb blocks. */
    static int tableInts(int nb) {
        return nb * 128;
    }

    /** Blocks per shift table: their shift bits form a 5-bit index. */
    static final int SHIFT_SPAN = 5;
    /** SHIFT_BITS[j·32 + i] = −1 where index i has the bit of a full span's block j (bit 4 − j), else 0. */
    private static final float[] SHIFT_BITS = new float[SHIFT_SPAN * 32];

    static {
        for (int j = 0; j < SHIFT_SPAN; j++)
            for (int i = 0; i < 32; i++) SHIFT_BITS[j * 32 + i] = (i >>> (SHIFT_SPAN - 1 - j) & 1) != 0 ? -1 : 0;
    }

    /** Ints of shift-table storage {@link #tables} fills for nb blocks. */
    static int shiftTableInts(int nb) {
        return (nb + SHIFT_SPAN - 1) / SHIFT_SPAN * 32;
    }

    /**
     * Fills tab[(b·4 + q)·32 + i] with the float bits of pair q's product for index i, and the shift tables: st[c·32 +
     * i] with the float bits of −Σ U_b/2 over the blocks b of span c (blocks 5c .. 5c + L − 1, L = 5 or what is left
     * of nb) whose shift bit is set in i, the span's first block in the highest of its L bits (U_b = Σ of block b's
     * u). Returns Σ u[uOff .. uOff + 8·nb).
     */
    static float tables(float[] u, int uOff, int nb, int[] tab, int[] st) {
        FloatVector caLo = FloatVector.fromArray(F16, CA, 0), caHi = FloatVector.fromArray(F16, CA, 16);
        FloatVector cbLo = FloatVector.fromArray(F16, CB, 0), cbHi = FloatVector.fromArray(F16, CB, 16);
        float[] halfU = new float[SHIFT_SPAN];
        float total = 0;
        for (int b = 0; b < nb; b++) {
            int ub = uOff + 8 * b;
            float sum = 0;
            for (int k = 0; k < 8; k++) sum += u[ub + k];
            halfU[b % SHIFT_SPAN] = 0.5f * sum;
            total += sum;
            for (int q = 0; q < 4; q++) {
                FloatVector x = FloatVector.broadcast(F16, u[ub + POS[q][0]]), y = FloatVector.broadcast(F16, u[ub + POS[q][1]]);
                int o = (b * 4 + q) * 32;
                cbLo.fma(y, caLo.mul(x)).reinterpretAsInts().intoArray(tab, o);
                cbHi.fma(y, caHi.mul(x)).reinterpretAsInts().intoArray(tab, o + 16);
            }
            if (b % SHIFT_SPAN == SHIFT_SPAN - 1 || b == nb - 1) shiftTable(halfU, b % SHIFT_SPAN + 1, st, b / SHIFT_SPAN * 32);
        }
        return total;
    }

    /**
     * One span's shift table from the half-sums h[0..len): a shorter span's blocks move to the last len slots
     * behind zeros, so that its first block lands in bit len − 1 as the kernel builds the index; the zeros add
     * nothing, and each entry sums the same terms in the same order either way.
     */
    private static void shiftTable(float[] h, int len, int[] st, int o) {
        if (len < SHIFT_SPAN) {
            System.arraycopy(h, 0, h, SHIFT_SPAN - len, len);
            java.util.Arrays.fill(h, 0, SHIFT_SPAN - len, 0f);
        }
        FloatVector lo = FloatVector.zero(F16), hi = FloatVector.zero(F16);
        for (int j = 0; j < SHIFT_SPAN; j++) {
            FloatVector v = FloatVector.broadcast(F16, h[j]);
            lo = FloatVector.fromArray(F16, SHIFT_BITS, j * 32).fma(v, lo);
            hi = FloatVector.fromArray(F16, SHIFT_BITS, j * 32 + 16).fma(v, hi);
        }
        lo.reinterpretAsInts().intoArray(st, o);
        hi.reinterpretAsInts().intoArray(st, o + 16);
    }

    /**
     * Groups gA and gB (gB may equal gA; its sums then duplicate gA's): stores (or, when add, adds)
     * scale·(Σ_b Σ_k v[r][b][k]·u[8b + k]) into acc[0..64) for gA and acc[64..128) for gB, in row order;
     * quarterU is a quarter of Σ u.
     */
    static void pairE8P(byte[] ab, byte[] sg, int gA, int gB, int nb, int[] tab, int[] shiftTab, float quarterU,
                        float[] acc, float[] tmp, float scale, boolean add) {
        FloatVector a0 = FloatVector.zero(F16), a1 = FloatVector.zero(F16), a2 = FloatVector.zero(F16), a3 = FloatVector.zero(F16);
        FloatVector c0 = FloatVector.zero(F16), c1 = FloatVector.zero(F16), c2 = FloatVector.zero(F16), c3 = FloatVector.zero(F16);
        int baseA = gA * nb * GROUP, baseB = gB * nb * GROUP;
        ByteVector pa = ByteVector.zero(B64), pc = ByteVector.zero(B64);
        for (int b = 0, span = 0; b < nb; b++) {
            int offA = baseA + b * GROUP, offB = baseB + b * GROUP;
            ByteVector xa = ByteVector.fromArray(B64, ab, offA), xc = ByteVector.fromArray(B64, ab, offB);
            ByteVector sa = ByteVector.fromArray(B64, sg, offA), sc = ByteVector.fromArray(B64, sg, offB);
            VectorMask<Byte> hiA = xa.lt((byte) 0), hiC = xc.lt((byte) 0);
            ByteVector na = sa.lanewise(VectorOperators.BIT_COUNT).and((byte) 1), nc = sc.lanewise(VectorOperators.BIT_COUNT).and((byte) 1);
            // the shift bits of the span's blocks, first block highest, index the span's shift table
            // 2p + n with n in {0, 1} is (p << 1) | n; written with the fresh n as the receiver (see the class comment)
            pa = na.add(pa).add(pa);
            pc = nc.add(pc).add(pc);
            IntVector ya = sa.lanewise(VectorOperators.XOR, na).reinterpretAsInts(), yc = sc.lanewise(VectorOperators.XOR, nc).reinterpretAsInts();
            IntVector ta = xa.selectFrom(ByteVector.fromArray(B64, TA, 0), ByteVector.fromArray(B64, TA, 64))
                    .blend(xa.selectFrom(ByteVector.fromArray(B64, TA, 128), ByteVector.fromArray(B64, TA, 192)), hiA).reinterpretAsInts();
            IntVector tc = xc.selectFrom(ByteVector.fromArray(B64, TA, 0), ByteVector.fromArray(B64, TA, 64))
                    .blend(xc.selectFrom(ByteVector.fromArray(B64, TA, 128), ByteVector.fromArray(B64, TA, 192)), hiC).reinterpretAsInts();
            IntVector ua = xa.selectFrom(ByteVector.fromArray(B64, TB, 0), ByteVector.fromArray(B64, TB, 64))
                    .blend(xa.selectFrom(ByteVector.fromArray(B64, TB, 128), ByteVector.fromArray(B64, TB, 192)), hiA).reinterpretAsInts();
            IntVector uc = xc.selectFrom(ByteVector.fromArray(B64, TB, 0), ByteVector.fromArray(B64, TB, 64))
                    .blend(xc.selectFrom(ByteVector.fromArray(B64, TB, 128), ByteVector.fromArray(B64, TB, 192)), hiC).reinterpretAsInts();
            for (int q = 0; q < 4; q++) {
                // index bytes: combo in bits 2..4, the pair's two sign bits in 0..1 (bits 5..7 are ignored)
                IntVector va, vc;
                if (q == 0) {
                    va = ta.lanewise(VectorOperators.XOR, ya.and(SIGNS));
                    vc = tc.lanewise(VectorOperators.XOR, yc.and(SIGNS));
                } else if (q == 1) {
                    va = ta.lanewise(VectorOperators.LSHR, 3).lanewise(VectorOperators.BITWISE_BLEND, ya.lanewise(VectorOperators.LSHR, 2), SIGNS);
                    vc = tc.lanewise(VectorOperators.LSHR, 3).lanewise(VectorOperators.BITWISE_BLEND, yc.lanewise(VectorOperators.LSHR, 2), SIGNS);
                } else if (q == 2) {
                    va = ua.lanewise(VectorOperators.LSHR, 3).lanewise(VectorOperators.BITWISE_BLEND, ya.lanewise(VectorOperators.LSHR, 4), SIGNS);
                    vc = uc.lanewise(VectorOperators.LSHR, 3).lanewise(VectorOperators.BITWISE_BLEND, yc.lanewise(VectorOperators.LSHR, 4), SIGNS);
                } else {
                    va = ua.lanewise(VectorOperators.XOR, ya.lanewise(VectorOperators.LSHR, 6).and(SIGNS));
                    vc = uc.lanewise(VectorOperators.XOR, yc.lanewise(VectorOperators.LSHR, 6).and(SIGNS));
                }
                int o = (b * 4 + q) * 32;
                IntVector lo = IntVector.fromArray(I16, tab, o), hi = IntVector.fromArray(I16, tab, o + 16);
                a0 = va.selectFrom(lo, hi).reinterpretAsFloats().add(a0);
                a1 = va.lanewise(VectorOperators.LSHR, 8).selectFrom(lo, hi).reinterpretAsFloats().add(a1);
                a2 = va.lanewise(VectorOperators.LSHR, 16).selectFrom(lo, hi).reinterpretAsFloats().add(a2);
                a3 = va.lanewise(VectorOperators.LSHR, 24).selectFrom(lo, hi).reinterpretAsFloats().add(a3);
                c0 = vc.selectFrom(lo, hi).reinterpretAsFloats().add(c0);
                c1 = vc.lanewise(VectorOperators.LSHR, 8).selectFrom(lo, hi).reinterpretAsFloats().add(c1);
                c2 = vc.lanewise(VectorOperators.LSHR, 16).selectFrom(lo, hi).reinterpretAsFloats().add(c2);
                c3 = vc.lanewise(VectorOperators.LSHR, 24).selectFrom(lo, hi).reinterpretAsFloats().add(c3);
            }
            // one loop with a branch, not a loop over spans around a loop over blocks: C2 spilled the eight
            // accumulators to the stack around such an inner loop, and whether those 64-byte slots straddle cache
            // lines follows the caller's stack depth (2-bit 4096²: 470 or 512 µs by the parity of the depth)
            if (b % SHIFT_SPAN != SHIFT_SPAN - 1 && b != nb - 1) continue;
            int o = span++ * 32;
            IntVector lo = IntVector.fromArray(I16, shiftTab, o), hi = IntVector.fromArray(I16, shiftTab, o + 16);
            IntVector va = pa.reinterpretAsInts(), vc = pc.reinterpretAsInts();
            a0 = va.selectFrom(lo, hi).reinterpretAsFloats().add(a0);
            a1 = va.lanewise(VectorOperators.LSHR, 8).selectFrom(lo, hi).reinterpretAsFloats().add(a1);
            a2 = va.lanewise(VectorOperators.LSHR, 16).selectFrom(lo, hi).reinterpretAsFloats().add(a2);
            a3 = va.lanewise(VectorOperators.LSHR, 24).selectFrom(lo, hi).reinterpretAsFloats().add(a3);
            c0 = vc.selectFrom(lo, hi).reinterpretAsFloats().add(c0);
            c1 = vc.lanewise(VectorOperators.LSHR, 8).selectFrom(lo, hi).reinterpretAsFloats().add(c1);
            c2 = vc.lanewise(VectorOperators.LSHR, 16).selectFrom(lo, hi).reinterpretAsFloats().add(c2);
            c3 = vc.lanewise(VectorOperators.LSHR, 24).selectFrom(lo, hi).reinterpretAsFloats().add(c3);
            pa = ByteVector.zero(B64);
            pc = ByteVector.zero(B64);
        }
        a0.intoArray(tmp, 0); a1.intoArray(tmp, 16); a2.intoArray(tmp, 32); a3.intoArray(tmp, 48);
        c0.intoArray(tmp, 64); c1.intoArray(tmp, 80); c2.intoArray(tmp, 96); c3.intoArray(tmp, 112);
        for (int h = 0; h < 2; h++) {
            for (int i = 0; i < 16; i++) {
                for (int j = 0; j < 4; j++) {
                    int r = h * GROUP + 4 * i + j;
                    float v = scale * (tmp[h * GROUP + j * 16 + i] + quarterU);
                    acc[r] = add ? acc[r] + v : v;
                }
            }
        }
    }

    /**
     * Fills tab[(b·4 + q)·32 + i] with the float bits of V0[i]·u[8b + 2q] + V1[i]·u[8b + 2q + 1], E81B pair q's
     * product (in units of g/2) for value pair i, for blocks [b0, b1).
     */
    static void tablesE81B(float[] u, int uOff, int b0, int b1, int[] tab) {
        FloatVector v0Lo = IntVector.fromArray(I16, V0, 0).convert(VectorOperators.I2F, 0).reinterpretAsFloats();
        FloatVector v0Hi = IntVector.fromArray(I16, V0, 16).convert(VectorOperators.I2F, 0).reinterpretAsFloats();
        FloatVector v1Lo = IntVector.fromArray(I16, V1, 0).convert(VectorOperators.I2F, 0).reinterpretAsFloats();
        FloatVector v1Hi = IntVector.fromArray(I16, V1, 16).convert(VectorOperators.I2F, 0).reinterpretAsFloats();
        for (int b = b0; b < b1; b++) {
            for (int q = 0; q < 4; q++) {
                int ub = uOff + 8 * b + 2 * q;
                FloatVector x = FloatVector.broadcast(F16, u[ub]), y = FloatVector.broadcast(F16, u[ub + 1]);
                int o = (b * 4 + q) * 32;
                v1Lo.fma(y, v0Lo.mul(x)).reinterpretAsInts().intoArray(tab, o);
                v1Hi.fma(y, v0Hi.mul(x)).reinterpretAsInts().intoArray(tab, o + 16);
            }
        }
    }

    /**
     * E81B stage (one code byte per row and block) of groups gA and gB (gB may equal gA): adds
     * scale·Σ_b Σ_k 2·g[r][b][k]·u[8b + k] into acc[0..64) for gA and acc[64..128) for gB, in row order, with the
     * tables of {@link #tablesE81B}. A pair's index is one 256-entry byte lookup of the code (P81), so the stage
     * costs 4 such lookups and 16 table lookups per block and 64 rows, where {@link #pairE8P} builds its indices
     * from two lookups and the sign bits.
     */
    static void pairE81B(byte[] ab, int gA, int gB, int nb, int[] tab, float[] acc, float[] tmp, float scale) {
        FloatVector a0 = FloatVector.zero(F16), a1 = FloatVector.zero(F16), a2 = FloatVector.zero(F16), a3 = FloatVector.zero(F16);
        FloatVector c0 = FloatVector.zero(F16), c1 = FloatVector.zero(F16), c2 = FloatVector.zero(F16), c3 = FloatVector.zero(F16);
        int baseA = gA * nb * GROUP, baseB = gB * nb * GROUP;
        for (int b = 0; b < nb; b++) {
            ByteVector xa = ByteVector.fromArray(B64, ab, baseA + b * GROUP), xc = ByteVector.fromArray(B64, ab, baseB + b * GROUP);
            VectorMask<Byte> hiA = xa.lt((byte) 0), hiC = xc.lt((byte) 0);
            for (int q = 0; q < 4; q++) {
                int t = q * 256;
                ByteVector p0 = ByteVector.fromArray(B64, P81, t), p1 = ByteVector.fromArray(B64, P81, t + 64);
                ByteVector p2 = ByteVector.fromArray(B64, P81, t + 128), p3 = ByteVector.fromArray(B64, P81, t + 192);
                IntVector va = xa.selectFrom(p0, p1).blend(xa.selectFrom(p2, p3), hiA).reinterpretAsInts();
                IntVector vc = xc.selectFrom(p0, p1).blend(xc.selectFrom(p2, p3), hiC).reinterpretAsInts();
                int o = (b * 4 + q) * 32;
                IntVector lo = IntVector.fromArray(I16, tab, o), hi = IntVector.fromArray(I16, tab, o + 16);
                a0 = va.selectFrom(lo, hi).reinterpretAsFloats().add(a0);
                a1 = va.lanewise(VectorOperators.LSHR, 8).selectFrom(lo, hi).reinterpretAsFloats().add(a1);
                a2 = va.lanewise(VectorOperators.LSHR, 16).selectFrom(lo, hi).reinterpretAsFloats().add(a2);
                a3 = va.lanewise(VectorOperators.LSHR, 24).selectFrom(lo, hi).reinterpretAsFloats().add(a3);
                c0 = vc.selectFrom(lo, hi).reinterpretAsFloats().add(c0);
                c1 = vc.lanewise(VectorOperators.LSHR, 8).selectFrom(lo, hi).reinterpretAsFloats().add(c1);
                c2 = vc.lanewise(VectorOperators.LSHR, 16).selectFrom(lo, hi).reinterpretAsFloats().add(c2);
                c3 = vc.lanewise(VectorOperators.LSHR, 24).selectFrom(lo, hi).reinterpretAsFloats().add(c3);
            }
        }
        a0.intoArray(tmp, 0); a1.intoArray(tmp, 16); a2.intoArray(tmp, 32); a3.intoArray(tmp, 48);
        c0.intoArray(tmp, 64); c1.intoArray(tmp, 80); c2.intoArray(tmp, 96); c3.intoArray(tmp, 112);
        for (int h = 0; h < 2; h++) {
            for (int i = 0; i < 16; i++) {
                for (int j = 0; j < 4; j++) {
                    int r = h * GROUP + 4 * i + j;
                    acc[r] = Math.fma(tmp[h * GROUP + j * 16 + i], scale, acc[r]);
                }
            }
        }
    }

    /** Shorts of table storage {@link #tablesInt8} fills for nb blocks. */
    static int tableShorts(int nb) {
        return nb * 160;
    }

    /**
     * Fills block b's 160 int16 entries at tab[b·160]: pair 0's 64 (index p·32 + combo·4 + s₁·2 + s₀, s₀ the raw sign bit), its
     * product 4·v·q plus the whole block's shift ±Σ q; then pairs 1..3's 32 each (index combo·4 + s₁·2 + s₀),
     * their products alone. For blocks [b0, b1).
     */
    static void tablesInt8(byte[] q, int b0, int b1, short[] tab) {
        ShortVector qa = ShortVector.fromArray(S32, QA, 0), qb = ShortVector.fromArray(S32, QB, 0);
        ShortVector qpLo = ShortVector.fromArray(S32, QP, 0), qpHi = ShortVector.fromArray(S32, QP, 32);
        for (int b = b0; b < b1; b++) {
            short sum = 0;
            for (int k = 0; k < 8; k++) sum += q[8 * b + k];
            int o = b * 160;
            // index bit 0 is the raw sign bit, so for p = 1 the first weight's sign is flipped: QA[i ^ 1] = −QA[i]
            ShortVector x0 = qa.mul(q[8 * b + POS[0][0]]), x1 = qb.mul(q[8 * b + POS[0][1]]);
            x1.add(x0).add(qpLo.mul(sum)).intoArray(tab, o);
            x1.sub(x0).add(qpHi.mul(sum)).intoArray(tab, o + 32);
            for (int p = 1; p < 4; p++)
                qa.mul(q[8 * b + POS[p][0]]).add(qb.mul(q[8 * b + POS[p][1]])).intoArray(tab, o + 32 + 32 * p);
        }
    }

    /** Shorts of table storage {@link #tablesE81BInt8} fills for nb blocks. */
    static int tableShortsE81B(int nb) {
        return nb * 128;
    }

    /** Fills tab[(b·4 + p)·32 + i] with E81B pair p's int16 product V0[i]·q[8b + 2p] + V1[i]·q[8b + 2p + 1]. */
    static void tablesE81BInt8(byte[] q, int b0, int b1, short[] tab) {
        ShortVector v0 = ShortVector.fromArray(S32, V0S, 0), v1 = ShortVector.fromArray(S32, V1S, 0);
        for (int b = b0; b < b1; b++) {
            for (int p = 0; p < 4; p++) {
                short x = q[8 * b + 2 * p], y = q[8 * b + 2 * p + 1];
                v0.mul(x).add(v1.mul(y)).intoArray(tab, (b * 4 + p) * 32);
            }
        }
    }

    /**
     * As {@link #pairE81B} with int8 activations: one 32-entry int16 table per pair ({@code vpermw}), summed in
     * int16 over the four blocks of one activation scale (at most 4·8·127 = 4,064) and scaled by their d in float, in the order
     * {@link E8KernelA8#pairE81B} uses, so the two agree bit for bit. Always adds.
     */
    static void pairE81BInt8(byte[] ab, int gA, int gB, int nb, short[] tab, float[] d, float[] acc, float[] tmp, float scale) {
        FloatVector a0 = FloatVector.zero(F16), a1 = FloatVector.zero(F16), a2 = FloatVector.zero(F16), a3 = FloatVector.zero(F16);
        FloatVector c0 = FloatVector.zero(F16), c1 = FloatVector.zero(F16), c2 = FloatVector.zero(F16), c3 = FloatVector.zero(F16);
        int baseA = gA * nb * GROUP, baseB = gB * nb * GROUP;
        for (int bp = 0; bp < nb; bp += SPAN) {
            ShortVector ea = ShortVector.zero(S32), oa = ShortVector.zero(S32), ec = ShortVector.zero(S32), oc = ShortVector.zero(S32);
            int bEnd = Math.min(bp + SPAN, nb);
            for (int b = bp; b < bEnd; b++) {
                ByteVector xa = ByteVector.fromArray(B64, ab, baseA + b * GROUP), xc = ByteVector.fromArray(B64, ab, baseB + b * GROUP);
                VectorMask<Byte> hiA = xa.lt((byte) 0), hiC = xc.lt((byte) 0);
                for (int p = 0; p < 4; p++) {
                    int t = p * 256;
                    ByteVector p0 = ByteVector.fromArray(B64, P81, t), p1 = ByteVector.fromArray(B64, P81, t + 64);
                    ByteVector p2 = ByteVector.fromArray(B64, P81, t + 128), p3 = ByteVector.fromArray(B64, P81, t + 192);
                    IntVector wa = xa.selectFrom(p0, p1).blend(xa.selectFrom(p2, p3), hiA).reinterpretAsInts();
                    IntVector wc = xc.selectFrom(p0, p1).blend(xc.selectFrom(p2, p3), hiC).reinterpretAsInts();
                    ShortVector tv = ShortVector.fromArray(S32, tab, (b * 4 + p) * 32);
                    ea = wa.reinterpretAsShorts().selectFrom(tv).add(ea);
                    oa = wa.lanewise(VectorOperators.LSHR, 8).reinterpretAsShorts().selectFrom(tv).add(oa);
                    ec = wc.reinterpretAsShorts().selectFrom(tv).add(ec);
                    oc = wc.lanewise(VectorOperators.LSHR, 8).reinterpretAsShorts().selectFrom(tv).add(oc);
                }
            }
            FloatVector dv = FloatVector.broadcast(F16, d[bp / SPAN]);
            // int lanes: the low word is row 4i (even sums) / 4i+1 (odd sums), the high word row 4i+2 / 4i+3
            IntVector ie = ea.reinterpretAsInts(), io = oa.reinterpretAsInts(), je = ec.reinterpretAsInts(), jo = oc.reinterpretAsInts();
            a0 = ie.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0).reinterpretAsFloats().fma(dv, a0);
            a2 = ie.lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0).reinterpretAsFloats().fma(dv, a2);
            a1 = io.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0).reinterpretAsFloats().fma(dv, a1);
            a3 = io.lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0).reinterpretAsFloats().fma(dv, a3);
            c0 = je.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0).reinterpretAsFloats().fma(dv, c0);
            c2 = je.lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0).reinterpretAsFloats().fma(dv, c2);
            c1 = jo.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0).reinterpretAsFloats().fma(dv, c1);
            c3 = jo.lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0).reinterpretAsFloats().fma(dv, c3);
        }
        a0.intoArray(tmp, 0); a1.intoArray(tmp, 16); a2.intoArray(tmp, 32); a3.intoArray(tmp, 48);
        c0.intoArray(tmp, 64); c1.intoArray(tmp, 80); c2.intoArray(tmp, 96); c3.intoArray(tmp, 112);
        scatterInt8(tmp, acc, scale, true);
    }

    /**
     * As {@link #pairE8P} with int8 activations ({@link E8Kernel#multiplyInt8}): the products are looked up in
     * the int16 tables of {@link #tablesInt8}, summed in int16 over the four blocks of one activation scale (at
     * most 4·42·127 = 21,336) and scaled by their d in float, in the order {@link E8KernelA8#pairE8P} uses, so the two kernels agree
     * bit for bit. Word lanes split even and odd rows.
     *
     * <p>The whole ±¼ shift of a block sits in pair 0's table (64 entries, the shift bit p is the index's bit 5),
     * which also takes the raw sign bit s₀ (p flips it): so pairs 1..3 need neither p nor a cleared bit 5 and use
     * one-register 32-entry tables ({@code vpermw}). That is 1.10× faster than a 64-entry table per pair with the
     * shift split over all four. The odd rows' index bytes are brought down by an int shift: the lookup wraps each
     * word to its low 5 or 6 bits anyway, and C2 emits a short shift by a count it first moves into a register.
     *
     * <p>The four pairs are written out: C2 left the loop over them rolled, with a branch per pair. The int16 sums
     * go to float as int lanes (a shift pair for the low word, one for the high word), where {@code convertShape}
     * moved each upper half down with a {@code vpermw} and a blend. Both together are 1.04–1.07× faster.
     */
    static void pairE8PInt8(byte[] ab, byte[] sg, int gA, int gB, int nb, short[] tab, float[] d,
                            float[] acc, float[] tmp, float scale, boolean add) {
        FloatVector a0 = FloatVector.zero(F16), a1 = FloatVector.zero(F16), a2 = FloatVector.zero(F16), a3 = FloatVector.zero(F16);
        FloatVector c0 = FloatVector.zero(F16), c1 = FloatVector.zero(F16), c2 = FloatVector.zero(F16), c3 = FloatVector.zero(F16);
        int baseA = gA * nb * GROUP, baseB = gB * nb * GROUP;
        for (int bp = 0; bp < nb; bp += SPAN) {
            ShortVector ea = ShortVector.zero(S32), oa = ShortVector.zero(S32), ec = ShortVector.zero(S32), oc = ShortVector.zero(S32);
            int bEnd = Math.min(bp + SPAN, nb);
            for (int b = bp; b < bEnd; b++) {
                int offA = baseA + b * GROUP, offB = baseB + b * GROUP;
                ByteVector xa = ByteVector.fromArray(B64, ab, offA), xc = ByteVector.fromArray(B64, ab, offB);
                ByteVector sa = ByteVector.fromArray(B64, sg, offA), sc = ByteVector.fromArray(B64, sg, offB);
                VectorMask<Byte> hiA = xa.lt((byte) 0), hiC = xc.lt((byte) 0);
                ByteVector na = sa.lanewise(VectorOperators.BIT_COUNT).and((byte) 1), nc = sc.lanewise(VectorOperators.BIT_COUNT).and((byte) 1);
                IntVector pa = na.reinterpretAsInts().lanewise(VectorOperators.LSHL, 5), pc = nc.reinterpretAsInts().lanewise(VectorOperators.LSHL, 5);
                // the raw sign bytes: pair 0's table absorbs the flip of s₀ by p, the only bit p changes
                IntVector ya = sa.reinterpretAsInts(), yc = sc.reinterpretAsInts();
                IntVector ta = xa.selectFrom(ByteVector.fromArray(B64, TA, 0), ByteVector.fromArray(B64, TA, 64))
                        .blend(xa.selectFrom(ByteVector.fromArray(B64, TA, 128), ByteVector.fromArray(B64, TA, 192)), hiA).reinterpretAsInts();
                IntVector tc = xc.selectFrom(ByteVector.fromArray(B64, TA, 0), ByteVector.fromArray(B64, TA, 64))
                        .blend(xc.selectFrom(ByteVector.fromArray(B64, TA, 128), ByteVector.fromArray(B64, TA, 192)), hiC).reinterpretAsInts();
                IntVector ua = xa.selectFrom(ByteVector.fromArray(B64, TB, 0), ByteVector.fromArray(B64, TB, 64))
                        .blend(xa.selectFrom(ByteVector.fromArray(B64, TB, 128), ByteVector.fromArray(B64, TB, 192)), hiA).reinterpretAsInts();
                IntVector uc = xc.selectFrom(ByteVector.fromArray(B64, TB, 0), ByteVector.fromArray(B64, TB, 64))
                        .blend(xc.selectFrom(ByteVector.fromArray(B64, TB, 128), ByteVector.fromArray(B64, TB, 192)), hiC).reinterpretAsInts();
                // index bytes: raw sign bits in 0..1, combo in 2..4; pair 0's table also carries the block's shift,
                // so its index takes p in bit 5 (64 entries, vpermi2w)
                int o = b * 160;
                IntVector va = pa.lanewise(VectorOperators.BITWISE_BLEND, ta.lanewise(VectorOperators.BITWISE_BLEND, ya, SIGNS), LOW5);
                IntVector vc = pc.lanewise(VectorOperators.BITWISE_BLEND, tc.lanewise(VectorOperators.BITWISE_BLEND, yc, SIGNS), LOW5);
                ShortVector lo = ShortVector.fromArray(S32, tab, o), hi = ShortVector.fromArray(S32, tab, o + 32);
                ea = va.reinterpretAsShorts().selectFrom(lo, hi).add(ea);
                oa = va.lanewise(VectorOperators.LSHR, 8).reinterpretAsShorts().selectFrom(lo, hi).add(oa);
                ec = vc.reinterpretAsShorts().selectFrom(lo, hi).add(ec);
                oc = vc.lanewise(VectorOperators.LSHR, 8).reinterpretAsShorts().selectFrom(lo, hi).add(oc);
                // pairs 1..3: 32 entries, and vpermw reads the index's low 5 bits, so bits 5..7 need no clearing
                ShortVector tv = ShortVector.fromArray(S32, tab, o + 64);
                va = ta.lanewise(VectorOperators.LSHR, 3).lanewise(VectorOperators.BITWISE_BLEND, ya.lanewise(VectorOperators.LSHR, 2), SIGNS);
                vc = tc.lanewise(VectorOperators.LSHR, 3).lanewise(VectorOperators.BITWISE_BLEND, yc.lanewise(VectorOperators.LSHR, 2), SIGNS);
                ea = va.reinterpretAsShorts().selectFrom(tv).add(ea);
                oa = va.lanewise(VectorOperators.LSHR, 8).reinterpretAsShorts().selectFrom(tv).add(oa);
                ec = vc.reinterpretAsShorts().selectFrom(tv).add(ec);
                oc = vc.lanewise(VectorOperators.LSHR, 8).reinterpretAsShorts().selectFrom(tv).add(oc);
                tv = ShortVector.fromArray(S32, tab, o + 96);
                va = ua.lanewise(VectorOperators.LSHR, 3).lanewise(VectorOperators.BITWISE_BLEND, ya.lanewise(VectorOperators.LSHR, 4), SIGNS);
                vc = uc.lanewise(VectorOperators.LSHR, 3).lanewise(VectorOperators.BITWISE_BLEND, yc.lanewise(VectorOperators.LSHR, 4), SIGNS);
                ea = va.reinterpretAsShorts().selectFrom(tv).add(ea);
                oa = va.lanewise(VectorOperators.LSHR, 8).reinterpretAsShorts().selectFrom(tv).add(oa);
                ec = vc.reinterpretAsShorts().selectFrom(tv).add(ec);
                oc = vc.lanewise(VectorOperators.LSHR, 8).reinterpretAsShorts().selectFrom(tv).add(oc);
                tv = ShortVector.fromArray(S32, tab, o + 128);
                va = ua.lanewise(VectorOperators.XOR, ya.lanewise(VectorOperators.LSHR, 6).and(SIGNS));
                vc = uc.lanewise(VectorOperators.XOR, yc.lanewise(VectorOperators.LSHR, 6).and(SIGNS));
                ea = va.reinterpretAsShorts().selectFrom(tv).add(ea);
                oa = va.lanewise(VectorOperators.LSHR, 8).reinterpretAsShorts().selectFrom(tv).add(oa);
                ec = vc.reinterpretAsShorts().selectFrom(tv).add(ec);
                oc = vc.lanewise(VectorOperators.LSHR, 8).reinterpretAsShorts().selectFrom(tv).add(oc);
            }
            FloatVector dv = FloatVector.broadcast(F16, d[bp / SPAN]);
            // int lanes: the low word is row 4i (even sums) / 4i+1 (odd sums), the high word row 4i+2 / 4i+3
            IntVector ie = ea.reinterpretAsInts(), io = oa.reinterpretAsInts(), je = ec.reinterpretAsInts(), jo = oc.reinterpretAsInts();
            a0 = ie.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0).reinterpretAsFloats().fma(dv, a0);
            a2 = ie.lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0).reinterpretAsFloats().fma(dv, a2);
            a1 = io.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0).reinterpretAsFloats().fma(dv, a1);
            a3 = io.lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0).reinterpretAsFloats().fma(dv, a3);
            c0 = je.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0).reinterpretAsFloats().fma(dv, c0);
            c2 = je.lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0).reinterpretAsFloats().fma(dv, c2);
            c1 = jo.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0).reinterpretAsFloats().fma(dv, c1);
            c3 = jo.lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0).reinterpretAsFloats().fma(dv, c3);
        }
        a0.intoArray(tmp, 0); a1.intoArray(tmp, 16); a2.intoArray(tmp, 32); a3.intoArray(tmp, 48);
        c0.intoArray(tmp, 64); c1.intoArray(tmp, 80); c2.intoArray(tmp, 96); c3.intoArray(tmp, 112);
        scatterInt8(tmp, acc, scale, add);
    }

    /**
     * acc[r] (+)= scale·t for the 128 rows of two groups, where tmp holds the sums as the int8 kernels leave them:
     * per group, rows 4i + j at j·16 + i.
     */
    private static void scatterInt8(float[] tmp, float[] acc, float scale, boolean add) {
        for (int h = 0; h < 2; h++) {
            for (int i = 0; i < 16; i++) {
                for (int j = 0; j < 4; j++) {
                    int r = h * GROUP + 4 * i + j;
                    float t = tmp[h * GROUP + j * 16 + i];
                    acc[r] = add ? Math.fma(t, scale, acc[r]) : t * scale;
                }
            }
        }
    }
}
