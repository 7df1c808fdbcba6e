package dev.e8q.codec.kernel;

import dev.e8q.codec.Parallel;
import java.util.Arrays;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The int8-activation variant of {@link E8Kernel}'s 512-bit group kernels (opt-in, see
 * {@link E8Kernel#multiplyInt8}): u is rounded to int8 with one float scale per 32 columns (absmax, as ggml's
 * Q8_0 activations), and the decoded int8 weights are multiplied and summed in 16-bit integers, so the float
 * side costs one widen, one multiply and one add per 32 weights instead of a widen, a convert and an FMA per
 * 16. Four E8 blocks (32 columns) share one scale and one int16 sum: over all 65,536 E8P codewords Σ_k |4c_k| ≤ 42
 * (over the 256 E81B codewords Σ_k |2g_k| ≤ 8) and |q| ≤ 127, so a sum over four blocks stays within ±21,336
 * ({@code E8KernelInt8Test.int16SumsOverOneScaleCannotOverflow}). The codes are decoded exactly as in
 * {@link E8Kernel}; only the activations are rounded.
 *
 * <p>The decode phase repeats {@link E8Kernel}'s pair kernels, and the E8P and E81B kernels here repeat their int16
 * phase, on purpose. Measured at 4096×4096 on 1 thread (same process, exact kernel as control): a shared decode
 * helper is not inlined into these loops and cost 10–15 %, and one method for both stages (E81B when sg is null)
 * cost the 3-bit kernel about 10 %.
 */
final class E8KernelA8 {
    /** Columns per activation scale (four E8 blocks, as ggml's Q8_0). */
    static final int QBLOCK = 32;
    /** E8 blocks per activation scale, summed in one int16 sum. */
    static final int SPAN = QBLOCK / 8;
    private static final int GROUP = E8Kernel.GROUP;
    private static final VectorSpecies<Byte> B64 = ByteVector.SPECIES_512;
    private static final VectorSpecies<Byte> B32 = ByteVector.SPECIES_256;
    private static final VectorSpecies<Short> S32 = ShortVector.SPECIES_512;
    private static final VectorSpecies<Float> F16 = FloatVector.SPECIES_512;
    /** Float lanes for {@link #quantize}, and bytes of as many lanes (null: the machine's vectors are too short). */
    private static final VectorSpecies<Float> QF = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Byte> QB = QF.length() >= 8 && QBLOCK % QF.length() == 0
            ? VectorSpecies.of(byte.class, VectorShape.forBitSize(8 * QF.length())) : null;

    private E8KernelA8() {}

    /**
     * q[i] = round(u[uOff + i] / d[i / 32]) with d = max|u| / 127 over each 32 columns, rounded to nearest, ties to
     * even. A NaN or infinite activation makes its scale NaN or infinite, so it reaches the result instead of being
     * rounded away; such a block, and an all-zero one, gets q = 0.
     */
    static void quantize(float[] u, int uOff, int cols, byte[] q, float[] d) {
        for (int j = 0, o = 0; o < cols; j++, o += QBLOCK) {
            int e = Math.min(cols, o + QBLOCK);
            boolean full = e - o == QBLOCK && QB != null;
            float m;
            if (full) {
                FloatVector a = FloatVector.fromArray(QF, u, uOff + o).abs();
                for (int h = QF.length(); h < QBLOCK; h += QF.length()) a = FloatVector.fromArray(QF, u, uOff + o + h).abs().max(a); // fresh receiver: see E8KernelLut
                m = a.reduceLanes(VectorOperators.MAX);
            } else {
                m = 0;
                for (int i = o; i < e; i++) m = Math.max(m, Math.abs(u[uOff + i]));
            }
            d[j] = m / 127f;
            if (m == 0 || !Float.isFinite(m)) {
                Arrays.fill(q, o, e, (byte) 0);
                continue;
            }
            float inv = 127f / m;
            if (full) {
                // |u·inv| ≤ 127 (up to a rounding of inv): adding 1.5·2^23 leaves the rounded integer in the low
                // mantissa bits, so the float bits minus those of 1.5·2^23 are the int8 value
                for (int h = 0; h < QBLOCK; h += QF.length()) {
                    IntVector k = FloatVector.fromArray(QF, u, uOff + o + h).mul(inv).add(ROUND_MAGIC)
                            .reinterpretAsInts().sub(ROUND_MAGIC_BITS);
                    ((ByteVector) k.convertShape(VectorOperators.I2B, QB, 0)).intoArray(q, o + h);
                }
            } else {
                for (int i = o; i < e; i++) q[i] = (byte) (Float.floatToRawIntBits(u[uOff + i] * inv + ROUND_MAGIC) - ROUND_MAGIC_BITS);
            }
        }
    }

