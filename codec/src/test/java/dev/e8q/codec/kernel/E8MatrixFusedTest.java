package dev.e8q.codec.kernel;

import dev.e8q.codec.E8Codec;
import dev.e8q.codec.E8Matrix;
import dev.e8q.hadamard.Hadamard;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;

/** E8Matrix.multiply / multiplyRotated (which use the fused kernel) against decode-then-multiply. */
class E8MatrixFusedTest {

    static E8Matrix random(int rows, int cols, int bits, long seed) {
        int m = Hadamard.paddedSize(rows, 16), n = Hadamard.paddedSize(cols, 64);
        SplittableRandom r = new SplittableRandom(seed);
        long[] q = new long[m * (n / 32) * bits / 2];
        for (int i = 0; i < q.length; i++) q[i] = r.nextLong();
        float[] su = new float[n], sv = new float[m];
        for (int i = 0; i < n; i++) su[i] = (float) (r.nextDouble() * 2 - 1);
        for (int i = 0; i < m; i++) sv[i] = (float) (r.nextDouble() * 0.2 - 0.1);
        return E8Matrix.fromQidxs(rows, cols, bits, q, su, sv, 0);
    }

    static void checkRotated(E8Matrix w, long seed) {
        int m = w.paddedRows(), n = w.paddedCols();
        float[] dense = w.decodeRotated();
        SplittableRandom r = new SplittableRandom(seed);
        float[] u = new float[n + 2];
        for (int i = 0; i < u.length; i++) u[i] = (float) (r.nextDouble() * 2 - 1);
        float[] z = new float[m + 1];
        w.multiplyRotated(u, 2, z, 1);
        for (int i = 0; i < m; i++) {
            double s = 0, mag = 0;
            for (int j = 0; j < n; j++) {
                s += (double) dense[i * n + j] * u[2 + j];
                mag += Math.abs((double) dense[i * n + j] * u[2 + j]);
            }
            assertEquals(s, z[1 + i], 2e-6 * mag + 1e-6, w + " row " + i);
        }
    }

    static void checkLayer(E8Matrix w, long seed) {
        int rows = w.rows(), cols = w.cols();
        float[] dense = w.decodeRowMajor();
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[cols];
        for (int i = 0; i < cols; i++) x[i] = (float) (r.nextDouble() * 2 - 1);
        float[] y = new float[rows];
        w.multiply(x, y);
        for (int i = 0; i < rows; i++) {
            double s = 0, n2 = 0;
            for (int j = 0; j < cols; j++) {
                s += (double) dense[i * cols + j] * x[j];
                n2 += (double) dense[i * cols + j] * dense[i * cols + j];
            }
            // both sides go through float Hadamard transforms: tolerance scales with ‖Ŵ_i‖·‖x‖
            double tol = 1e-5 * Math.sqrt(n2 * cols) + 1e-6;
            assertEquals(s, y[i], tol, w + " row " + i);
        }
    }

    @Test
    void rotatedProductEqualsDecodeThenMultiplyOverRandomShapes() {
        qt().withExamples(25).forAll(integers().between(2, 4), integers().between(1, 300), integers().between(1, 300))
                .checkAssert((bits, rows, cols) -> {
                    E8Matrix w = random(rows, cols, bits, rows * 1000L + cols + bits);
                    checkRotated(w, bits);
                    checkLayer(w, bits + 1);
                });
    }

    @Test
    void dimensionFallbackShapes() {
        for (int bits = 2; bits <= 4; bits++) {
            E8Matrix w = random(344, 172, bits, bits);
            checkRotated(w, 5);
            checkLayer(w, 6);
        }
    }

    @Test
    void encodedMatrixMultipliesLikeItsDecode() {
        SplittableRandom r = new SplittableRandom(3);
        int rows = 344, cols = 172;
        float[] a = new float[rows * cols];
        for (int i = 0; i < a.length; i++) a[i] = (float) (r.nextGaussian());
        for (int bits = 2; bits <= 4; bits++) {
            E8Matrix w = E8Codec.encode(a, rows, cols, bits);
            checkRotated(w, 7);
            checkLayer(w, 8);
        }
    }

    @Test
    void batchedRotatedProductEqualsColumnByColumn() {
        for (int bits = 2; bits <= 4; bits++) {
            E8Matrix w = random(200, 130, bits, 11 + bits);
            int m = w.paddedRows(), n = w.paddedCols(), batch = 7;
            SplittableRandom r = new SplittableRandom(bits);
            float[] u = new float[batch * n];
            for (int i = 0; i < u.length; i++) u[i] = (float) (r.nextDouble() * 2 - 1);
            float[] z = new float[batch * m], z1 = new float[m];
            w.multiplyRotatedBatch(u, 0, z, 0, batch);
            for (int j = 0; j < batch; j++) {
                w.multiplyRotated(u, j * n, z1, 0);
                for (int i = 0; i < m; i++) assertEquals(z1[i], z[j * m + i], 1e-4 * (1 + Math.abs(z1[i])), "col " + j + " row " + i);
            }
        }
    }
}
