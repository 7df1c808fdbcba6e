package dev.e8q.codec.kernel;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.util.SplittableRandom;

/**
 * A layout that was measured and not kept: every row's four pair-index bytes stored ready-made (4 bytes per 8 weights,
 * twice the 2-bit codes), so that {@link E8KernelLut#pairE8P}'s loop keeps only its loads, shifts, lookups and adds.
 * Times that loop ({@link #predecoded}) against the real one on random codes, 1 thread, and checks that both give the
 * same sums bit for bit. It lives in the kernel's package for the package-private tables, and in the bench module
 * because nothing in the runtime uses it (docs/kernels.md, "A pre-decoded layout").
 *
 * <pre>java -Xmx8g --add-modules jdk.incubator.vector -cp bench/target-bench/benchmarks.jar
 *     dev.e8q.codec.kernel.PredecodedProbe rows cols iterations</pre>
 */
public final class PredecodedProbe {
    static final VectorSpecies<Byte> B64 = ByteVector.SPECIES_512;
    static final VectorSpecies<Integer> I16 = IntVector.SPECIES_512;
    static final VectorSpecies<Float> F16 = FloatVector.SPECIES_512;
    static final int GROUP = E8Kernel.GROUP, SPAN = E8KernelLut.SHIFT_SPAN;

    /** idx[((g·nb + b)·4 + q)·16 + i]: pair q's index ints; sh[(g·spans + c)·16 + i]: the span's shift index ints. */
    static void predecode(byte[] ab, byte[] sg, int groups, int nb, int[] idx, int[] sh) {
        int spans = (nb + SPAN - 1) / SPAN;
        byte[] TA = E8KernelLut.TA, TB = E8KernelLut.TB;
        for (int g = 0; g < groups; g++) {
            ByteVector pa = ByteVector.zero(B64);
            for (int b = 0, span = 0; b < nb; b++) {
                int off = (g * nb + b) * GROUP;
                ByteVector xa = ByteVector.fromArray(B64, ab, off), sa = ByteVector.fromArray(B64, sg, off);
                VectorMask<Byte> hiA = xa.lt((byte) 0);
                ByteVector na = sa.lanewise(VectorOperators.BIT_COUNT).and((byte) 1);
                pa = pa.add(pa).or(na);
                IntVector ya = sa.lanewise(VectorOperators.XOR, na).reinterpretAsInts();
                IntVector ta = xa.selectFrom(ByteVector.fromArray(B64, TA, 0), ByteVector.fromArray(B64, TA, 64))
                        .blend(xa.selectFrom(ByteVector.fromArray(B64, TA, 128), ByteVector.fromArray(B64, TA, 192)), hiA).reinterpretAsInts();
                IntVector ua = xa.selectFrom(ByteVector.fromArray(B64, TB, 0), ByteVector.fromArray(B64, TB, 64))
                        .blend(xa.selectFrom(ByteVector.fromArray(B64, TB, 128), ByteVector.fromArray(B64, TB, 192)), hiA).reinterpretAsInts();
                IntVector[] v = {
                    ta.lanewise(VectorOperators.XOR, ya.and(0x03030303)),
                    ta.lanewise(VectorOperators.LSHR, 3).lanewise(VectorOperators.BITWISE_BLEND, ya.lanewise(VectorOperators.LSHR, 2), 0x03030303),
                    ua.lanewise(VectorOperators.LSHR, 3).lanewise(VectorOperators.BITWISE_BLEND, ya.lanewise(VectorOperators.LSHR, 4), 0x03030303),
                    ua.lanewise(VectorOperators.XOR, ya.lanewise(VectorOperators.LSHR, 6).and(0x03030303))};
                for (int q = 0; q < 4; q++) v[q].and(0x1F1F1F1F).intoArray(idx, ((g * nb + b) * 4 + q) * 16);
                if (b % SPAN == SPAN - 1 || b == nb - 1) {
                    pa.reinterpretAsInts().intoArray(sh, (g * spans + span++) * 16);
                    pa = ByteVector.zero(B64);
                }
            }
        }
    }

