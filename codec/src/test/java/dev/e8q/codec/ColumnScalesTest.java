package dev.e8q.codec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import java.util.SplittableRandom;
import org.ejml.data.DMatrixRMaj;
import org.junit.jupiter.api.Test;

/** Per-column scales folded into SU ({@link E8Encoder#columnScaleExponent}). */
class ColumnScalesTest {
    /** A diagonal Hessian whose entries spread over three orders of magnitude, like activations with outlier channels. */
    static DMatrixRMaj unevenDiagonal(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        DMatrixRMaj h = new DMatrixRMaj(n, n);
        for (int j = 0; j < n; j++) h.set(j, j, Math.pow(10, r.nextDouble(-1.5, 1.5)));
        return h;
    }

    /**
     * Not a theorem: the Cauchy–Schwarz argument behind β = ½ assumes the codebook's error stays white after the RHT,
     * which BlockLDLQ's feedback breaks; on Gaussian weights with a diagonal H the proxy loss can go either way (2 bits:
     * 0.040 scaled vs 0.037 plain in one draw). What holds is that β = 0 is exactly plain QuIP#.
     */
    @Test
    void zeroExponentIsPlainQuip() {
        qt().withExamples(4).forAll(integers().between(2, 4), longs().between(1, 1_000_000)).checkAssert((bits, seed) -> {
            int rows = 32, cols = 64;
            float[] w = E8CodecTest.gaussian(rows * cols, seed);
            E8Encoder e = E8Codec.encoder().bits(bits).seed(seed).hessian(unevenDiagonal(cols, seed));
            E8Matrix a = e.encode(w, rows, cols), b = e.columnScaleExponent(0).rowScaleExponent(0).encode(w, rows, cols);
            assertArrayEquals(a.qidxs(), b.qidxs());
            assertArrayEquals(a.su(), b.su());
            assertArrayEquals(a.sv(), b.sv());
            for (float v : a.su()) assertEquals(1f, Math.abs(v));
        });
    }

    @Test
    void scalesLiveInSuAndTheReportMatchesTheDecode() {
        int rows = 32, cols = 172; // padded to 192 columns, which keep scale 1
        float[] w = E8CodecTest.gaussian(rows * cols, 4);
        DMatrixRMaj h = unevenDiagonal(cols, 5);
        for (int bits = 2; bits <= 4; bits++) {
            EncodeResult r = E8Codec.encoder().bits(bits).seed(2).hessian(h).columnScaleExponent(0.5).encodeWithReport(w, rows, cols);
            E8Matrix m = r.matrix();
            float[] plainSu = E8Codec.encoder().bits(bits).seed(2).encode(w, rows, cols).su();
            double[] hn = RegularizedHessian.of(h, cols).diagonal();
            float[] c = AxisScales.columns(w, rows, cols, m.paddedCols(), hn, 0.5);
            for (int j = 0; j < m.paddedCols(); j++) {
                assertEquals(plainSu[j] / c[j], m.su()[j], 1e-6 * Math.abs(m.su()[j]), "column " + j);
                if (j >= cols) assertEquals(1f, c[j], "padded column " + j);
            }
            assertEquals(ProxyLoss.relativeError(w, m.decodeRowMajor()), r.relativeError(), 1e-4 * r.relativeError());
        }
        // without a Hessian there is nothing to scale by
        assertArrayEquals(E8Codec.encoder().seed(2).encode(w, rows, cols).su(),
                E8Codec.encoder().seed(2).columnScaleExponent(0.5).encode(w, rows, cols).su());
        assertThrows(IllegalArgumentException.class, () -> E8Codec.encoder().columnScaleExponent(-1));
        assertThrows(IllegalArgumentException.class, () -> E8Codec.encoder().columnScaleExponent(Double.NaN));
    }

    @Test
    void columnScalesFollowTheFormula() {
        // 2 rows × 3 columns: column norms 5, 1, 0; H diagonal 4, 1, 9
        float[] w = {3, 1, 0, 4, 0, 0};
        double[] h = {4, 1, 9};
        float[] c = AxisScales.columns(w, 2, 3, 4, h, 1);
        double v0 = 2.0 / 5, v1 = 1.0, gm = Math.sqrt(v0 * v1);
        assertEquals(v0 / gm, c[0], 1e-6);
        assertEquals(v1 / gm, c[1], 1e-6);
        assertEquals(1f, c[2]); // all-zero column
        assertEquals(1f, c[3]); // padding
    }
}
