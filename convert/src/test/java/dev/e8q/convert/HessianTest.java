package dev.e8q.convert;

import static org.junit.jupiter.api.Assertions.*;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.*;

import dev.e8q.codec.Parallel;
import java.util.SplittableRandom;
import org.ejml.data.DMatrixRMaj;
import org.junit.jupiter.api.Test;

/** The tiled Σ x xᵀ gives the bits of one plain fma chain per entry, over tokens and batches in order. */
class HessianTest {
    @Test
    void equalsPlainFmaChainsBitForBit() {
        // Widths around the 4-row tiles, the 16-column strips and the 64-row blocks, 1 to 3 batches, both thread counts.
        qt().withExamples(40).forAll(integers().between(1, 2 * dev.e8q.codec.Syrk.MB + 5), integers().between(1, 3), longs().all()).checkAssert((n, batches, seed) -> {
            SplittableRandom r = new SplittableRandom(seed);
            float[][] xs = new float[batches][];
            int[] rows = new int[batches];
            for (int b = 0; b < batches; b++) {
                rows[b] = 1 + r.nextInt(r.nextBoolean() ? 40 : 3 * dev.e8q.codec.Syrk.KC); // several chunks of tokens too
                xs[b] = new float[rows[b] * n];
                for (int i = 0; i < xs[b].length; i++) xs[b][i] = r.nextInt(6) == 0 ? 0f : (float) (r.nextGaussian() * Math.exp(r.nextGaussian()));
            }
            double[] ref = new double[n * n];
            long count = 0;
            for (int b = 0; b < batches; b++) {
                count += rows[b];
                for (int t = 0; t < rows[b]; t++)
                    for (int i = 0; i < n; i++)
                        for (int j = 0; j <= i; j++)
                            ref[i * n + j] = Math.fma((double) xs[b][t * n + i], (double) xs[b][t * n + j], ref[i * n + j]);
            }
            int threads = Parallel.threads();
            try {
                for (int th : new int[] {1, 2}) {
                    Parallel.setThreads(th);
                    Hessian h = new Hessian(n, true);
                    for (int b = 0; b < batches; b++) h.add(xs[b], rows[b], n);
                    assertEquals(count, h.count);
                    DMatrixRMaj m = h.takeSecondMoment();
                    for (int i = 0; i < n; i++)
                        for (int j = 0; j <= i; j++) {
                            double want = ref[i * n + j] * (1.0 / count);
                            assertEquals(want, m.get(i, j), 0.0, "n=" + n + " threads=" + th + " (" + i + "," + j + ")");
                            assertEquals(want, m.get(j, i), 0.0, "symmetric (" + j + "," + i + ")");
                        }
                }
            } finally {
                Parallel.setThreads(threads);
            }
        });
    }

    @Test
    void theMatrixIsHandedOverOnce() {
        Hessian h = new Hessian(4, true);
        h.add(new float[] {1, 2, 3, 4}, 1, 4);
        assertEquals(16.0, h.takeSecondMoment().get(3, 3));
        assertThrows(IllegalStateException.class, h::takeSecondMoment);
        assertThrows(IllegalStateException.class, () -> h.add(new float[4], 1, 4));
        assertEquals(4, h.stats().get("channels")); // the statistics stay
    }

    @Test
    void rejectsAWrongWidth() {
        Hessian h = new Hessian(8, true);
        var e = assertThrows(IllegalArgumentException.class, () -> h.add(new float[12], 2, 6));
        assertTrue(e.getMessage().contains("6 features"), e.getMessage());
    }
}
