package dev.e8q.bench.baseline;

import dev.e8q.codec.Parallel;
import dev.e8q.codec.kernel.Species;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * llama.cpp's Q8_0 and Q4_0 block formats: 32 weights per block, an fp16 scale d first.
 * <ul>
 * <li>Q8_0 (34 bytes): d, then 32 int8 q; w = q·d.</li>
 * <li>Q4_0 (18 bytes): d, then 16 bytes of nibbles; byte j holds weight j in its low nibble and weight
 * j+16 in its high nibble; w = (q − 8)·d.</li>
 * </ul>
 * Blocks of a row follow each other and rows follow each other, as in a GGUF tensor. The kernels keep the
 * activations in float (as the fastest Java engines do) and widen the int8 / nibble weights in registers.
 */
public abstract class GgmlBlocks implements MatVec {
    public static final int QK = 32;
    static final VectorSpecies<Float> F = Species.F;
    static final VectorSpecies<Byte> B16 = ByteVector.SPECIES_128;
    static final int L = Species.LANES;
    /** How many float vectors one 16-byte group widens into (1 with 512-bit vectors, 2 with 256). */
    static final int PARTS = 16 / L;
    static final VarHandle SHORT_LE = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);
    static final int GRAIN = 16;

    final int rows, cols, blocksPerRow, blockBytes;
    final byte[] data;

    GgmlBlocks(int rows, int cols, int blockBytes, byte[] data) {
        if (cols % QK != 0) throw new IllegalArgumentException("cols must be a multiple of 32, got " + cols);
        this.rows = rows;
        this.cols = cols;
        this.blocksPerRow = cols / QK;
        this.blockBytes = blockBytes;
        long need = (long) rows * blocksPerRow * blockBytes;
        if (need > data.length) throw new IllegalArgumentException("need " + need + " bytes for " + rows + "x" + cols + ", got " + data.length);
        this.data = data;
    }

    @Override public int rows() { return rows; }
    @Override public int cols() { return cols; }
    @Override public long weightBytes() { return (long) rows * blocksPerRow * blockBytes; }

    public byte[] data() { return data; }

    final float scale(int off) {
        return Float.float16ToFloat((short) SHORT_LE.get(data, off));
    }

    static void putScale(byte[] data, int off, float d) {
        SHORT_LE.set(data, off, Float.floatToFloat16(d));
    }

    abstract float dot(int r, float[] x, int xOff);

    /** Block-by-block dot of row r with four vectors at once (decode shared). */
    abstract void dot4(int r, float[] x, int x0, int x1, int x2, int x3, float[] y, int y0, int ys);

    /** Rows per step of {@link #matvec}: 1, or 4 for a format with a four-row kernel ({@link #rows4}). */
    int rowsPerStep() {
        return 1;
    }

    /** y[r + k] = row (r + k)'s dot product with x[0..cols), k = 0..3; run when {@link #rowsPerStep} is 4. */
    void rows4(int r, float[] x, float[] y) {
        for (int k = 0; k < 4; k++) y[r + k] = dot(r + k, x, 0);
    }

    @Override
    public void matvec(float[] x, float[] y) {
        if (x.length < cols || y.length < rows) throw new IllegalArgumentException("x or y too short");
        int k = rowsPerStep();
        Parallel.forRange((rows + k - 1) / k, Math.max(1, GRAIN / k), (from, to) -> {
            int r = k * from, end = Math.min(rows, k * to);
            for (; k == 4 && r + 4 <= end; r += 4) rows4(r, x, y);
            for (; r < end; r++) y[r] = dot(r, x, 0);
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

    // =============================================================================================
    public static final class Q8_0 extends GgmlBlocks {
        public static final int BLOCK_BYTES = 2 + QK;
        /** Rows of at least this many columns take four rows per step; {@code -De8q.q8.fourRowsFrom=n} moves it. */
        static final int FOUR_ROWS_FROM = Math.max(1, Integer.getInteger("e8q.q8.fourRowsFrom", 4096));

        public Q8_0(int rows, int cols, byte[] data) {
            super(rows, cols, BLOCK_BYTES, data);
        }

        @Override public String format() { return "Q8_0"; }

        /** ggml's quantize_row_q8_0 rule: d = max|w|/127, q = round(w/d). */
        public static Q8_0 quantize(float[] w, int rows, int cols) {
            if (cols % QK != 0) throw new IllegalArgumentException("cols must be a multiple of 32, got " + cols);
            int bpr = cols / QK;
            byte[] out = new byte[Math.multiplyExact(rows * bpr, BLOCK_BYTES)];
            Parallel.forRange(rows, 64, (from, to) -> {
                for (int r = from; r < to; r++) {
                    for (int b = 0; b < bpr; b++) {
                        int src = r * cols + b * QK, dst = (r * bpr + b) * BLOCK_BYTES;
                        float amax = 0;
                        for (int j = 0; j < QK; j++) amax = Math.max(amax, Math.abs(w[src + j]));
                        float d = amax / 127f, id = d != 0 ? 1f / d : 0f;
                        putScale(out, dst, d);
                        for (int j = 0; j < QK; j++) {
                            float v = w[src + j] * id; // roundf: half away from zero
                            out[dst + 2 + j] = (byte) (v >= 0 ? (int) (v + 0.5f) : -(int) (-v + 0.5f));
                        }
                    }
                }
            });
            return new Q8_0(rows, cols, out);
        }

        @Override
        public void decodeRow(int r, float[] out) {
            for (int b = 0; b < blocksPerRow; b++) {
                int off = (r * blocksPerRow + b) * BLOCK_BYTES;
                float d = scale(off);
                for (int j = 0; j < QK; j++) out[b * QK + j] = data[off + 2 + j] * d;
            }
        }

        @Override
        float dot(int r, float[] x, int xOff) {
            // Σ q_j x_j per block is written out here: a helper returning a FloatVector is boxed whenever C2 does not
            // inline it (NodeCountInliningCutoff, or "callee is too large" in an early compile), which made these
            // baselines 4-5× slower in some JVMs. Two blocks per iteration: two independent accumulator chains.
            FloatVector acc0 = FloatVector.zero(F), acc1 = FloatVector.zero(F);
            int off = r * blocksPerRow * BLOCK_BYTES;
            int b = 0;
            for (; b + 2 <= blocksPerRow; b += 2, off += 2 * BLOCK_BYTES) {
                int xi = xOff + b * QK;
                FloatVector s0 = FloatVector.zero(F), s1 = FloatVector.zero(F);
                for (int p = 0; p < QK / L; p++) {
                    int qo = p * L & ~15, part = p % PARTS;
                    s0 = ((FloatVector) ByteVector.fromArray(B16, data, off + 2 + qo).convertShape(VectorOperators.B2F, F, part))
                            .fma(FloatVector.fromArray(F, x, xi + p * L), s0);
                    s1 = ((FloatVector) ByteVector.fromArray(B16, data, off + BLOCK_BYTES + 2 + qo).convertShape(VectorOperators.B2F, F, part))
                            .fma(FloatVector.fromArray(F, x, xi + QK + p * L), s1);
                }
                acc0 = s0.fma(FloatVector.broadcast(F, scale(off)), acc0);
                acc1 = s1.fma(FloatVector.broadcast(F, scale(off + BLOCK_BYTES)), acc1);
            }
            for (; b < blocksPerRow; b++, off += BLOCK_BYTES) {
                int xi = xOff + b * QK;
                FloatVector s0 = FloatVector.zero(F);
                for (int p = 0; p < QK / L; p++)
                    s0 = ((FloatVector) ByteVector.fromArray(B16, data, off + 2 + (p * L & ~15)).convertShape(VectorOperators.B2F, F, p % PARTS))
                            .fma(FloatVector.fromArray(F, x, xi + p * L), s0);
                acc0 = s0.fma(FloatVector.broadcast(F, scale(off)), acc0);
            }
            return acc0.add(acc1).reduceLanes(VectorOperators.ADD);
        }

        /**
         * Four rows per load of x from {@link #FOUR_ROWS_FROM} columns, as DenseLinear takes eight from the same row
         * length: one row at a time, every weight vector needs its own load of x, and once x outgrows L1 (11008
         * columns) those loads from L2 slowed this kernel by 1.5x. Shorter rows stay one at a time, for the
         * prefetcher's sake.
         */
        @Override
        int rowsPerStep() {
            return cols >= FOUR_ROWS_FROM ? 4 : 1;
        }

        @Override
        void rows4(int r, float[] x, float[] y) {
            FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
            int stride = blocksPerRow * BLOCK_BYTES, off = r * stride;
            for (int b = 0; b < blocksPerRow; b++, off += BLOCK_BYTES) {
                FloatVector s0 = FloatVector.zero(F), s1 = s0, s2 = s0, s3 = s0;
                for (int p = 0; p < QK / L; p++) {
                    FloatVector v = FloatVector.fromArray(F, x, b * QK + p * L);
                    int qo = off + 2 + (p * L & ~15), part = p % PARTS;
                    s0 = ((FloatVector) ByteVector.fromArray(B16, data, qo).convertShape(VectorOperators.B2F, F, part)).fma(v, s0);
                    s1 = ((FloatVector) ByteVector.fromArray(B16, data, qo + stride).convertShape(VectorOperators.B2F, F, part)).fma(v, s1);
                    s2 = ((FloatVector) ByteVector.fromArray(B16, data, qo + 2 * stride).convertShape(VectorOperators.B2F, F, part)).fma(v, s2);
                    s3 = ((FloatVector) ByteVector.fromArray(B16, data, qo + 3 * stride).convertShape(VectorOperators.B2F, F, part)).fma(v, s3);
                }
                a0 = s0.fma(FloatVector.broadcast(F, scale(off)), a0);
                a1 = s1.fma(FloatVector.broadcast(F, scale(off + stride)), a1);
                a2 = s2.fma(FloatVector.broadcast(F, scale(off + 2 * stride)), a2);
                a3 = s3.fma(FloatVector.broadcast(F, scale(off + 3 * stride)), a3);
            }
            y[r] = a0.reduceLanes(VectorOperators.ADD);
            y[r + 1] = a1.reduceLanes(VectorOperators.ADD);
            y[r + 2] = a2.reduceLanes(VectorOperators.ADD);
            y[r + 3] = a3.reduceLanes(VectorOperators.ADD);
        }

        @Override
        void dot4(int r, float[] x, int x0, int x1, int x2, int x3, float[] y, int y0, int ys) {
            FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), a2 = FloatVector.zero(F), a3 = FloatVector.zero(F);
            int off = r * blocksPerRow * BLOCK_BYTES;
            for (int b = 0; b < blocksPerRow; b++, off += BLOCK_BYTES) {
                FloatVector d = FloatVector.broadcast(F, scale(off));
                int xi = b * QK;
                for (int p = 0; p < QK / L; p++) {
                    ByteVector q = ByteVector.fromArray(B16, data, off + 2 + (p * L & ~15));
                    FloatVector wv = ((FloatVector) q.convertShape(VectorOperators.B2F, F, p % PARTS)).mul(d);
                    int o = xi + p * L;
                    a0 = wv.fma(FloatVector.fromArray(F, x, x0 + o), a0);
                    a1 = wv.fma(FloatVector.fromArray(F, x, x1 + o), a1);
                    a2 = wv.fma(FloatVector.fromArray(F, x, x2 + o), a2);
                    a3 = wv.fma(FloatVector.fromArray(F, x, x3 + o), a3);
                }
            }
            y[y0] = a0.reduceLanes(VectorOperators.ADD);
            y[y0 + ys] = a1.reduceLanes(VectorOperators.ADD);
            y[y0 + 2 * ys] = a2.reduceLanes(VectorOperators.ADD);
            y[y0 + 3 * ys] = a3.reduceLanes(VectorOperators.ADD);
        }
    }

    // =============================================================================================
    public static final class Q4_0 extends GgmlBlocks {
        public static final int BLOCK_BYTES = 2 + QK / 2;

        public Q4_0(int rows, int cols, byte[] data) {
            super(rows, cols, BLOCK_BYTES, data);
        }

        @Override public String format() { return "Q4_0"; }

        /**
         * ggml's quantize_row_q4_0 rule: m = the weight of largest magnitude (with its sign), d = m / −8,
         * q = min(15, trunc(w/d + 8.5)).
         */
        public static Q4_0 quantize(float[] w, int rows, int cols) {
            if (cols % QK != 0) throw new IllegalArgumentException("cols must be a multiple of 32, got " + cols);
            int bpr = cols / QK;
            byte[] out = new byte[Math.multiplyExact(rows * bpr, BLOCK_BYTES)];
            Parallel.forRange(rows, 64, (from, to) -> {
                for (int r = from; r < to; r++) {
                    for (int b = 0; b < bpr; b++) {
                        int src = r * cols + b * QK, dst = (r * bpr + b) * BLOCK_BYTES;
                        float amax = 0, max = 0;
                        for (int j = 0; j < QK; j++) {
                            float v = w[src + j];
                            if (Math.abs(v) > amax) { amax = Math.abs(v); max = v; }
                        }
                        float d = max / -8f, id = d != 0 ? 1f / d : 0f;
                        putScale(out, dst, d);
                        for (int j = 0; j < QK / 2; j++) {
                            int q0 = Math.min(15, (int) (w[src + j] * id + 8.5f));
                            int q1 = Math.min(15, (int) (w[src + j + 16] * id + 8.5f));
                            out[dst + 2 + j] = (byte) (q0 | (q1 << 4));
                        }
                    }
                }
            });
            return new Q4_0(rows, cols, out);
        }

        @Override
        public void decodeRow(int r, float[] out) {
            for (int b = 0; b < blocksPerRow; b++) {
                int off = (r * blocksPerRow + b) * BLOCK_BYTES;
                float d = scale(off);
                for (int j = 0; j < QK / 2; j++) {
                    int q = data[off + 2 + j] & 0xff;
                    out[b * QK + j] = ((q & 15) - 8) * d;
                    out[b * QK + j + 16] = ((q >>> 4) - 8) * d;
                }
            }
        }

        // matvec stays one row at a time here (rowsPerStep 1): two four-row forms of this kernel (nibbles of four
        // rows unpacked per block, and rows one after the other within a block) and a two-row form (two blocks per
        // step, as dot()) ran 1.3-1.8x slower than dot() at every shape on Zen 4.
        @Override
        float dot(int r, float[] x, int xOff) {
            // Σ q_j x_j per block is written out here, as in Q8_0 (a helper returning a FloatVector gets boxed when
            // C2 does not inline it). Low nibbles are the block's first 16 weights, high nibbles the last 16.
            FloatVector acc0 = FloatVector.zero(F), acc1 = FloatVector.zero(F);
            int off = r * blocksPerRow * BLOCK_BYTES;
            int b = 0;
            for (; b + 2 <= blocksPerRow; b += 2, off += 2 * BLOCK_BYTES) {
                int xi = xOff + b * QK;
                ByteVector q0 = ByteVector.fromArray(B16, data, off + 2), q1 = ByteVector.fromArray(B16, data, off + BLOCK_BYTES + 2);
                ByteVector lo0 = q0.and((byte) 15).sub((byte) 8), hi0 = q0.lanewise(VectorOperators.LSHR, 4).sub((byte) 8);
                ByteVector lo1 = q1.and((byte) 15).sub((byte) 8), hi1 = q1.lanewise(VectorOperators.LSHR, 4).sub((byte) 8);
                FloatVector s0 = FloatVector.zero(F), s1 = FloatVector.zero(F);
                for (int p = 0; p < QK / L; p++) {
                    int part = p % PARTS;
                    boolean high = p * L >= 16;
                    s0 = ((FloatVector) (high ? hi0 : lo0).convertShape(VectorOperators.B2F, F, part)).fma(FloatVector.fromArray(F, x, xi + p * L), s0);
                    s1 = ((FloatVector) (high ? hi1 : lo1).convertShape(VectorOperators.B2F, F, part)).fma(FloatVector.fromArray(F, x, xi + QK + p * L), s1);
                }
                acc0 = s0.fma(FloatVector.broadcast(F, scale(off)), acc0);
                acc1 = s1.fma(FloatVector.broadcast(F, scale(off + BLOCK_BYTES)), acc1);
            }
            for (; b < blocksPerRow; b++, off += BLOCK_BYTES) {
                int xi = xOff + b * QK;
                ByteVector q0 = ByteVector.fromArray(B16, data, off + 2);
                ByteVector lo0 = q0.and((byte) 15).sub((byte) 8), hi0 = q0.lanewise(VectorOperators.LSHR, 4).sub((byte) 8);
                FloatVector s0 = FloatVector.zero(F);
                for (int p = 0; p < QK / L; p++)
                    s0 = ((FloatVector) (p * L >= 16 ? hi0 : lo0).convertShape(VectorOperators.B2F, F, p % PARTS)).fma(FloatVector.fromArray(F, x, xi + p * L), s0);
                acc0 = s0.fma(FloatVector.broadcast(F, scale(off)), acc0);
            }
            return acc0.add(acc1).reduceLanes(VectorOperators.ADD);
        }

        @Override
        void dot4(int r, float[] x, int x0, int x1, int x2, int x3, float[] y, int y0, int ys) {
            FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), a2 = FloatVector.zero(F), a3 = FloatVector.zero(F);
            int off = r * blocksPerRow * BLOCK_BYTES;
            for (int b = 0; b < blocksPerRow; b++, off += BLOCK_BYTES) {
                FloatVector d = FloatVector.broadcast(F, scale(off));
                ByteVector q = ByteVector.fromArray(B16, data, off + 2);
                ByteVector lo = q.and((byte) 15).sub((byte) 8);
                ByteVector hi = q.lanewise(VectorOperators.LSHR, 4).sub((byte) 8);
                int xi = b * QK;
                for (int p = 0; p < QK / L; p++) {
                    ByteVector h = p * L < 16 ? lo : hi;
                    FloatVector wv = ((FloatVector) h.convertShape(VectorOperators.B2F, F, p % PARTS)).mul(d);
                    int o = xi + p * L;
                    a0 = wv.fma(FloatVector.fromArray(F, x, x0 + o), a0);
                    a1 = wv.fma(FloatVector.fromArray(F, x, x1 + o), a1);
                    a2 = wv.fma(FloatVector.fromArray(F, x, x2 + o), a2);
                    a3 = wv.fma(FloatVector.fromArray(F, x, x3 + o), a3);
                }
            }
            y[y0] = a0.reduceLanes(VectorOperators.ADD);
            y[y0 + ys] = a1.reduceLanes(VectorOperators.ADD);
            y[y0 + 2 * ys] = a2.reduceLanes(VectorOperators.ADD);
            y[y0 + 3 * ys] = a3.reduceLanes(VectorOperators.ADD);
        }
    }
}
