package dev.e8q.finetune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** The blocked linear-layer products against plain triple loops, over shapes that hit every tail. */
class KernelsTest {
    @Test
    void blockedProductsEqualPlainLoops() {
        qt().withFixedSeed(81L).withExamples(60)
                .forAll(integers().between(1, 11), integers().between(1, 40), integers().between(1, 13), longs().all())
                .checkAssert((T, n, rows, seed) -> {
                    Random r = new Random(seed);
                    int yo = r.nextInt(3), ys = rows + yo + r.nextInt(3);
                    double[] x = Fixtures.gauss(r, T * n, 1), w = Fixtures.gauss(r, rows * n, 1), dy = Fixtures.gauss(r, T * ys, 1);
                    if (r.nextBoolean()) for (int i = 0; i < dy.length; i += 2) dy[i] = 0; // zero-skipping paths
                    double[] y = new double[T * ys];
                    Kernels.forward(x, T, n, w, rows, y, ys, yo);
                    double[] dx = Fixtures.gauss(r, T * n, 1), dx0 = dx.clone();
                    Kernels.backwardInput(dy, T, ys, yo, w, rows, n, dx);
                    double[] gw = Fixtures.gauss(r, rows * n, 1), gw0 = gw.clone();
                    Kernels.backwardWeight(dy, T, ys, yo, x, n, gw, rows);
                    for (int t = 0; t < T; t++) {
                        for (int i = 0; i < rows; i++) {
                            double s = 0;
                            for (int k = 0; k < n; k++) s += w[i * n + k] * x[t * n + k];
                            assertEquals(s, y[t * ys + yo + i], 1e-12, "y");
                        }
                        for (int k = 0; k < n; k++) {
                            double s = dx0[t * n + k];
                            for (int i = 0; i < rows; i++) s += dy[t * ys + yo + i] * w[i * n + k];
                            assertEquals(s, dx[t * n + k], 1e-12, "dx");
                        }
                    }
                    for (int i = 0; i < rows; i++) {
                        for (int k = 0; k < n; k++) {
                            double s = gw0[i * n + k];
                            for (int t = 0; t < T; t++) s += dy[t * ys + yo + i] * x[t * n + k];
                            assertEquals(s, gw[i * n + k], 1e-12, "gw");
                        }
                    }
                });
    }
}
