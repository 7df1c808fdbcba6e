package dev.e8q.codec;

import static org.junit.jupiter.api.Assertions.*;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.*;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SyrkTest {
    /** Each lower entry is one plain fma chain over the tokens; nothing below or beside the window changes. */
    @Test
    void lowerTriangleIsPlainFmaChainsAndNothingOutsideMoves() {
        qt().withExamples(40).forAll(integers().between(1, Syrk.MB + 40), integers().between(1, Syrk.KC + 60), booleans().all(), longs().all())
                .checkAssert((m, tokens, subtract, seed) -> {
                    SplittableRandom r = new SplittableRandom(seed);
                    int stride = m + r.nextInt(5), off = r.nextInt(7) + r.nextInt(3) * stride, len = off + m * stride + r.nextInt(9);
                    double[] x = new double[tokens * m], c = new double[len];
                    for (int i = 0; i < x.length; i++) x[i] = r.nextInt(7) == 0 ? 0 : r.nextGaussian() * Math.exp(r.nextGaussian());
                    for (int i = 0; i < c.length; i++) c[i] = r.nextGaussian();
                    double[] want = c.clone();
                    for (int i = 0; i < m; i++)
                        for (int j = 0; j <= i; j++) {
                            double s = want[off + i * stride + j];
                            for (int t = 0; t < tokens; t++) s = Math.fma(subtract ? -x[t * m + i] : x[t * m + i], x[t * m + j], s);
                            want[off + i * stride + j] = s;
                        }
                    int threads = Parallel.threads();
                    try {
                        for (int th : new int[] {1, 2}) {
                            Parallel.setThreads(th);
                            double[] got = c.clone();
                            Syrk.lower(x, tokens, m, got, off, stride, subtract);
                            for (int p = 0; p < len; p++) {
                                int rel = p - off, i = Math.floorDiv(rel, stride), j = Math.floorMod(rel, stride);
                                boolean upperOfWindow = rel >= 0 && i < m && j > i && j < m; // free for Syrk to use
                                if (!upperOfWindow)
                                    assertEquals(want[p], got[p], 0.0, "m=" + m + " T=" + tokens + " threads=" + th + " at " + p + " (" + i + "," + j + ")");
                            }
                        }
                    } finally {
                        Parallel.setThreads(threads);
                    }
                });
    }
}
