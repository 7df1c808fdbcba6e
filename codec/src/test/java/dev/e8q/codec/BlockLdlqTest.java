package dev.e8q.codec;

import static org.junit.jupiter.api.Assertions.*;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** BlockLdlq against a direct, dense double-precision transcription of SPEC §5. */
class BlockLdlqTest {
    @Test
    void matchesTheSpecFormulasWrittenOutDensely() {
        int rows = 6, n = 48, nb = n / 8;
        for (long seed = 1; seed <= 4; seed++) {
            double[] h = BlockLdlTest.randomSpd(n, seed);
            for (int i = 0; i < n; i++) h[i * n + i] += 0.01;
            BlockLdl.Factors f = BlockLdl.factor(h, n);
            float[] x = E8CodecTest.gaussian(rows * n, seed);
            BlockCodebook cb = new E8pCodebook(2, 0);
            for (int passes : new int[] {0, 1, 10}) {
                BlockLdlq.Result got = BlockLdlq.run(x, rows, n, cb, BlockLdlq.operands(h, f), passes, ProgressListener.NONE);
                float[] ref = reference(x, rows, n, h, f, cb, passes);
                for (int i = 0; i < rows * n; i++)
                    assertEquals(ref[i], got.xhat()[i], 0f, "seed " + seed + ", passes " + passes + ", entry " + i);
                float[] dec = new float[8];
                for (int r = 0; r < rows; r++)
                    for (int k = 0; k < nb; k++) {
                        cb.decode(got.codes()[r * nb + k], dec, 0);
                        for (int j = 0; j < 8; j++) assertEquals(got.xhat()[r * n + 8 * k + j], dec[j], 0f);
                    }
            }
        }
    }

    /** Ŵ[:,k] = Q(Wr[:,k] + Σ_{j>k}(Wr−Ŵ)[:,j]·L[j,k]) backwards, then greedy passes with Δ·Hr[:,k]·Hkk⁻¹. */
    static float[] reference(float[] x, int rows, int n, double[] h, BlockLdl.Factors f, BlockCodebook cb, int passes) {
        int nb = n / 8;
        float[] w = new float[rows * n];
        float[] t = new float[8];
        for (int r = 0; r < rows; r++) {
            for (int k = nb - 1; k >= 0; k--) {
                for (int c = 0; c < 8; c++) {
                    double s = x[r * n + 8 * k + c];
                    for (int j = 8 * (k + 1); j < n; j++) s += (x[r * n + j] - w[r * n + j]) * f.l()[j * n + 8 * k + c];
                    t[c] = (float) s;
                }
                cb.quantize(t, 0, w, r * n + 8 * k);
            }
            for (int p = 0; p < passes; p++)
                for (int k = nb - 1; k >= 0; k--) {
                    double[] g = new double[8];
                    for (int c = 0; c < 8; c++)
                        for (int j = 0; j < n; j++) g[c] += (x[r * n + j] - w[r * n + j]) * h[j * n + 8 * k + c];
                    org.ejml.data.DMatrixRMaj hkk = new org.ejml.data.DMatrixRMaj(8, 8);
                    for (int a = 0; a < 8; a++)
                        for (int b = 0; b < 8; b++) hkk.set(a, b, h[(8 * k + a) * n + 8 * k + b]);
                    org.ejml.dense.row.CommonOps_DDRM.invert(hkk);
                    for (int c = 0; c < 8; c++) {
                        double s = w[r * n + 8 * k + c];
                        for (int a = 0; a < 8; a++) s += g[a] * hkk.get(a, c);
                        t[c] = (float) s;
                    }
                    cb.quantize(t, 0, w, r * n + 8 * k);
                }
        }
        return w;
    }
}
