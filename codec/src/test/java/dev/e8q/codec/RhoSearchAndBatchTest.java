package dev.e8q.codec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.e8q.lattice.Rvq;
import java.util.SplittableRandom;
import org.ejml.data.DMatrixRMaj;
import org.junit.jupiter.api.Test;

class RhoSearchAndBatchTest {
    static final double[] FACTORS = {1.0, 0.875, 0.75, 0.625};

    @Test
    void rhoSearchKeepsTheCandidateOfLeastProxyLossAndEncodesThereWithAllOptions() {
        // low-rank weights (like small models' q/k): heavy-tailed after rotation, where the search matters
        int rows = 32, cols = 128;
        float[] a = E8CodecTest.gaussian(rows * 2, 3), b = E8CodecTest.gaussian(2 * cols, 4);
        float[] w = new float[rows * cols];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++) w[r * cols + c] = a[2 * r] * b[c] + a[2 * r + 1] * b[cols + c];
        DMatrixRMaj h = E8CodecTest.ar1(cols, 0.9);
        for (int bits = 2; bits <= 4; bits++) {
            E8Encoder e = E8Codec.encoder().bits(bits).seed(5).hessian(h);
            double def = Rvq.defaultRho(bits), best = def, bestLoss = Double.POSITIVE_INFINITY;
            for (double f : FACTORS) {
                double loss = e.rho(def * f).refinePasses(0).encodeWithReport(w, rows, cols).proxyLoss();
                if (loss < bestLoss) {
                    bestLoss = loss;
                    best = def * f;
                }
            }
            EncodeResult searched = e.rhoSearch(FACTORS).encodeWithReport(w, rows, cols);
            EncodeResult direct = e.rho(best).encodeWithReport(w, rows, cols);
            assertEquals(best, searched.rho(), bits + " bits");
            assertArrayEquals(direct.matrix().qidxs(), searched.matrix().qidxs(), bits + " bits: codes");
            assertArrayEquals(direct.matrix().sv(), searched.matrix().sv(), bits + " bits: SV");
            assertEquals(direct.proxyLoss(), searched.proxyLoss(), bits + " bits");
            assertArrayEquals(direct.matrix().qidxs(), e.rhoSearch(FACTORS).encode(w, rows, cols).qidxs(), "encode() searches too");
        }
        // an explicit ρ wins over the search; no factors = no search
        assertEquals(0.5, E8Codec.encoder().hessian(h).rho(0.5).rhoSearch(FACTORS).encodeWithReport(w, rows, cols).rho());
        assertEquals(Rvq.defaultRho(2), E8Codec.encoder().hessian(h).rhoSearch().encodeWithReport(w, rows, cols).rho());
        assertThrows(IllegalArgumentException.class, () -> E8Codec.encoder().rhoSearch(1.0, 0));
    }

    @Test
    void batchedProductEqualsOneVectorAtATime() {
        SplittableRandom r = new SplittableRandom(11);
        for (int bits = 2; bits <= 4; bits++) {
            for (int[] shape : new int[][] {{16, 64}, {40, 172}}) { // the second needs padding on both sides
                int rows = shape[0], cols = shape[1], batch = 5;
                E8Matrix q = E8Codec.encode(E8CodecTest.gaussian(rows * cols, bits), rows, cols, bits);
                float[] x = new float[3 + batch * cols];
                for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
                float[] y = new float[2 + batch * rows], one = new float[rows];
                q.multiplyBatch(x, 3, y, 2, batch);
                for (int b = 0; b < batch; b++) {
                    q.multiply(x, 3 + b * cols, one, 0);
                    for (int i = 0; i < rows; i++)
                        assertEquals(one[i], y[2 + b * rows + i], 1e-4f * (1 + Math.abs(one[i])), bits + " bits, column " + b + ", row " + i);
                }
            }
        }
        E8Matrix q = E8Codec.encode(E8CodecTest.gaussian(16 * 64, 1), 16, 64, 2);
        assertThrows(IllegalArgumentException.class, () -> q.multiplyBatch(new float[64], 0, new float[32], 0, 2));
        assertThrows(IllegalArgumentException.class, () -> q.multiplyBatch(new float[128], 0, new float[16], 0, 2));
    }
}
