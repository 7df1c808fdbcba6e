package dev.e8q.bench.baseline;

import dev.e8q.codec.Parallel;
import dev.e8q.codec.kernel.Species;
import dev.e8q.llama.model.DType;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;

class BaselineKernelsTest {

    static float[] gaussian(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (r.nextDouble() * 2 - 1 + (r.nextInt(50) == 0 ? 8 * (r.nextDouble() - .5) : 0));
        return a;
    }

    static MatVec build(String fmt, float[] w, int rows, int cols) {
        return switch (fmt) {
            case "FP32" -> DenseLinearMatVec.f32(w, rows, cols);
            case "BF16" -> {
                short[] h = new short[w.length];
                for (int i = 0; i < w.length; i++) h[i] = DType.toBf16(w[i]);
                yield DenseLinearMatVec.half(h, rows, cols, DType.BF16);
            }
            case "F16" -> {
                short[] h = new short[w.length];
                for (int i = 0; i < w.length; i++) h[i] = Float.floatToFloat16(w[i]);
                yield DenseLinearMatVec.half(h, rows, cols, DType.F16);
            }
            case "Q8_0" -> GgmlBlocks.Q8_0.quantize(w, rows, cols);
            case "Q4_0" -> GgmlBlocks.Q4_0.quantize(w, rows, cols);
            default -> throw new IllegalArgumentException(fmt);
        };
    }

    /** Scalar reference: decode each row, dot in double. */
    static double[] reference(MatVec m, float[] x, int xOff) {
        double[] y = new double[m.rows()];
        float[] row = new float[m.cols()];
        for (int r = 0; r < m.rows(); r++) {
            m.decodeRow(r, row);
            double s = 0;
            for (int c = 0; c < m.cols(); c++) s += (double) row[c] * x[xOff + c];
            y[r] = s;
        }
        return y;
    }

    static void check(MatVec m, float[] x, int batch) {
        int rows = m.rows(), cols = m.cols();
        float[] y = new float[batch * rows];
        if (batch == 1) m.matvec(x, y);
        else m.matmul(x, y, batch);
        for (int b = 0; b < batch; b++) {
            double[] ref = reference(m, x, b * cols);
            for (int r = 0; r < rows; r++) {
                double tol = 1e-4 * (1 + Math.sqrt(cols)) * 4;
                assertEquals(ref[r], y[b * rows + r], tol, () -> m.format() + " " + rows + "x" + cols + " batch " + batch);
            }
        }
    }

    @Test
    void kernelsEqualScalarReferenceOnRandomShapes() {
        for (String fmt : new String[] {"FP32", "BF16", "F16", "Q8_0", "Q4_0"}) {
            qt().withExamples(12).forAll(integers().between(1, 40), integers().between(1, 24), integers().between(1, 9))
                    .checkAssert((rows, blocks, batch) -> {
                        int cols = blocks * 32 + (fmt.startsWith("Q") ? 0 : (rows % 7)); // dense: odd tails too
                        float[] w = gaussian(rows * cols, rows * 31L + cols);
                        float[] x = gaussian(batch * cols, batch * 7L + cols);
                        MatVec m = build(fmt, w, rows, cols);
                        check(m, x, 1);
                        check(m, x, batch);
                    });
        }
    }

    /** Rows long enough for the four-row matrix-vector kernels, with row counts that leave tails. */
    @Test
    void longRowsEqualScalarReference() {
        for (String fmt : new String[] {"Q8_0", "Q4_0"}) {
            int from = Math.max(1, (GgmlBlocks.Q8_0.FOUR_ROWS_FROM + 31) / 32);
            qt().withExamples(6).forAll(integers().between(1, 11), integers().between(from, from + 3)).checkAssert((rows, blocks) -> {
                int cols = blocks * 32;
                MatVec m = build(fmt, gaussian(rows * cols, rows * 17L + cols), rows, cols);
                check(m, gaussian(cols, cols), 1);
            });
        }
    }

    @Test
    void multiThreadedEqualsSingleThreaded() {
        int rows = 300, cols = 512;
        float[] w = gaussian(rows * cols, 1), x = gaussian(5 * cols, 2);
        for (String fmt : new String[] {"FP32", "BF16", "F16", "Q8_0", "Q4_0"}) {
            MatVec m = build(fmt, w, rows, cols);
            check(m, x, 1);
            check(m, x, 4);
            check(m, x, 5);
        }
        assertTrue(Parallel.threads() >= 1);
    }