    /** 1.5·2^23: x + ROUND_MAGIC rounds x (|x| < 2^22) to an integer, to nearest and ties to even. */
    private static final float ROUND_MAGIC = 12582912f;
    private static final int ROUND_MAGIC_BITS = Float.floatToRawIntBits(ROUND_MAGIC);

    /**
     * The batch columns u[uOff + j·uStride ..] as {@link #quantize} rounds them, back in float:
     * out[j·cols + i] = q[i]·d[i / 32]. Columns are split over {@link Parallel}.
     */
    static float[] round(float[] u, int uOff, int uStride, int cols, int batch) {
        float[] out = new float[Math.multiplyExact(batch, cols)];
        Parallel.forRange(batch, 1, (j0, j1) -> {
            byte[] q = new byte[cols];
            float[] d = new float[(cols + QBLOCK - 1) / QBLOCK];
            for (int j = j0; j < j1; j++) {
                quantize(u, uOff + j * uStride, cols, q, d);
                for (int i = 0; i < cols; i++) out[j * cols + i] = q[i] * d[i / QBLOCK];
            }
        });
        return out;
    }

    /**
     * E8P stage of groups gA and gB (gB may equal gA; its sums then duplicate gA's): stores (or, when add,
     * adds) scale·Σ_j d_j·Σ_{k in the four blocks of scale j} w·q into acc[0..64) for gA and acc[64..128) for gB.
     */
    static void pairE8P(byte[] ab, byte[] sg, int gA, int gB, int nb, byte[] q, float[] d, float[] acc,
                        byte[] scratch, float scale, boolean add) {
        byte[] tab = E8Kernel.TAB_E8P, bits = E8Kernel.SIGN_BITS;
        FloatVector a0 = FloatVector.zero(F16), a1 = FloatVector.zero(F16), a2 = FloatVector.zero(F16), a3 = FloatVector.zero(F16);
        FloatVector b0 = FloatVector.zero(F16), b1 = FloatVector.zero(F16), b2 = FloatVector.zero(F16), b3 = FloatVector.zero(F16);
        ByteVector one = ByteVector.broadcast(B64, (byte) 1);
        int baseA = gA * nb * GROUP, baseB = gB * nb * GROUP;
        for (int bp = 0; bp < nb; bp += SPAN) {
            ShortVector s0 = ShortVector.zero(S32), s1 = ShortVector.zero(S32), s2 = ShortVector.zero(S32), s3 = ShortVector.zero(S32);
            int bEnd = Math.min(bp + SPAN, nb);
            for (int b = bp; b < bEnd; b++) {
                int offA = baseA + b * GROUP, offB = baseB + b * GROUP;
                ByteVector a = ByteVector.fromArray(B64, ab, offA), c = ByteVector.fromArray(B64, ab, offB);
                ByteVector sa = ByteVector.fromArray(B64, sg, offA), sc = ByteVector.fromArray(B64, sg, offB);
                VectorMask<Byte> hiA = a.lt((byte) 0), hiC = c.lt((byte) 0);
                ByteVector pa = sa.lanewise(VectorOperators.BIT_COUNT).and((byte) 1), pc = sc.lanewise(VectorOperators.BIT_COUNT).and((byte) 1);
                ByteVector xa = sa.lanewise(VectorOperators.XOR, pa), xc = sc.lanewise(VectorOperators.XOR, pc);
                ByteVector shA = one.sub(pa.add(pa)), shC = one.sub(pc.add(pc));
                for (int k = 0; k < 8; k++) {
                    int tb = k * 256;
                    ByteVector t0 = ByteVector.fromArray(B64, tab, tb), t1 = ByteVector.fromArray(B64, tab, tb + 64);
                    ByteVector t2 = ByteVector.fromArray(B64, tab, tb + 128), t3 = ByteVector.fromArray(B64, tab, tb + 192);
                    ByteVector bit = ByteVector.fromArray(B64, bits, k * 64);
                    ByteVector ta = a.selectFrom(t0, t1).blend(a.selectFrom(t2, t3), hiA);
                    ByteVector tc = c.selectFrom(t0, t1).blend(c.selectFrom(t2, t3), hiC);
                    ta.lanewise(VectorOperators.NEG, xa.and(bit).compare(VectorOperators.NE, (byte) 0)).add(shA).intoArray(scratch, k * 2 * GROUP);
                    tc.lanewise(VectorOperators.NEG, xc.and(bit).compare(VectorOperators.NE, (byte) 0)).add(shC).intoArray(scratch, k * 2 * GROUP + GROUP);
                }
                int ub = b * 8;
                for (int k = 0; k < 8; k++) {
                    ShortVector qk = ShortVector.broadcast(S32, (short) q[ub + k]);
                    int o = k * 2 * GROUP;
                    s0 = ((ShortVector) ByteVector.fromArray(B32, scratch, o).convertShape(VectorOperators.B2S, S32, 0)).mul(qk).add(s0);
                    s1 = ((ShortVector) ByteVector.fromArray(B32, scratch, o + 32).convertShape(VectorOperators.B2S, S32, 0)).mul(qk).add(s1);
                    s2 = ((ShortVector) ByteVector.fromArray(B32, scratch, o + 64).convertShape(VectorOperators.B2S, S32, 0)).mul(qk).add(s2);
                    s3 = ((ShortVector) ByteVector.fromArray(B32, scratch, o + 96).convertShape(VectorOperators.B2S, S32, 0)).mul(qk).add(s3);
                }
            }
            FloatVector dv = FloatVector.broadcast(F16, d[bp / SPAN]);
            a0 = ((FloatVector) s0.convertShape(VectorOperators.S2F, F16, 0)).fma(dv, a0);
            a1 = ((FloatVector) s0.convertShape(VectorOperators.S2F, F16, 1)).fma(dv, a1);
            a2 = ((FloatVector) s1.convertShape(VectorOperators.S2F, F16, 0)).fma(dv, a2);
            a3 = ((FloatVector) s1.convertShape(VectorOperators.S2F, F16, 1)).fma(dv, a3);
            b0 = ((FloatVector) s2.convertShape(VectorOperators.S2F, F16, 0)).fma(dv, b0);
            b1 = ((FloatVector) s2.convertShape(VectorOperators.S2F, F16, 1)).fma(dv, b1);
            b2 = ((FloatVector) s3.convertShape(VectorOperators.S2F, F16, 0)).fma(dv, b2);
            b3 = ((FloatVector) s3.convertShape(VectorOperators.S2F, F16, 1)).fma(dv, b3);
        }
        FloatVector sc = FloatVector.broadcast(F16, scale);
        if (add) {
            a0 = sc.fma(a0, FloatVector.fromArray(F16, acc, 0));
            a1 = sc.fma(a1, FloatVector.fromArray(F16, acc, 16));
            a2 = sc.fma(a2, FloatVector.fromArray(F16, acc, 32));
            a3 = sc.fma(a3, FloatVector.fromArray(F16, acc, 48));
            b0 = sc.fma(b0, FloatVector.fromArray(F16, acc, 64));
            b1 = sc.fma(b1, FloatVector.fromArray(F16, acc, 80));
            b2 = sc.fma(b2, FloatVector.fromArray(F16, acc, 96));
            b3 = sc.fma(b3, FloatVector.fromArray(F16, acc, 112));
        } else {
            a0 = sc.mul(a0); a1 = sc.mul(a1); a2 = sc.mul(a2); a3 = sc.mul(a3);
            b0 = sc.mul(b0); b1 = sc.mul(b1); b2 = sc.mul(b2); b3 = sc.mul(b3);
        }
        a0.intoArray(acc, 0); a1.intoArray(acc, 16); a2.intoArray(acc, 32); a3.intoArray(acc, 48);
        b0.intoArray(acc, 64); b1.intoArray(acc, 80); b2.intoArray(acc, 96); b3.intoArray(acc, 112);
    }

