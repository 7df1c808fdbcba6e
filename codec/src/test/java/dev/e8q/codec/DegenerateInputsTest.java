package dev.e8q.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.ejml.data.DMatrixRMaj;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Numbers that are not numbers, and matrices that say nothing (issue #8): the encoder either gives a
 * finite matrix (documented fallback) or a clear IllegalArgumentException, never NaN. NaN/∞ weights and
 * NaN Hessian entries are rejected by name in {@link BadInputTest}; here are the degenerate but legal cases.
 */
class DegenerateInputsTest {
    private static final int ROWS = 32, COLS = 64;

    private static void assertFinite(E8Matrix q, String what) {
        for (float v : q.su()) assertTrue(Float.isFinite(v), what + ": SU " + v);
        for (float v : q.sv()) assertTrue(Float.isFinite(v), what + ": SV " + v);
        float[] d = q.decodeRowMajor();
        for (int i = 0; i < d.length; i++) assertTrue(Float.isFinite(d[i]), what + ": decoded (" + i / q.cols() + ", " + i % q.cols() + ") = " + d[i]);
        float[] x = new float[q.cols()], y = new float[q.rows()];
        java.util.Arrays.fill(x, 1f);
        q.multiply(x, y);
        for (float v : y) assertTrue(Float.isFinite(v), what + ": W·1 has " + v);
    }

    private static float[] zeroRowAndColumn() {
        float[] w = E8CodecTest.gaussian(ROWS * COLS, 3);
        for (int c = 0; c < COLS; c++) w[5 * COLS + c] = 0;  // row 5: an output nobody uses
        for (int r = 0; r < ROWS; r++) w[r * COLS + 9] = 0;  // column 9: a dead input feature
        return w;
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3, 4})
    void zeroRowsAndColumnsStayFiniteAndNearZero(int bits) {
        float[] w = zeroRowAndColumn();
        EncodeResult plain = E8Codec.encoder().bits(bits).encodeWithReport(w, ROWS, COLS);
        assertFinite(plain.matrix(), "no Hessian");
        EncodeResult withH = E8Codec.encoder().bits(bits).hessian(E8CodecTest.ar1(COLS, 0.6)).encodeWithReport(w, ROWS, COLS);
        assertFinite(withH.matrix(), "AR(1) Hessian");
        assertTrue(Double.isFinite(withH.proxyLoss()), "proxy loss " + withH.proxyLoss());
        // The zero row is reconstructed small relative to the other rows (the codes see it through the RHT).
        float[] d = plain.matrix().decodeRowMajor();
        double zeroRow = 0, all = 0;
        for (int c = 0; c < COLS; c++) zeroRow += d[5 * COLS + c] * d[5 * COLS + c];
        for (float v : d) all += v * v;
        assertTrue(zeroRow < 3 * all / ROWS, "zero row energy " + zeroRow + " vs mean row " + all / ROWS);
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 4})
    void singularHessiansAreDampedNotNaN(int bits) {
        float[] w = zeroRowAndColumn();
        // Rank one: all calibration inputs were multiples of one vector x.
        DMatrixRMaj rank1 = new DMatrixRMaj(COLS, COLS);
        float[] x = E8CodecTest.gaussian(COLS, 9);
        for (int i = 0; i < COLS; i++)
            for (int j = 0; j < COLS; j++) rank1.set(i, j, (double) x[i] * x[j]);
        // A dead input feature: its row and column of H are zero (the layer never saw it non-zero).
        DMatrixRMaj dead = E8CodecTest.ar1(COLS, 0.5);
        for (int k = 0; k < COLS; k++) {
            dead.set(9, k, 0);
            dead.set(k, 9, 0);
        }
        // Half the features dead: rank COLS/2.
        DMatrixRMaj half = E8CodecTest.ar1(COLS, 0.3);
        for (int i = 0; i < COLS; i += 2)
            for (int k = 0; k < COLS; k++) {
                half.set(i, k, 0);
                half.set(k, i, 0);
            }
        for (DMatrixRMaj h : new DMatrixRMaj[] {rank1, dead, half}) {
            EncodeResult r = E8Codec.encoder().bits(bits).hessian(h).encodeWithReport(w, ROWS, COLS);
            assertFinite(r.matrix(), "singular Hessian");
            assertTrue(Double.isFinite(r.proxyLoss()) && r.proxyLoss() >= 0, "proxy loss " + r.proxyLoss());
            assertTrue(r.damping() > 0, "damping " + r.damping());
        }
    }

    @ParameterizedTest
    @ValueSource(floats = {1e-41f, 1e-38f, 1e-30f, 1e30f, 1e36f})
    void extremeButFiniteMagnitudesStayFinite(float magnitude) {
        float[] w = E8CodecTest.gaussian(ROWS * COLS, 4);
        for (int i = 0; i < w.length; i++) w[i] *= magnitude;
        E8Matrix q = E8Codec.encoder().bits(2).encode(w, ROWS, COLS);
        assertFinite(q, "weights of magnitude " + magnitude);
        // Relative error as for unit weights (scale-free codec); not measured for subnormals, whose own precision is gone.
        if (magnitude >= 1e-30f) {
            double err = 0, ref = 0;
            float[] d = q.decodeRowMajor();
            for (int i = 0; i < w.length; i++) {
                err += Math.pow((double) d[i] - w[i], 2);
                ref += Math.pow(w[i], 2);
            }
            assertTrue(err / ref < 0.2, "relative error " + err / ref + " at magnitude " + magnitude);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void allZeroMatrixWithSingularHessianDecodesToZero(int bits) {
        E8Matrix q = E8Codec.encoder().bits(bits).hessian(new DMatrixRMaj(COLS, COLS) {{
            set(0, 0, 1);
        }}).encode(new float[ROWS * COLS], ROWS, COLS);
        for (float v : q.decodeRowMajor()) assertEquals(0.0, Math.abs(v));
    }

    @org.junit.jupiter.api.Test
    void nonFiniteInputsAreRejectedByName() {
        float[] w = E8CodecTest.gaussian(ROWS * COLS, 5);
        w[3 * COLS + 7] = Float.NEGATIVE_INFINITY;
        var e = assertThrows(IllegalArgumentException.class, () -> E8Codec.encode(w, ROWS, COLS, 2));
        assertTrue(e.getMessage().contains("(3, 7)") && e.getMessage().contains("Infinity"), e.getMessage());
        DMatrixRMaj h = E8CodecTest.ar1(COLS, 0.5);
        h.set(2, 2, Double.POSITIVE_INFINITY);
        float[] ok = E8CodecTest.gaussian(ROWS * COLS, 5);
        e = assertThrows(IllegalArgumentException.class, () -> E8Codec.encoder().hessian(h).encode(ok, ROWS, COLS));
        assertTrue(e.getMessage().contains("non-finite"), e.getMessage());
        assertFalse(e.getMessage().isEmpty());
    }
}