    static void predecoded(int[] idx, int[] sh, int gA, int gB, int nb, int[] tab, int[] shiftTab, float quarterU,
                     float[] acc, float[] tmp, float scale) {
        FloatVector a0 = FloatVector.zero(F16), a1 = FloatVector.zero(F16), a2 = FloatVector.zero(F16), a3 = FloatVector.zero(F16);
        FloatVector c0 = FloatVector.zero(F16), c1 = FloatVector.zero(F16), c2 = FloatVector.zero(F16), c3 = FloatVector.zero(F16);
        int spans = (nb + SPAN - 1) / SPAN;
        int baseA = gA * nb * 64, baseB = gB * nb * 64;
        for (int b = 0, span = 0; b < nb; b++) {
            for (int q = 0; q < 4; q++) {
                IntVector va = IntVector.fromArray(I16, idx, baseA + (b * 4 + q) * 16), vc = IntVector.fromArray(I16, idx, baseB + (b * 4 + q) * 16);
                int o = (b * 4 + q) * 32;
                IntVector lo = IntVector.fromArray(I16, tab, o), hi = IntVector.fromArray(I16, tab, o + 16);
                a0 = a0.add(va.selectFrom(lo, hi).reinterpretAsFloats());
                a1 = a1.add(va.lanewise(VectorOperators.LSHR, 8).selectFrom(lo, hi).reinterpretAsFloats());
                a2 = a2.add(va.lanewise(VectorOperators.LSHR, 16).selectFrom(lo, hi).reinterpretAsFloats());
                a3 = a3.add(va.lanewise(VectorOperators.LSHR, 24).selectFrom(lo, hi).reinterpretAsFloats());
                c0 = c0.add(vc.selectFrom(lo, hi).reinterpretAsFloats());
                c1 = c1.add(vc.lanewise(VectorOperators.LSHR, 8).selectFrom(lo, hi).reinterpretAsFloats());
                c2 = c2.add(vc.lanewise(VectorOperators.LSHR, 16).selectFrom(lo, hi).reinterpretAsFloats());
                c3 = c3.add(vc.lanewise(VectorOperators.LSHR, 24).selectFrom(lo, hi).reinterpretAsFloats());
            }
            if (b % SPAN != SPAN - 1 && b != nb - 1) continue;
            int o = span * 32;
            IntVector lo = IntVector.fromArray(I16, shiftTab, o), hi = IntVector.fromArray(I16, shiftTab, o + 16);
            IntVector va = IntVector.fromArray(I16, sh, (gA * spans + span) * 16), vc = IntVector.fromArray(I16, sh, (gB * spans + span) * 16);
            span++;
            a0 = a0.add(va.selectFrom(lo, hi).reinterpretAsFloats());
            a1 = a1.add(va.lanewise(VectorOperators.LSHR, 8).selectFrom(lo, hi).reinterpretAsFloats());
            a2 = a2.add(va.lanewise(VectorOperators.LSHR, 16).selectFrom(lo, hi).reinterpretAsFloats());
            a3 = a3.add(va.lanewise(VectorOperators.LSHR, 24).selectFrom(lo, hi).reinterpretAsFloats());
            c0 = c0.add(vc.selectFrom(lo, hi).reinterpretAsFloats());
            c1 = c1.add(vc.lanewise(VectorOperators.LSHR, 8).selectFrom(lo, hi).reinterpretAsFloats());
            c2 = c2.add(vc.lanewise(VectorOperators.LSHR, 16).selectFrom(lo, hi).reinterpretAsFloats());
            c3 = c3.add(vc.lanewise(VectorOperators.LSHR, 24).selectFrom(lo, hi).reinterpretAsFloats());
        }
        a0.intoArray(tmp, 0); a1.intoArray(tmp, 16); a2.intoArray(tmp, 32); a3.intoArray(tmp, 48);
        c0.intoArray(tmp, 64); c1.intoArray(tmp, 80); c2.intoArray(tmp, 96); c3.intoArray(tmp, 112);
        for (int h = 0; h < 2; h++)
            for (int i = 0; i < 16; i++)
                for (int j = 0; j < 4; j++) {
                    int r = h * GROUP + 4 * i + j;
                    acc[r] = scale * (tmp[h * GROUP + j * 16 + i] + quarterU);
                }
    }

    public static void main(String[] a) {
        if (a.length != 3) {
            System.err.println("usage: PredecodedProbe rows cols iterations   (rows a multiple of 128, cols of 8)");
            System.exit(2);
        }
        int rows = Integer.parseInt(a[0]), cols = Integer.parseInt(a[1]), iters = Integer.parseInt(a[2]);
        if (rows <= 0 || rows % 128 != 0 || cols <= 0 || cols % 8 != 0 || iters <= 0) {
            System.err.println("PredecodedProbe: rows must be a positive multiple of 128 and cols of 8, got " + rows + "x" + cols);
            System.exit(2);
        }
        int nb = cols / 8, groups = rows / GROUP, spans = (nb + SPAN - 1) / SPAN;
        SplittableRandom r = new SplittableRandom(1);
        byte[] ab = new byte[groups * nb * GROUP], sg = new byte[ab.length];
        for (int i = 0; i < ab.length; i++) { ab[i] = (byte) r.nextInt(256); sg[i] = (byte) r.nextInt(256); }
        float[] u = new float[cols];
        for (int i = 0; i < cols; i++) u[i] = (float) (r.nextDouble() * 4 - 2);
        int[] tab = new int[E8KernelLut.tableInts(nb)], st = new int[E8KernelLut.shiftTableInts(nb)];
        int[] idx = new int[groups * nb * 64], sh = new int[groups * spans * 16];
        predecode(ab, sg, groups, nb, idx, sh);
        float[] z1 = new float[rows], z2 = new float[rows], acc = new float[128], tmp = new float[128];
        for (int it = 0; it < 3; it++) {
            long best1 = Long.MAX_VALUE, best2 = Long.MAX_VALUE;
            for (int k = 0; k < iters; k++) {
                long t0 = System.nanoTime();
                float qu = 0.25f * E8KernelLut.tables(u, 0, nb, tab, st);
                for (int g = 0; g < groups; g += 2) {
                    E8KernelLut.pairE8P(ab, sg, g, g + 1, nb, tab, st, qu, acc, tmp, 1f, false);
                    System.arraycopy(acc, 0, z1, g * 64, 128);
                }
                long t1 = System.nanoTime();
                qu = 0.25f * E8KernelLut.tables(u, 0, nb, tab, st);
                for (int g = 0; g < groups; g += 2) {
                    predecoded(idx, sh, g, g + 1, nb, tab, st, qu, acc, tmp, 1f);
                    System.arraycopy(acc, 0, z2, g * 64, 128);
                }
                long t2 = System.nanoTime();
                best1 = Math.min(best1, t1 - t0);
                best2 = Math.min(best2, t2 - t1);
            }
            boolean same = java.util.Arrays.equals(z1, z2);
            System.out.printf("%dx%d round %d: 16-bit codes %.1f us, pre-decoded %.1f us, ratio %.3f, identical sums %b%n", rows, cols, it,
                    best1 / 1e3, best2 / 1e3, (double) best1 / best2, same);
        }
    }
}
