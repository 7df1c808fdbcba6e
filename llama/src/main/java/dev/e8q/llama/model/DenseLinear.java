package dev.e8q.llama.model;

import dev.e8q.codec.Parallel;
import dev.e8q.llama.Linear;
import dev.e8q.simd.Lanes;
import java.util.Objects;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * A dense linear layer y = W x (+ b), W stored row-major as out × in in {@link DType#F32}, {@link DType#BF16}
 * or {@link DType#F16}. 16-bit weights stay 16-bit in memory and are widened to float inside the kernels.
 * Rows are split over {@link Parallel}; the matrix-vector product runs long rows eight per load of x, and the batched
 * product reuses each weight row for four inputs at a time.
 */
public final class DenseLinear implements Linear {
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, VectorShape.forBitSize(F.vectorBitSize()));
    private static final VectorSpecies<Short> S = VectorSpecies.of(short.class, VectorShape.forBitSize(F.vectorBitSize() / 2));
    private static final int L = F.length();
    /** Multiply-adds per parallel chunk, roughly: below this a task costs more than it saves. */
    private static final int WORK_GRAIN = 1 << 15;
    /** Rows per call of the long-row matrix-vector kernels. */
    static final int ROWS = 8;
    /**
     * Rows of at least this many columns take the eight-row kernels; {@code -De8q.dense.eightRowsFrom=n} moves the
     * threshold for A/B runs ({@code bench DenseLoop}: 1 takes eight rows everywhere, a huge n never).
     */
    static final int EIGHT_ROWS_FROM = Math.max(1, Integer.getInteger("e8q.dense.eightRowsFrom", 4096));

    /** The row length from which the matrix-vector product takes eight rows at a time (for reports). */
    public static int eightRowsFrom() {
        return EIGHT_ROWS_FROM;
    }

    private final int in, out;
    private final DType dtype;
    private final float[] wf;
    private final short[] wh;
    private final float[] bias;

    private DenseLinear(int out, int in, DType dtype, float[] wf, short[] wh, float[] bias) {
        this.out = out;
        this.in = in;
        this.dtype = dtype;
        this.wf = wf;
        this.wh = wh;
        this.bias = bias;
    }

    /** W (out × in, row-major) stored as {@code storage}; W is copied only when narrowed to 16 bits. */
    public static DenseLinear of(float[] w, int out, int in, DType storage) {
        return of(w, out, in, storage, null);
    }

    /** As {@link #of(float[], int, int, DType)} with an optional bias of length out (kept in float). */
    public static DenseLinear of(float[] w, int out, int in, DType storage, float[] bias) {
        Objects.requireNonNull(w, "w");
        Objects.requireNonNull(storage, "storage");
        if (out <= 0 || in <= 0) throw new IllegalArgumentException("bad shape " + out + "x" + in);
        if ((long) out * in != w.length) {
            throw new IllegalArgumentException("weight length " + w.length + " != " + out + "x" + in);
        }
        if (bias != null && bias.length != out) {
            throw new IllegalArgumentException("bias length " + bias.length + " != out " + out);
        }
        return switch (storage) {
            case F32 -> new DenseLinear(out, in, storage, w, null, bias);
            case BF16 -> {
                short[] h = new short[w.length];
                for (int i = 0; i < w.length; i++) h[i] = DType.toBf16(w[i]);
                yield new DenseLinear(out, in, storage, null, h, bias);
            }
            case F16 -> {
                short[] h = new short[w.length];
                for (int i = 0; i < w.length; i++) {
                    if (!Float.isFinite(w[i]) || Math.abs(w[i]) >= 65520f) {
                        throw new IllegalArgumentException("weight " + w[i] + " at row " + (i / in) + " col "
                                + (i % in) + " does not fit float16 storage; use bf16 or f32");
                    }
                    h[i] = DType.toF16(w[i]);
                }
                yield new DenseLinear(out, in, storage, null, h, bias);
            }
        };
    }

    /** Wraps 16-bit patterns (bf16 or f16) without copying. */
    public static DenseLinear ofBits(short[] bits, int out, int in, DType storage, float[] bias) {
        if (storage == DType.F32) throw new IllegalArgumentException("ofBits needs BF16 or F16");
        if ((long) out * in != bits.length) {
            throw new IllegalArgumentException("weight length " + bits.length + " != " + out + "x" + in);
        }
        if (bias != null && bias.length != out) throw new IllegalArgumentException("bias length " + bias.length + " != out " + out);
        return new DenseLinear(out, in, storage, null, bits, bias);
    }

    @Override
    public int inFeatures() {
        return in;
    }

    @Override
    public int outFeatures() {
        return out;
    }

    public DType dtype() {
        return dtype;
    }

    /** The bias, or null. Not a copy. */
    public float[] bias() {
        return bias;
    }

    /** The weights widened to float (a copy for 16-bit storage, the backing array for F32). */
    public float[] weights() {
        if (wf != null) return wf;
        float[] w = new float[wh.length];
        for (int i = 0; i < w.length; i++) w[i] = dtype == DType.BF16 ? DType.fromBf16(wh[i]) : DType.fromF16(wh[i]);
        return w;
    }

    @Override
    public long weightBytes() {
        return (long) in * out * dtype.bytes() + (bias == null ? 0 : 4L * out);
    }

    @Override
    public void forward(float[] x, int xOff, float[] y, int yOff) {
        if (xOff < 0 || xOff + in > x.length) throw new IndexOutOfBoundsException("x[" + xOff + "+" + in + "] of " + x.length);
        if (yOff < 0 || yOff + out > y.length) throw new IndexOutOfBoundsException("y[" + yOff + "+" + out + "] of " + y.length);
        // Long rows go eight at a time: one load of x feeds eight rows. One row at a time, x is loaded once per FMA,
        // and once x no longer fits in L1 (8192 columns and more) those loads from L2 halved BF16's speed. Short rows
        // stay one at a time: eight interleaved streams of a few KiB each defeat the prefetcher, and a 32000×768 BF16
        // product from memory ran 2.4x slower eight rows at a time (1.17x slower at 2048 columns, faster from 4096 on;
        // bench DenseLoop, docs/kernels.md).
        int rows = in >= EIGHT_ROWS_FROM ? ROWS : 1;
        int groups = (out + rows - 1) / rows;
        Parallel.forRange(groups, Math.max(1, WORK_GRAIN / (rows * in)), (from, to) -> {
            int r = from * rows, end = Math.min(out, to * rows);
            for (; rows == ROWS && r + ROWS <= end; r += ROWS) {
                int wo = r * in;
                switch (dtype) {
                    case F32 -> dot8F32(wf, wo, x, xOff, in, y, yOff + r);
                    case BF16 -> dot8Bf16(wh, wo, x, xOff, in, y, yOff + r);
                    case F16 -> dot8F16(wh, wo, x, xOff, in, y, yOff + r);
                }
            }
            for (; r < end; r++) {
                int wo = r * in;
                y[yOff + r] = switch (dtype) {
                    case F32 -> dotF32(wf, wo, x, xOff, in);
                    case BF16 -> dotBf16(wh, wo, x, xOff, in);
                    case F16 -> dotF16(wh, wo, x, xOff, in);
                };
            }
            if (bias != null) for (int q = from * rows; q < end; q++) y[yOff + q] += bias[q];
        });
    }

    @Override
    public void forwardBatch(float[] x, float[] y, int batch) {
        if (batch < 0 || (long) batch * in > x.length) throw new IndexOutOfBoundsException("x holds " + x.length + " < " + batch + "x" + in);
        if ((long) batch * out > y.length) throw new IndexOutOfBoundsException("y holds " + y.length + " < " + batch + "x" + out);
        if (batch == 0) return;
        if (batch == 1) {
            forward(x, 0, y, 0);
            return;
        }
        // Rows in blocks small enough to stay in L2 while four input rows at a time stream past them.
        int rowBlock = Math.clamp(16384 / in, 1, 16);
        long workPerRow = (long) in * batch;
        int grain = (int) Math.max(rowBlock, WORK_GRAIN / workPerRow);
        Parallel.forRange(out, grain, (from, to) -> {
            float[] buf = wf != null ? null : new float[rowBlock * in];
            for (int r0 = from; r0 < to; r0 += rowBlock) {
                int r1 = Math.min(to, r0 + rowBlock);
                float[] w;
                int base;
                if (wf != null) {
                    w = wf;
                    base = r0 * in;
                } else {
                    for (int r = r0; r < r1; r++) widen(wh, r * in, buf, (r - r0) * in, in, dtype);
                    w = buf;
                    base = 0;
                }
                int b = 0;
                for (; b + 4 <= batch; b += 4) {
                    int r = r0;
                    for (; r + 2 <= r1; r += 2) dot2x4(w, base + (r - r0) * in, x, b * in, in, y, b * out + r, out);
                    if (r < r1) dot4(w, base + (r - r0) * in, x, b * in, in, y, b * out + r, out);
                }
                for (; b < batch; b++) {
                    for (int r = r0; r < r1; r++) y[b * out + r] = dotF32(w, base + (r - r0) * in, x, b * in, in);
                }
                if (bias != null) {
                    for (int bb = 0; bb < batch; bb++) for (int r = r0; r < r1; r++) y[bb * out + r] += bias[r];
                }
            }
        });
    }

    // ---- kernels ----

    static float dotF32(float[] w, int wo, float[] x, int xo, int n) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        int i = 0;
        for (; i + 4 * L <= n; i += 4 * L) {
            a0 = FloatVector.fromArray(F, w, wo + i).fma(FloatVector.fromArray(F, x, xo + i), a0);
            a1 = FloatVector.fromArray(F, w, wo + i + L).fma(FloatVector.fromArray(F, x, xo + i + L), a1);
            a2 = FloatVector.fromArray(F, w, wo + i + 2 * L).fma(FloatVector.fromArray(F, x, xo + i + 2 * L), a2);
            a3 = FloatVector.fromArray(F, w, wo + i + 3 * L).fma(FloatVector.fromArray(F, x, xo + i + 3 * L), a3);
        }
        for (; i + L <= n; i += L) {
            a0 = FloatVector.fromArray(F, w, wo + i).fma(FloatVector.fromArray(F, x, xo + i), a0);
        }
        float s = Lanes.pairwise(a0.add(a1).add(a2.add(a3)));
        for (; i < n; i++) s += w[wo + i] * x[xo + i];
        return s;
    }

    // The 16-bit widenings below are written out at every use: a helper returning a FloatVector is boxed wherever C2
    // does not inline it, and it does not when the caller's graph has grown past NodeCountInliningCutoff. That made
    // BF16 products 4-5× slower in some JVMs (the bench's BF16 child under ParallelGC), depending on compile timing.
    //   BF16: the half shifted into the high bits of an int is the float.
    //   F16 (finite values): the sign-extended half shifted left by 13 has the sign in bit 31 and exponent and
    //   mantissa in place for a float with bias 127 (bits 28..30 are copies of the sign, cleared by the mask); the
    //   multiply by 2^112 moves the bias from 15 to 127 and keeps the sign. 4 operations per 16 weights, where moving
    //   magnitude and sign separately took 7.

    static float dotBf16(short[] w, int wo, float[] x, int xo, int n) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        int i = 0;
        for (; i + 4 * L <= n; i += 4 * L) {
            IntVector h0 = (IntVector) ShortVector.fromArray(S, w, wo + i).convertShape(VectorOperators.S2I, I, 0);
            IntVector h1 = (IntVector) ShortVector.fromArray(S, w, wo + i + L).convertShape(VectorOperators.S2I, I, 0);
            IntVector h2 = (IntVector) ShortVector.fromArray(S, w, wo + i + 2 * L).convertShape(VectorOperators.S2I, I, 0);
            IntVector h3 = (IntVector) ShortVector.fromArray(S, w, wo + i + 3 * L).convertShape(VectorOperators.S2I, I, 0);
            a0 = h0.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(FloatVector.fromArray(F, x, xo + i), a0);
            a1 = h1.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(FloatVector.fromArray(F, x, xo + i + L), a1);
            a2 = h2.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(FloatVector.fromArray(F, x, xo + i + 2 * L), a2);
            a3 = h3.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(FloatVector.fromArray(F, x, xo + i + 3 * L), a3);
        }
        for (; i + L <= n; i += L) {
            IntVector h = (IntVector) ShortVector.fromArray(S, w, wo + i).convertShape(VectorOperators.S2I, I, 0);
            a0 = h.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(FloatVector.fromArray(F, x, xo + i), a0);
        }
        float s = Lanes.pairwise(a0.add(a1).add(a2.add(a3)));
        for (; i < n; i++) s += DType.fromBf16(w[wo + i]) * x[xo + i];
        return s;
    }

    static float dotF16(short[] w, int wo, float[] x, int xo, int n) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        int i = 0;
        for (; i + 4 * L <= n; i += 4 * L) {
            IntVector h0 = (IntVector) ShortVector.fromArray(S, w, wo + i).convertShape(VectorOperators.S2I, I, 0);
            IntVector h1 = (IntVector) ShortVector.fromArray(S, w, wo + i + L).convertShape(VectorOperators.S2I, I, 0);
            IntVector h2 = (IntVector) ShortVector.fromArray(S, w, wo + i + 2 * L).convertShape(VectorOperators.S2I, I, 0);
            IntVector h3 = (IntVector) ShortVector.fromArray(S, w, wo + i + 3 * L).convertShape(VectorOperators.S2I, I, 0);
            a0 = h0.lanewise(VectorOperators.LSHL, 13).and(0x8FFFE000).reinterpretAsFloats().mul(0x1p112f).fma(FloatVector.fromArray(F, x, xo + i), a0);
            a1 = h1.lanewise(VectorOperators.LSHL, 13).and(0x8FFFE000).reinterpretAsFloats().mul(0x1p112f).fma(FloatVector.fromArray(F, x, xo + i + L), a1);
            a2 = h2.lanewise(VectorOperators.LSHL, 13).and(0x8FFFE000).reinterpretAsFloats().mul(0x1p112f).fma(FloatVector.fromArray(F, x, xo + i + 2 * L), a2);
            a3 = h3.lanewise(VectorOperators.LSHL, 13).and(0x8FFFE000).reinterpretAsFloats().mul(0x1p112f).fma(FloatVector.fromArray(F, x, xo + i + 3 * L), a3);
        }
        for (; i + L <= n; i += L) {
            IntVector h = (IntVector) ShortVector.fromArray(S, w, wo + i).convertShape(VectorOperators.S2I, I, 0);
            a0 = h.lanewise(VectorOperators.LSHL, 13).and(0x8FFFE000).reinterpretAsFloats().mul(0x1p112f).fma(FloatVector.fromArray(F, x, xo + i), a0);
        }
        float s = Lanes.pairwise(a0.add(a1).add(a2.add(a3)));
        for (; i < n; i++) s += DType.fromF16(w[wo + i]) * x[xo + i];
        return s;
    }

    /** y[yo + k] = row k's dot product with x, for the eight rows k = 0..7 that start at w[wo] (stride n). */
    static void dot8F32(float[] w, int wo, float[] x, int xo, int n, float[] y, int yo) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
        int i = 0;
        for (; i + L <= n; i += L) {
            FloatVector v = FloatVector.fromArray(F, x, xo + i);
            a0 = FloatVector.fromArray(F, w, wo + i).fma(v, a0);
            a1 = FloatVector.fromArray(F, w, wo + n + i).fma(v, a1);
            a2 = FloatVector.fromArray(F, w, wo + 2 * n + i).fma(v, a2);
            a3 = FloatVector.fromArray(F, w, wo + 3 * n + i).fma(v, a3);
            a4 = FloatVector.fromArray(F, w, wo + 4 * n + i).fma(v, a4);
            a5 = FloatVector.fromArray(F, w, wo + 5 * n + i).fma(v, a5);
            a6 = FloatVector.fromArray(F, w, wo + 6 * n + i).fma(v, a6);
            a7 = FloatVector.fromArray(F, w, wo + 7 * n + i).fma(v, a7);
        }
        float s0 = Lanes.pairwise(a0), s1 = Lanes.pairwise(a1);
        float s2 = Lanes.pairwise(a2), s3 = Lanes.pairwise(a3);
        float s4 = Lanes.pairwise(a4), s5 = Lanes.pairwise(a5);
        float s6 = Lanes.pairwise(a6), s7 = Lanes.pairwise(a7);
        for (; i < n; i++) {
            float v = x[xo + i];
            s0 += w[wo + i] * v;
            s1 += w[wo + n + i] * v;
            s2 += w[wo + 2 * n + i] * v;
            s3 += w[wo + 3 * n + i] * v;
            s4 += w[wo + 4 * n + i] * v;
            s5 += w[wo + 5 * n + i] * v;
            s6 += w[wo + 6 * n + i] * v;
            s7 += w[wo + 7 * n + i] * v;
        }
        y[yo] = s0;
        y[yo + 1] = s1;
        y[yo + 2] = s2;
        y[yo + 3] = s3;
        y[yo + 4] = s4;
        y[yo + 5] = s5;
        y[yo + 6] = s6;
        y[yo + 7] = s7;
    }

    /** y[yo + k] = row k's dot product with x, for the eight rows k = 0..7 that start at w[wo] (stride n). */
    static void dot8Bf16(short[] w, int wo, float[] x, int xo, int n, float[] y, int yo) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
        int i = 0;
        for (; i + L <= n; i += L) {
            FloatVector v = FloatVector.fromArray(F, x, xo + i);
            a0 = ((IntVector) ShortVector.fromArray(S, w, wo + i).convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(v, a0);
            a1 = ((IntVector) ShortVector.fromArray(S, w, wo + n + i).convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(v, a1);
            a2 = ((IntVector) ShortVector.fromArray(S, w, wo + 2 * n + i).convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(v, a2);
            a3 = ((IntVector) ShortVector.fromArray(S, w, wo + 3 * n + i).convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(v, a3);
            a4 = ((IntVector) ShortVector.fromArray(S, w, wo + 4 * n + i).convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(v, a4);
            a5 = ((IntVector) ShortVector.fromArray(S, w, wo + 5 * n + i).convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(v, a5);
            a6 = ((IntVector) ShortVector.fromArray(S, w, wo + 6 * n + i).convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(v, a6);
            a7 = ((IntVector) ShortVector.fromArray(S, w, wo + 7 * n + i).convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(v, a7);
        }
        float s0 = Lanes.pairwise(a0), s1 = Lanes.pairwise(a1);
        float s2 = Lanes.pairwise(a2), s3 = Lanes.pairwise(a3);
        float s4 = Lanes.pairwise(a4), s5 = Lanes.pairwise(a5);
        float s6 = Lanes.pairwise(a6), s7 = Lanes.pairwise(a7);
        for (; i < n; i++) {
            float v = x[xo + i];
            s0 += DType.fromBf16(w[wo + i]) * v;
            s1 += DType.fromBf16(w[wo + n + i]) * v;
            s2 += DType.fromBf16(w[wo + 2 * n + i]) * v;
            s3 += DType.fromBf16(w[wo + 3 * n + i]) * v;
            s4 += DType.fromBf16(w[wo + 4 * n + i]) * v;
            s5 += DType.fromBf16(w[wo + 5 * n + i]) * v;
            s6 += DType.fromBf16(w[wo + 6 * n + i]) * v;
            s7 += DType.fromBf16(w[wo + 7 * n + i]) * v;
        }
        y[yo] = s0;
        y[yo + 1] = s1;
        y[yo + 2] = s2;
        y[yo + 3] = s3;
        y[yo + 4] = s4;
        y[yo + 5] = s5;
        y[yo + 6] = s6;
        y[yo + 7] = s7;
    }

    /** y[yo + k] = row k's dot product with x, for the eight rows k = 0..7 that start at w[wo] (stride n). */
    static void dot8F16(short[] w, int wo, float[] x, int xo, int n, float[] y, int yo) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
        int i = 0;
        for (; i + L <= n; i += L) {
            FloatVector v = FloatVector.fromArray(F, x, xo + i);
            a0 = ((IntVector) ShortVector.fromArray(S, w, wo + i).convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 13).and(0x8FFFE000).reinterpretAsFloats().mul(0x1p112f).fma(v, a0);
            a1 = ((IntVector) ShortVector.fromArray(S, w, wo + n + i).convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 13).and(0x8FFFE000).reinterpretAsFloats().mul(0x1p112f).fma(v, a1);
            a2 = ((IntVector) ShortVector.fromArray(S, w, wo + 2 * n + i).convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 13).and(0x8FFFE000).reinterpretAsFloats().mul(0x1p112f).fma(v, a2);
            a3 = ((IntVector) ShortVector.fromArray(S, w, wo + 3 * n + i).convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 13).and(0x8FFFE000).reinterpretAsFloats().mul(0x1p112f).fma(v, a3);
            a4 = ((IntVector) ShortVector.fromArray(S, w, wo + 4 * n + i).convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 13).and(0x8FFFE000).reinterpretAsFloats().mul(0x1p112f).fma(v, a4);
            a5 = ((IntVector) ShortVector.fromArray(S, w, wo + 5 * n + i).convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 13).and(0x8FFFE000).reinterpretAsFloats().mul(0x1p112f).fma(v, a5);
            a6 = ((IntVector) ShortVector.fromArray(S, w, wo + 6 * n + i).convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 13).and(0x8FFFE000).reinterpretAsFloats().mul(0x1p112f).fma(v, a6);
            a7 = ((IntVector) ShortVector.fromArray(S, w, wo + 7 * n + i).convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 13).and(0x8FFFE000).reinterpretAsFloats().mul(0x1p112f).fma(v, a7);
        }
        float s0 = Lanes.pairwise(a0), s1 = Lanes.pairwise(a1);
        float s2 = Lanes.pairwise(a2), s3 = Lanes.pairwise(a3);
        float s4 = Lanes.pairwise(a4), s5 = Lanes.pairwise(a5);
        float s6 = Lanes.pairwise(a6), s7 = Lanes.pairwise(a7);
        for (; i < n; i++) {
            float v = x[xo + i];
            s0 += DType.fromF16(w[wo + i]) * v;
            s1 += DType.fromF16(w[wo + n + i]) * v;
            s2 += DType.fromF16(w[wo + 2 * n + i]) * v;
            s3 += DType.fromF16(w[wo + 3 * n + i]) * v;
            s4 += DType.fromF16(w[wo + 4 * n + i]) * v;
            s5 += DType.fromF16(w[wo + 5 * n + i]) * v;
            s6 += DType.fromF16(w[wo + 6 * n + i]) * v;
            s7 += DType.fromF16(w[wo + 7 * n + i]) * v;
        }
        y[yo] = s0;
        y[yo + 1] = s1;
        y[yo + 2] = s2;
        y[yo + 3] = s3;
        y[yo + 4] = s4;
        y[yo + 5] = s5;
        y[yo + 6] = s6;
        y[yo + 7] = s7;
    }

    /** Widens n 16-bit weights to float. */
    static void widen(short[] w, int wo, float[] dst, int dOff, int n, DType t) {
        int i = 0;
        if (t == DType.BF16) {
            for (; i + L <= n; i += L) {
                IntVector h = (IntVector) ShortVector.fromArray(S, w, wo + i).convertShape(VectorOperators.S2I, I, 0);
                h.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().intoArray(dst, dOff + i);
            }
            for (; i < n; i++) dst[dOff + i] = DType.fromBf16(w[wo + i]);
        } else {
            for (; i + L <= n; i += L) {
                IntVector h = (IntVector) ShortVector.fromArray(S, w, wo + i).convertShape(VectorOperators.S2I, I, 0);
                h.lanewise(VectorOperators.LSHL, 13).and(0x8FFFE000).reinterpretAsFloats().mul(0x1p112f).intoArray(dst, dOff + i);
            }
            for (; i < n; i++) dst[dOff + i] = DType.fromF16(w[wo + i]);
        }
    }

    /**
     * Eight dot products: weight rows at wo and wo+n times four consecutive input rows; results at
     * y[yo + k*yStride] (row 0) and y[yo + 1 + k*yStride] (row 1). Six loads feed eight FMAs.
     */
    static void dot2x4(float[] w, int wo, float[] x, int xo, int n, float[] y, int yo, int yStride) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0, c0 = a0, c1 = a0, c2 = a0, c3 = a0;
        int w1 = wo + n, x1 = xo + n, x2 = x1 + n, x3 = x2 + n;
        int i = 0;
        for (; i + L <= n; i += L) {
            FloatVector u = FloatVector.fromArray(F, w, wo + i), v = FloatVector.fromArray(F, w, w1 + i);
            FloatVector p0 = FloatVector.fromArray(F, x, xo + i), p1 = FloatVector.fromArray(F, x, x1 + i);
            FloatVector p2 = FloatVector.fromArray(F, x, x2 + i), p3 = FloatVector.fromArray(F, x, x3 + i);
            a0 = u.fma(p0, a0);
            a1 = u.fma(p1, a1);
            a2 = u.fma(p2, a2);
            a3 = u.fma(p3, a3);
            c0 = v.fma(p0, c0);
            c1 = v.fma(p1, c1);
            c2 = v.fma(p2, c2);
            c3 = v.fma(p3, c3);
        }
        float s0 = Lanes.pairwise(a0), s1 = Lanes.pairwise(a1);
        float s2 = Lanes.pairwise(a2), s3 = Lanes.pairwise(a3);
        float t0 = Lanes.pairwise(c0), t1 = Lanes.pairwise(c1);
        float t2 = Lanes.pairwise(c2), t3 = Lanes.pairwise(c3);
        for (; i < n; i++) {
            float u = w[wo + i], v = w[w1 + i];
            float p0 = x[xo + i], p1 = x[x1 + i], p2 = x[x2 + i], p3 = x[x3 + i];
            s0 += u * p0;
            s1 += u * p1;
            s2 += u * p2;
            s3 += u * p3;
            t0 += v * p0;
            t1 += v * p1;
            t2 += v * p2;
            t3 += v * p3;
        }
        y[yo] = s0;
        y[yo + yStride] = s1;
        y[yo + 2 * yStride] = s2;
        y[yo + 3 * yStride] = s3;
        y[yo + 1] = t0;
        y[yo + 1 + yStride] = t1;
        y[yo + 1 + 2 * yStride] = t2;
        y[yo + 1 + 3 * yStride] = t3;
    }

    /** Four dot products of one weight row with four consecutive input rows; results at y[yo + k*yStride]. */
    static void dot4(float[] w, int wo, float[] x, int xo, int n, float[] y, int yo, int yStride) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        int x1 = xo + n, x2 = x1 + n, x3 = x2 + n;
        int i = 0;
        for (; i + L <= n; i += L) {
            FloatVector wv = FloatVector.fromArray(F, w, wo + i);
            a0 = wv.fma(FloatVector.fromArray(F, x, xo + i), a0);
            a1 = wv.fma(FloatVector.fromArray(F, x, x1 + i), a1);
            a2 = wv.fma(FloatVector.fromArray(F, x, x2 + i), a2);
            a3 = wv.fma(FloatVector.fromArray(F, x, x3 + i), a3);
        }
        float s0 = Lanes.pairwise(a0), s1 = Lanes.pairwise(a1);
        float s2 = Lanes.pairwise(a2), s3 = Lanes.pairwise(a3);
        for (; i < n; i++) {
            float wi = w[wo + i];
            s0 += wi * x[xo + i];
            s1 += wi * x[x1 + i];
            s2 += wi * x[x2 + i];
            s3 += wi * x[x3 + i];
        }
        y[yo] = s0;
        y[yo + yStride] = s1;
        y[yo + 2 * yStride] = s2;
        y[yo + 3 * yStride] = s3;
    }
}
