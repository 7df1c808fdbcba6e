package dev.e8q.finetune;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import java.util.Random;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorSpecies;
import dev.e8q.codec.Lanes;
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

    /**
     * The blocked kernels give the bits of the unblocked ones they replaced (kept below as the reference), including
     * tokens or rows with all-zero gradient groups, partial groups and the row blocks of forward.
     */
    @Test
    void blockingKeepsEveryBit() {
        qt().withFixedSeed(82L).withExamples(60)
                .forAll(integers().between(1, 19), integers().between(1, 40), integers().between(1, 75), longs().all())
                .checkAssert((T, n, rows, seed) -> {
                    Random r = new Random(seed);
                    int yo = r.nextInt(3), ys = rows + yo + r.nextInt(3);
                    double[] x = Fixtures.gauss(r, T * n, 1), w = Fixtures.gauss(r, rows * n, 1), dy = Fixtures.gauss(r, T * ys, 1);
                    int mode = r.nextInt(3); // dense, every other zero, or whole rows and tokens of zeros
                    if (mode == 1) for (int i = 0; i < dy.length; i += 2) dy[i] = 0;
                    if (mode == 2) for (int i = 0; i < dy.length; i++) if ((i / ys) % 3 == 1 || (i % ys) % 5 == 2) dy[i] = 0;
                    double[] y = new double[T * ys], y0 = new double[T * ys];
                    Kernels.forward(x, T, n, w, rows, y, ys, yo);
                    Reference.forward(x, T, n, w, rows, y0, ys, yo);
                    assertArrayEquals(y0, y, "forward");
                    double[] dx = Fixtures.gauss(r, T * n, 1), dx0 = dx.clone();
                    Kernels.backwardInput(dy, T, ys, yo, w, rows, n, dx);
                    Reference.backwardInput(dy, T, ys, yo, w, rows, n, dx0);
                    assertArrayEquals(dx0, dx, "backwardInput");
                    double[] gw = Fixtures.gauss(r, rows * n, 1), gw0 = gw.clone();
                    Kernels.backwardWeight(dy, T, ys, yo, x, n, gw, rows);
                    Reference.backwardWeight(dy, T, ys, yo, x, n, gw0, rows);
                    assertArrayEquals(gw0, gw, "backwardWeight");
                });
    }

    /** The kernels as they were before blocking. */
    private static final class Reference {
        private static final VectorSpecies<Double> SP = DoubleVector.SPECIES_PREFERRED;
        private static final int L = SP.length();

    /** y[t·ys + yo + i] = w_i · x_t  (x: T × n, w: rows × n). */
    static void forward(double[] x, int T, int n, double[] w, int rows, double[] y, int ys, int yo) {
        int vn = n - n % L;
        int t = 0;
        for (; t + 3 < T; t += 4) {
            int x0 = t * n, x1 = x0 + n, x2 = x1 + n, x3 = x2 + n;
            for (int i = 0; i < rows; i++) {
                int wo = i * n;
                var a0 = DoubleVector.zero(SP);
                var a1 = DoubleVector.zero(SP);
                var a2 = DoubleVector.zero(SP);
                var a3 = DoubleVector.zero(SP);
                int k = 0;
                for (; k < vn; k += L) {
                    var wv = DoubleVector.fromArray(SP, w, wo + k);
                    a0 = DoubleVector.fromArray(SP, x, x0 + k).fma(wv, a0);
                    a1 = DoubleVector.fromArray(SP, x, x1 + k).fma(wv, a1);
                    a2 = DoubleVector.fromArray(SP, x, x2 + k).fma(wv, a2);
                    a3 = DoubleVector.fromArray(SP, x, x3 + k).fma(wv, a3);
                }
                double s0 = Lanes.sum(a0), s1 = Lanes.sum(a1);
                double s2 = Lanes.sum(a2), s3 = Lanes.sum(a3);
                for (; k < n; k++) {
                    double wk = w[wo + k];
                    s0 += x[x0 + k] * wk;
                    s1 += x[x1 + k] * wk;
                    s2 += x[x2 + k] * wk;
                    s3 += x[x3 + k] * wk;
                }
                int o = t * ys + yo + i;
                y[o] = s0;
                y[o + ys] = s1;
                y[o + 2 * ys] = s2;
                y[o + 3 * ys] = s3;
            }
        }
        for (; t < T; t++) {
            for (int i = 0; i < rows; i++) y[t * ys + yo + i] = LinearParam.dot(w, i * n, x, t * n, n);
        }
    }

    /** dx[t·n + k] += Σ_i dy[t·ys + yo + i] · w[i·n + k]. */
    static void backwardInput(double[] dy, int T, int ys, int yo, double[] w, int rows, int n, double[] dx) {
        int vn = n - n % L;
        for (int t = 0; t < T; t++) {
            int o = t * ys + yo, xo = t * n;
            int i = 0;
            for (; i + 3 < rows; i += 4) {
                double g0 = dy[o + i], g1 = dy[o + i + 1], g2 = dy[o + i + 2], g3 = dy[o + i + 3];
                if (g0 == 0 && g1 == 0 && g2 == 0 && g3 == 0) continue;
                int w0 = i * n, w1 = w0 + n, w2 = w1 + n, w3 = w2 + n;
                var v0 = DoubleVector.broadcast(SP, g0);
                var v1 = DoubleVector.broadcast(SP, g1);
                var v2 = DoubleVector.broadcast(SP, g2);
                var v3 = DoubleVector.broadcast(SP, g3);
                int k = 0;
                for (; k < vn; k += L) {
                    var acc = DoubleVector.fromArray(SP, dx, xo + k);
                    acc = DoubleVector.fromArray(SP, w, w0 + k).fma(v0, acc);
                    acc = DoubleVector.fromArray(SP, w, w1 + k).fma(v1, acc);
                    acc = DoubleVector.fromArray(SP, w, w2 + k).fma(v2, acc);
                    acc = DoubleVector.fromArray(SP, w, w3 + k).fma(v3, acc);
                    acc.intoArray(dx, xo + k);
                }
                for (; k < n; k++) dx[xo + k] += g0 * w[w0 + k] + g1 * w[w1 + k] + g2 * w[w2 + k] + g3 * w[w3 + k];
            }
            for (; i < rows; i++) {
                double g = dy[o + i];
                if (g != 0) LinearParam.axpy(g, w, i * n, dx, xo, n);
            }
        }
    }

    /** gw[i·n + k] += Σ_t dy[t·ys + yo + i] · x[t·n + k]. */
    static void backwardWeight(double[] dy, int T, int ys, int yo, double[] x, int n, double[] gw, int rows) {
        int vn = n - n % L;
        for (int i = 0; i < rows; i++) {
            int wo = i * n;
            int t = 0;
            for (; t + 3 < T; t += 4) {
                int o = t * ys + yo + i;
                double g0 = dy[o], g1 = dy[o + ys], g2 = dy[o + 2 * ys], g3 = dy[o + 3 * ys];
                if (g0 == 0 && g1 == 0 && g2 == 0 && g3 == 0) continue;
                int x0 = t * n, x1 = x0 + n, x2 = x1 + n, x3 = x2 + n;
                var v0 = DoubleVector.broadcast(SP, g0);
                var v1 = DoubleVector.broadcast(SP, g1);
                var v2 = DoubleVector.broadcast(SP, g2);
                var v3 = DoubleVector.broadcast(SP, g3);
                int k = 0;
                for (; k < vn; k += L) {
                    var acc = DoubleVector.fromArray(SP, gw, wo + k);
                    acc = DoubleVector.fromArray(SP, x, x0 + k).fma(v0, acc);
                    acc = DoubleVector.fromArray(SP, x, x1 + k).fma(v1, acc);
                    acc = DoubleVector.fromArray(SP, x, x2 + k).fma(v2, acc);
                    acc = DoubleVector.fromArray(SP, x, x3 + k).fma(v3, acc);
                    acc.intoArray(gw, wo + k);
                }
                for (; k < n; k++) gw[wo + k] += g0 * x[x0 + k] + g1 * x[x1 + k] + g2 * x[x2 + k] + g3 * x[x3 + k];
            }
            for (; t < T; t++) {
                double g = dy[t * ys + yo + i];
                if (g != 0) LinearParam.axpy(g, x, t * n, gw, wo, n);
            }
        }
    }
    }
}