    /** As {@link #pairE8P} for the E81B stage of 3-bit codes (one byte per code), always adding. */
    static void pairE81B(byte[] ab, int gA, int gB, int nb, byte[] q, float[] d, float[] acc, byte[] scratch, float scale) {
        byte[] tab = E8Kernel.TAB_E81B;
        FloatVector a0 = FloatVector.zero(F16), a1 = FloatVector.zero(F16), a2 = FloatVector.zero(F16), a3 = FloatVector.zero(F16);
        FloatVector b0 = FloatVector.zero(F16), b1 = FloatVector.zero(F16), b2 = FloatVector.zero(F16), b3 = FloatVector.zero(F16);
        int baseA = gA * nb * GROUP, baseB = gB * nb * GROUP;
        for (int bp = 0; bp < nb; bp += SPAN) {
            ShortVector s0 = ShortVector.zero(S32), s1 = ShortVector.zero(S32), s2 = ShortVector.zero(S32), s3 = ShortVector.zero(S32);
            int bEnd = Math.min(bp + SPAN, nb);
            for (int b = bp; b < bEnd; b++) {
                ByteVector a = ByteVector.fromArray(B64, ab, baseA + b * GROUP), c = ByteVector.fromArray(B64, ab, baseB + b * GROUP);
                VectorMask<Byte> hiA = a.lt((byte) 0), hiC = c.lt((byte) 0);
                for (int k = 0; k < 8; k++) {
                    int tb = k * 256;
                    ByteVector t0 = ByteVector.fromArray(B64, tab, tb), t1 = ByteVector.fromArray(B64, tab, tb + 64);
                    ByteVector t2 = ByteVector.fromArray(B64, tab, tb + 128), t3 = ByteVector.fromArray(B64, tab, tb + 192);
                    a.selectFrom(t0, t1).blend(a.selectFrom(t2, t3), hiA).intoArray(scratch, k * 2 * GROUP);
                    c.selectFrom(t0, t1).blend(c.selectFrom(t2, t3), hiC).intoArray(scratch, k * 2 * GROUP + GROUP);
                }
                int ub = b * 8;
                for (int k = 0; k < 8; k++) {
                    ShortVector qk = ShortVector.broadcast(S32, (short) q[ub + k]);
                    int o = k * 2 * GROUP;
                    s0 = ((ShortVector) ByteVector.fromArray(B32, scratch, o).convertShape(VectorOperators.B2S, S32, 0)).mul(qk).add(s0);
                    s1 = ((ShortVector) ByteVector.fromArray(B32, scratch, o + 32).convertShape(VectorOperators.B2S, S32, 0)).mul(qk).add(s1);
                    s2 = ((ShortVector) ByteVector.fromArray(B32, scratch, o + 64).convertShape(VectorOperators.B2S, S32, 0)).mul(qk).add(s2);
                    s3 = ((ShortVector) ByteVector.fromArray(B32, scratch, o + 96).convertShape(VectorOperators.B2S, S32, 0)).mul(qk).add(s3);
                }
            }
            FloatVector dv = FloatVector.broadcast(F16, d[bp / SPAN]);
            a0 = ((FloatVector) s0.convertShape(VectorOperators.S2F, F16, 0)).fma(dv, a0);
            a1 = ((FloatVector) s0.convertShape(VectorOperators.S2F, F16, 1)).fma(dv, a1);
            a2 = ((FloatVector) s1.convertShape(VectorOperators.S2F, F16, 0)).fma(dv, a2);
            a3 = ((FloatVector) s1.convertShape(VectorOperators.S2F, F16, 1)).fma(dv, a3);
            b0 = ((FloatVector) s2.convertShape(VectorOperators.S2F, F16, 0)).fma(dv, b0);
            b1 = ((FloatVector) s2.convertShape(VectorOperators.S2F, F16, 1)).fma(dv, b1);
            b2 = ((FloatVector) s3.convertShape(VectorOperators.S2F, F16, 0)).fma(dv, b2);
            b3 = ((FloatVector) s3.convertShape(VectorOperators.S2F, F16, 1)).fma(dv, b3);
        }
        FloatVector sc = FloatVector.broadcast(F16, scale);
        a0.fma(sc, FloatVector.fromArray(F16, acc, 0)).intoArray(acc, 0);
        a1.fma(sc, FloatVector.fromArray(F16, acc, 16)).intoArray(acc, 16);
        a2.fma(sc, FloatVector.fromArray(F16, acc, 32)).intoArray(acc, 32);
        a3.fma(sc, FloatVector.fromArray(F16, acc, 48)).intoArray(acc, 48);
        b0.fma(sc, FloatVector.fromArray(F16, acc, 64)).intoArray(acc, 64);
        b1.fma(sc, FloatVector.fromArray(F16, acc, 80)).intoArray(acc, 80);
        b2.fma(sc, FloatVector.fromArray(F16, acc, 96)).intoArray(acc, 96);
        b3.fma(sc, FloatVector.fromArray(F16, acc, 112)).intoArray(acc, 112);
    }
}