    @Test
    void q4_0NibbleLayoutMatchesGgml() {
        // one block: weights 0..15 in the low nibbles, 16..31 in the high nibbles, value (q-8)*d
        float[] w = new float[32];
        for (int j = 0; j < 32; j++) w[j] = j - 16; // max magnitude -16 → d = 2, q = w/2 + 8
        GgmlBlocks.Q4_0 q = GgmlBlocks.Q4_0.quantize(w, 1, 32);
        byte[] d = q.data();
        assertEquals(18, d.length);
        assertEquals(2f, Float.float16ToFloat((short) ((d[0] & 0xff) | (d[1] << 8))));
        for (int j = 0; j < 16; j++) {
            int lo = d[2 + j] & 15, hi = (d[2 + j] & 0xff) >>> 4;
            assertEquals(Math.min(15, (int) (w[j] / 2 + 8.5f)), lo, "low nibble " + j);
            assertEquals(Math.min(15, (int) (w[j + 16] / 2 + 8.5f)), hi, "high nibble " + j);
        }
        float[] back = new float[32];
        q.decodeRow(0, back);
        assertEquals(-16f, back[0]);
        assertEquals(14f, back[31]); // 15 clamps: (15-8)*2
    }

    @Test
    void q8_0RoundTripErrorIsHalfAStep() {
        float[] w = gaussian(64 * 256, 5);
        GgmlBlocks.Q8_0 q = GgmlBlocks.Q8_0.quantize(w, 64, 256);
        assertEquals(64L * 8 * 34, q.weightBytes());
        float[] row = new float[256];
        for (int r = 0; r < 64; r++) {
            q.decodeRow(r, row);
            for (int b = 0; b < 8; b++) {
                float amax = 0;
                for (int j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(w[r * 256 + b * 32 + j]));
                float d = amax / 127;
                for (int j = 0; j < 32; j++)
                    assertTrue(Math.abs(row[b * 32 + j] - w[r * 256 + b * 32 + j]) <= d * 0.57f + 1e-6f); // half a step + fp16 rounding of d (≤ 127·2^-11·d)
            }
        }
    }

    @Test
    void q4_0ErrorIsBoundedByOneStep() {
        float[] w = gaussian(16 * 256, 6);
        GgmlBlocks.Q4_0 q = GgmlBlocks.Q4_0.quantize(w, 16, 256);
        float[] row = new float[256];
        for (int r = 0; r < 16; r++) {
            q.decodeRow(r, row);
            for (int b = 0; b < 8; b++) {
                float amax = 0;
                for (int j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(w[r * 256 + b * 32 + j]));
                float d = amax / 8;
                for (int j = 0; j < 32; j++)
                    assertTrue(Math.abs(row[b * 32 + j] - w[r * 256 + b * 32 + j]) <= d * 1.01f + 1e-6f);
            }
        }
    }

    /**
     * Every finite 16-bit pattern, widened by the matrix-vector kernels (one-hot inputs over rows of one vector),
     * equals the bench's reference decode, which uses the scalar conversions.
     */
    @Test
    void halfWideningMatchesScalarConversion() {
        int cols = Species.LANES, rows = 65536 / cols;
        for (DType t : new DType[] {DType.F16, DType.BF16}) {
            short[] h = new short[65536];
            for (int i = 0; i < 65536; i++) {
                int e = t == DType.F16 ? i >>> 10 & 31 : i >>> 7 & 255;
                h[i] = e == (t == DType.F16 ? 31 : 255) ? 0 : (short) i; // 0·inf would be NaN in the sums
            }
            MatVec m = DenseLinearMatVec.half(h, rows, cols, t);
            float[] row = new float[cols], y = new float[rows];
            for (int k = 0; k < cols; k++) {
                float[] x = new float[cols];
                x[k] = 1f;
                m.matvec(x, y);
                for (int r = 0; r < rows; r++) {
                    m.decodeRow(r, row);
                    assertEquals(Float.floatToRawIntBits(row[k] + 0f), Float.floatToRawIntBits(y[r]), t + " pattern 0x" + Integer.toHexString(r * cols + k));
                }
            }
        }
    }
}
