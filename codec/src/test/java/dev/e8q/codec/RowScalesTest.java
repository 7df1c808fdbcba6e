package dev.e8q.codec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Per-row scales folded into SV ({@link E8Encoder#rowScaleExponent}). */
class RowScalesTest {
    /** Gaussian rows with norms spread over two orders of magnitude (10^u, u uniform in [−1, 1]). */
    static float[] unevenRows(int rows, int cols, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] w = new float[rows * cols];
        for (int i = 0; i < rows; i++) {
            double s = Math.pow(10, r.nextDouble(-1, 1));
            for (int c = 0; c < cols; c++) w[i * cols + c] = (float) (s * r.nextGaussian());
        }
        return w;
    }

    static double[] rowRelativeErrors(float[] w, float[] d, int rows, int cols) {
        double[] e = new double[rows];
        for (int i = 0; i < rows; i++) {
            double num = 0, den = 0;
            for (int c = 0; c < cols; c++) {
                double diff = d[i * cols + c] - w[i * cols + c];
                num += diff * diff;
                den += (double) w[i * cols + c] * w[i * cols + c];
            }
            e[i] = num / den;
        }
        return e;
    }

    static double totalError(float[] w, float[] d) {
        double s = 0;
        for (int i = 0; i < w.length; i++) s += (d[i] - w[i]) * (double) (d[i] - w[i]);
        return s;
    }

    @Test
    void sqrtScalesLowerTheTotalErrorAndFullScalesEqualizeRowsRelativeErrors() {
        qt().withExamples(6).forAll(integers().between(2, 4), longs().between(1, 1_000_000)).checkAssert((bits, seed) -> {
            int rows = 64, cols = 128;
            float[] w = unevenRows(rows, cols, seed);
            E8Encoder e = E8Codec.encoder().bits(bits).seed(seed);
            float[] plain = e.encode(w, rows, cols).decodeRowMajor();
            float[] half = e.rowScaleExponent(0.5).encode(w, rows, cols).decodeRowMajor();
            float[] full = e.rowScaleExponent(1).encode(w, rows, cols).decodeRowMajor();
            // Cauchy–Schwarz: mean(‖w_i‖)² ≤ mean(‖w_i‖²); with norms this uneven the gain is far beyond rounding noise
            assertTrue(totalError(w, half) < 0.8 * totalError(w, plain),
                    bits + " bits: α=½ total " + totalError(w, half) + " vs α=0 " + totalError(w, plain));
            double[] rp = rowRelativeErrors(w, plain, rows, cols), rf = rowRelativeErrors(w, full, rows, cols);
            assertTrue(spread(rf) < 3, bits + " bits: α=1 rows' relative errors spread " + spread(rf));
            assertTrue(spread(rp) > 20, bits + " bits: α=0 rows' relative errors spread only " + spread(rp));
        });
    }

    static double spread(double[] e) {
        double lo = Double.POSITIVE_INFINITY, hi = 0;
        for (double v : e) {
            lo = Math.min(lo, v);
            hi = Math.max(hi, v);
        }
        return hi / lo;
    }

    @Test
    void scalesLiveInSvAndTheReportMatchesTheDecode() {
        int rows = 48, cols = 64; // 48 rows: padded to 64, padded rows keep scale 1
        float[] w = unevenRows(rows, cols, 3);
        for (int bits = 2; bits <= 4; bits++) {
            EncodeResult r = E8Codec.encoder().bits(bits).seed(9).hessian(E8CodecTest.ar1(cols, 0.5)).rowScaleExponent(1)
                    .encodeWithReport(w, rows, cols);
            E8Matrix m = r.matrix();
            float[] plainSv = E8Codec.encoder().bits(bits).seed(9).encode(w, rows, cols).sv();
            float[] r1 = AxisScales.rows(w, rows, cols, m.paddedRows(), 1);
            for (int i = 0; i < m.paddedRows(); i++) {
                assertEquals(Math.signum(plainSv[i]), Math.signum(m.sv()[i]), "row " + i + ": the sign of SV is the RHT's");
                if (i >= rows) assertEquals(1f, r1[i], "padded row " + i);
            }
            // |SV_i| ∝ r_i: the ratio is one global scale
            double k = Math.abs(m.sv()[0]) / r1[0];
            for (int i = 0; i < rows; i++) assertEquals(k, Math.abs(m.sv()[i]) / r1[i], 1e-5 * k, "row " + i);
            assertEquals(ProxyLoss.relativeError(w, m.decodeRowMajor()), r.relativeError(), 1e-4 * r.relativeError());
            E8Matrix back = E8Matrix.fromCbor(m.toCbor());
            assertArrayEquals(m.decodeRowMajor(), back.decodeRowMajor(), 0f);
        }
    }

    @Test
    void rowScalesAreNormsToThePowerAlphaWithGeometricMeanOne() {
        float[] w = {3, 4, 0, 0, 0, 0, 1, 0}; // norms 5, 0, 0, 1
        float[] r = AxisScales.rows(w, 4, 2, 6, 0.5);
        double gm = Math.sqrt(5); // over the non-zero rows
        assertEquals(Math.sqrt(5 / gm), r[0], 1e-6);
        assertEquals(1f, r[1]); // zero rows keep 1
        assertEquals(1f, r[2]);
        assertEquals(Math.sqrt(1 / gm), r[3], 1e-6);
        assertEquals(1f, r[4]); // padding
        assertArrayEquals(new float[] {1, 1, 1, 1}, AxisScales.rows(w, 4, 2, 4, 0));
        assertThrows(IllegalArgumentException.class, () -> E8Codec.encoder().rowScaleExponent(-0.1));
        assertThrows(IllegalArgumentException.class, () -> E8Codec.encoder().rowScaleExponent(1.5));
        assertThrows(IllegalArgumentException.class, () -> E8Codec.encoder().rowScaleExponent(Double.NaN));
    }
}
