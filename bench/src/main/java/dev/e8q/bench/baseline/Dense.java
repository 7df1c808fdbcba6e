package dev.e8q.bench.baseline;

import dev.e8q.codec.Parallel;
import dev.e8q.codec.kernel.Species;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Dense FP32 / BF16 / F16 weights with Vector API kernels. These are the bench's own baselines; the
 * runtime's {@code DenseLinear} is measured instead when it is on the class path (see KernelReport).
 */
public abstract class Dense implements MatVec {
    static final VectorSpecies<Float> F = Species.F;
    static final VectorSpecies<Short> S = Species.S;
    static final VectorSpecies<Integer> I = Species.I;
    static final int L = Species.LANES;
    /** Rows per parallel chunk (at least). */
    static final int GRAIN = 16;

    final int rows, cols;

    Dense(int rows, int cols) {
        this.rows = rows;
        this.cols = cols;
    }

    @Override public int rows() { return rows; }
    @Override public int cols() { return cols; }

    /** Dot product of row r with x. */
    abstract float dot(int r, float[] x, int xOff);

    /** Four dot products of row r with x0..x3 (batched kernels share the weight decode). */
    abstract void dot4(int r, float[] x, int x0, int x1, int x2, int x3, float[] y, int y0, int yStride);

    @Override
    public void matvec(float[] x, float[] y) {
        Parallel.forRange(rows, GRAIN, (from, to) -> {
            for (int r = from; r < to; r++) y[r] = dot(r, x, 0);
        });
    }

    @Override
    public void matmul(float[] x, float[] y, int batch) {
        Parallel.forRange(rows, GRAIN, (from, to) -> {
            for (int r = from; r < to; r++) {
                int b = 0;
                for (; b + 4 <= batch; b += 4)
                    dot4(r, x, b * cols, (b + 1) * cols, (b + 2) * cols, (b + 3) * cols, y, b * rows + r, rows);
                for (; b < batch; b++) y[b * rows + r] = dot(r, x, b * cols);
            }
        });
    }

    // ---------------------------------------------------------------------------------------------
    public static final class F32 extends Dense {
        final float[] w;

        public F32(int rows, int cols, float[] w) {
            super(rows, cols);
            if ((long) rows * cols > w.length) throw new IllegalArgumentException("need " + rows + "x" + cols + " floats, got " + w.length);
            this.w = w;
        }

        @Override public String format() { return "FP32"; }
        @Override public long weightBytes() { return 4L * rows * cols; }

        @Override
        public void decodeRow(int r, float[] out) {
            System.arraycopy(w, r * cols, out, 0, cols);
        }

        @Override
        float dot(int r, float[] x, int xOff) {
            int base = r * cols, i = 0;
            FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), a2 = FloatVector.zero(F), a3 = FloatVector.zero(F);
            for (; i + 4 * L <= cols; i += 4 * L) {
                a0 = FloatVector.fromArray(F, w, base + i).fma(FloatVector.fromArray(F, x, xOff + i), a0);
                a1 = FloatVector.fromArray(F, w, base + i + L).fma(FloatVector.fromArray(F, x, xOff + i + L), a1);
                a2 = FloatVector.fromArray(F, w, base + i + 2 * L).fma(FloatVector.fromArray(F, x, xOff + i + 2 * L), a2);
                a3 = FloatVector.fromArray(F, w, base + i + 3 * L).fma(FloatVector.fromArray(F, x, xOff + i + 3 * L), a3);
            }
            for (; i + L <= cols; i += L)
                a0 = FloatVector.fromArray(F, w, base + i).fma(FloatVector.fromArray(F, x, xOff + i), a0);
            float s = a0.add(a1).add(a2.add(a3)).reduceLanes(VectorOperators.ADD);
            for (; i < cols; i++) s += w[base + i] * x[xOff + i];
            return s;
        }

