package dev.e8q.finetune;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The blocked linear-layer products against plain triple loops, bit for bit: each output is one fused multiply-add
 * chain in index order, whatever the register tiles, packed panels and cache blocks around it.
 */
class KernelsTest {
    @Test
    void productsAreFmaChainsInIndexOrder() {
        qt().withFixedSeed(81L).withExamples(80)
                .forAll(integers().between(1, 30), integers().between(1, 60), integers().between(1, 50), longs().all())
                .checkAssert((T, n, rows, seed) -> check(T, n, rows, new Random(seed)));
    }

    /** Shapes past every block of {@link Gemm}: more than 96 rows of A, 256 steps of k and 1536 columns of B. */
    @Test
    void productsPastEveryCacheBlock() {
        check(100, 300, 1600, new Random(3));
        check(257, 1537, 97, new Random(4));
    }

    private static void check(int T, int n, int rows, Random r) {
        int yo = r.nextInt(3), ys = rows + yo + r.nextInt(3);
        double[] x = Fixtures.gauss(r, T * n, 1), w = Fixtures.gauss(r, rows * n, 1), dy = Fixtures.gauss(r, T * ys, 1);
        double[] y = Fixtures.gauss(r, T * ys, 1), want = y.clone(); // entries outside the slice must stay as they are
        Kernels.forward(x, T, n, w, rows, y, ys, yo);
        for (int t = 0; t < T; t++)
            for (int i = 0; i < rows; i++) {
                double s = 0;
                for (int k = 0; k < n; k++) s = Math.fma(x[t * n + k], w[i * n + k], s);
                want[t * ys + yo + i] = s;
            }
        assertArrayEquals(want, y, "forward " + T + "×" + n + " → " + rows);

        double[] dx = Fixtures.gauss(r, T * n, 1), wantDx = dx.clone();
        Kernels.backwardInput(dy, T, ys, yo, w, rows, n, dx);
        for (int t = 0; t < T; t++)
            for (int k = 0; k < n; k++) {
                double s = wantDx[t * n + k];
                for (int i = 0; i < rows; i++) s = Math.fma(dy[t * ys + yo + i], w[i * n + k], s);
                wantDx[t * n + k] = s;
            }
        assertArrayEquals(wantDx, dx, "backwardInput " + T + "×" + n + " → " + rows);

        double[] gw = Fixtures.gauss(r, rows * n, 1), wantGw = gw.clone();
        Kernels.backwardWeight(dy, T, ys, yo, x, n, gw, rows);
        for (int i = 0; i < rows; i++)
            for (int k = 0; k < n; k++) {
                double s = wantGw[i * n + k];
                for (int t = 0; t < T; t++) s = Math.fma(dy[t * ys + yo + i], x[t * n + k], s);
                wantGw[i * n + k] = s;
            }
        assertArrayEquals(wantGw, gw, "backwardWeight " + T + "×" + n + " → " + rows);
    }
}
