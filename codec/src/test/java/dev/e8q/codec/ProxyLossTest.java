package dev.e8q.codec;

import static org.junit.jupiter.api.Assertions.*;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.*;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ProxyLossTest {
    /** tr(EHEᵀ)/tr(WHWᵀ) against a plain double-precision sum, and the same bits on 1 and 2 threads. */
    @Test
    void equalsTheTraceRatioAndIsReproducible() {
        qt().withExamples(25).forAll(integers().between(1, 80), integers().between(1, 70), longs().all()).checkAssert((rows, n, seed) -> {
            SplittableRandom r = new SplittableRandom(seed);
            float[] w = new float[rows * n], what = new float[rows * n];
            for (int i = 0; i < w.length; i++) {
                w[i] = (float) r.nextGaussian();
                // some entries exact (E = 0), as rounding leaves them
                what[i] = r.nextInt(5) == 0 ? w[i] : w[i] + (float) (0.1 * r.nextGaussian());
            }
            double[] h = new double[n * n];
            double[] g = new double[n * (n + 2)];
            for (int i = 0; i < g.length; i++) g[i] = r.nextGaussian();
            for (int i = 0; i < n; i++) // H = G Gᵀ: symmetric positive semi-definite
                for (int j = 0; j < n; j++) {
                    double s = 0;
                    for (int k = 0; k < n + 2; k++) s += g[i * (n + 2) + k] * g[j * (n + 2) + k];
                    h[i * n + j] = s;
                }
            double num = 0, den = 0;
            for (int a = 0; a < rows; a++)
                for (int i = 0; i < n; i++)
                    for (int j = 0; j < n; j++) {
                        double hij = (float) h[i * n + j];
                        num += ((double) what[a * n + i] - w[a * n + i]) * hij * ((double) what[a * n + j] - w[a * n + j]);
                        den += (double) w[a * n + i] * hij * w[a * n + j];
                    }
            int threads = Parallel.threads();
            try {
                Parallel.setThreads(1);
                double one = ProxyLoss.proxyLoss(w, what, rows, n, h);
                Parallel.setThreads(2);
                double two = ProxyLoss.proxyLoss(w, what, rows, n, h);
                assertEquals(one, two, 0.0, "thread count changed the bits");
                assertEquals(num / den, one, 1e-4 * (num / den), "rows=" + rows + " n=" + n);
            } finally {
                Parallel.setThreads(threads);
            }
        });
    }
}
