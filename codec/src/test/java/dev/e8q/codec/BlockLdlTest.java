package dev.e8q.codec;

import static org.junit.jupiter.api.Assertions.*;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.*;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class BlockLdlTest {
    static double[] randomSpd(int n, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        int k = n + 4;
        double[] a = new double[n * k];
        for (int i = 0; i < a.length; i++) a[i] = rnd.nextDouble(-1, 1);
        double[] h = new double[n * n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int t = 0; t < k; t++) s += a[i * k + t] * a[j * k + t];
                h[i * n + j] = s / k + (i == j ? 1e-3 : 0);
            }
        return h;
    }

    @Test
    void ldlReconstructsTheMatrixAndLIsBlockUnitTriangular() {
        qt().withExamples(10).forAll(integers().between(1, 6), longs().all()).checkAssert((blocks, seed) -> {
            int n = 8 * blocks;
            double[] h = randomSpd(n, seed);
            BlockLdl.Factors f = BlockLdl.factor(h, n);
            assertNotNull(f);
            double[] back = BlockLdl.reconstruct(f);
            for (int i = 0; i < n * n; i++) assertEquals(h[i], back[i], 1e-9, "entry " + i);
            for (int r = 0; r < n; r++)
                for (int c = 0; c < n; c++) {
                    double l = f.l()[r * n + c];
                    if (r / 8 == c / 8) assertEquals(r == c ? 1 : 0, l, 1e-12, "diagonal block entry (" + r + "," + c + ")");
                    if (c / 8 > r / 8) assertEquals(0, l, 0, "upper entry (" + r + "," + c + ")");
                }
        });
    }

    @Test
    void notPositiveDefiniteGivesNull() {
        double[] h = new double[64];
        for (int i = 0; i < 8; i++) h[i * 8 + i] = i == 3 ? -1 : 1;
        assertNull(BlockLdl.factor(h, 8));
    }
}