        @Override
        void dot4(int r, float[] x, int x0, int x1, int x2, int x3, float[] y, int y0, int ys) {
            int base = r * cols, i = 0;
            FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), a2 = FloatVector.zero(F), a3 = FloatVector.zero(F);
            for (; i + L <= cols; i += L) {
                FloatVector wv = FloatVector.fromArray(F, w, base + i);
                a0 = wv.fma(FloatVector.fromArray(F, x, x0 + i), a0);
                a1 = wv.fma(FloatVector.fromArray(F, x, x1 + i), a1);
                a2 = wv.fma(FloatVector.fromArray(F, x, x2 + i), a2);
                a3 = wv.fma(FloatVector.fromArray(F, x, x3 + i), a3);
            }
            float s0 = a0.reduceLanes(VectorOperators.ADD), s1 = a1.reduceLanes(VectorOperators.ADD);
            float s2 = a2.reduceLanes(VectorOperators.ADD), s3 = a3.reduceLanes(VectorOperators.ADD);
            for (; i < cols; i++) {
                float wi = w[base + i];
                s0 += wi * x[x0 + i]; s1 += wi * x[x1 + i]; s2 += wi * x[x2 + i]; s3 += wi * x[x3 + i];
            }
            y[y0] = s0; y[y0 + ys] = s1; y[y0 + 2 * ys] = s2; y[y0 + 3 * ys] = s3;
        }
    }

    // ---------------------------------------------------------------------------------------------
    /** 16-bit floats (BF16 or IEEE half) stored as shorts; subclasses say how to widen them. */
    abstract static sealed class Half extends Dense permits BF16, F16 {
        final short[] w;

        Half(int rows, int cols, short[] w) {
            super(rows, cols);
            if ((long) rows * cols > w.length) throw new IllegalArgumentException("need " + rows + "x" + cols + " halves, got " + w.length);
            this.w = w;
        }

        @Override public long weightBytes() { return 2L * rows * cols; }

        abstract FloatVector widen(int off);

        abstract float widen1(short h);

        @Override
        public void decodeRow(int r, float[] out) {
            for (int i = 0; i < cols; i++) out[i] = widen1(w[r * cols + i]);
        }

        @Override
        float dot(int r, float[] x, int xOff) {
            int base = r * cols, i = 0;
            FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F);
            for (; i + 2 * L <= cols; i += 2 * L) {
                a0 = widen(base + i).fma(FloatVector.fromArray(F, x, xOff + i), a0);
                a1 = widen(base + i + L).fma(FloatVector.fromArray(F, x, xOff + i + L), a1);
            }
            for (; i + L <= cols; i += L) a0 = widen(base + i).fma(FloatVector.fromArray(F, x, xOff + i), a0);
            float s = a0.add(a1).reduceLanes(VectorOperators.ADD);
            for (; i < cols; i++) s += widen1(w[base + i]) * x[xOff + i];
            return s;
        }

        @Override
        void dot4(int r, float[] x, int x0, int x1, int x2, int x3, float[] y, int y0, int ys) {
            int base = r * cols, i = 0;
            FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), a2 = FloatVector.zero(F), a3 = FloatVector.zero(F);
            for (; i + L <= cols; i += L) {
                FloatVector wv = widen(base + i);
                a0 = wv.fma(FloatVector.fromArray(F, x, x0 + i), a0);
                a1 = wv.fma(FloatVector.fromArray(F, x, x1 + i), a1);
                a2 = wv.fma(FloatVector.fromArray(F, x, x2 + i), a2);
                a3 = wv.fma(FloatVector.fromArray(F, x, x3 + i), a3);
            }
            float s0 = a0.reduceLanes(VectorOperators.ADD), s1 = a1.reduceLanes(VectorOperators.ADD);
            float s2 = a2.reduceLanes(VectorOperators.ADD), s3 = a3.reduceLanes(VectorOperators.ADD);
            for (; i < cols; i++) {
                float wi = widen1(w[base + i]);
                s0 += wi * x[x0 + i]; s1 += wi * x[x1 + i]; s2 += wi * x[x2 + i]; s3 += wi * x[x3 + i];
            }
            y[y0] = s0; y[y0 + ys] = s1; y[y0 + 2 * ys] = s2; y[y0 + 3 * ys] = s3;
        }
    }

    /** bfloat16: the top 16 bits of an IEEE float. */
    public static final class BF16 extends Half {
        public BF16(int rows, int cols, short[] w) { super(rows, cols, w); }

        public static short fromFloat(float f) {
            int b = Float.floatToRawIntBits(f);
            if (Float.isNaN(f)) return (short) 0x7fc0;
            return (short) ((b + 0x7fff + ((b >>> 16) & 1)) >>> 16); // round to nearest even
        }

        @Override public String format() { return "BF16"; }

        @Override
        FloatVector widen(int off) {
            return ((IntVector) ShortVector.fromArray(S, w, off).convertShape(VectorOperators.S2I, I, 0))
                    .lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
        }

        @Override
        float widen1(short h) {
            return Float.intBitsToFloat(h << 16);
        }
    }

    /** IEEE binary16. The vector path handles normal and subnormal halves (weights are never Inf/NaN). */
    public static final class F16 extends Half {
        private static final float TWO_POW_112 = 0x1p112f;

        public F16(int rows, int cols, short[] w) { super(rows, cols, w); }

        @Override public String format() { return "F16"; }

        @Override
        FloatVector widen(int off) {
            IntVector h = (IntVector) ShortVector.fromArray(S, w, off).convertShape(VectorOperators.S2I, I, 0);
            FloatVector mag = h.and(0x7fff).lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats().mul(TWO_POW_112);
            return mag.reinterpretAsInts().or(h.and(0x80000000)).reinterpretAsFloats();
        }

        @Override
        float widen1(short h) {
            return Float.float16ToFloat(h);
        }
    }
}
