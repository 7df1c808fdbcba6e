package dev.e8q.hadamard;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Applies the K×K base matrix across the K contiguous rows of length p = n/K of a double segment:
 * row a of the output is scale·Σ_b h[a][b]·row b of the input. This is the "hadK ⊗ I_p" half of
 * (hadK ⊗ H_p), done after the per-row FWHT.
 *
 * <p>The input is copied in column tiles of width {@link #TILE} to a small per-thread scratch so the
 * result can overwrite x in place, and each tile (K·TILE doubles) stays in L1/L2 while every output
 * row reads it.
 *
 * <p>Line-for-line the double twin of {@link FloatBaseMultiply}: change both together.
 */
final class DoubleBaseMultiply {
    private DoubleBaseMultiply() {}

    private static final VectorSpecies<Double> S = DoubleFwht.S;
    private static final int L = DoubleFwht.L;
    /** Four independent accumulators per output row hide the fused multiply-add latency. */
    static final int TILE = 4 * L;

    private static final ThreadLocal<double[]> SCRATCH =
            ThreadLocal.withInitial(() -> new double[BaseMatrices.MAX_SIZE * TILE]);

    static void apply(double[] x, int off, int k, int p, double[] h, double scale) {
        double[] s = SCRATCH.get();
        if (p % TILE == 0) {
            tiles4(x, off, k, p, h, scale, s);
        } else if (p % L == 0) {
            tiles1(x, off, k, p, h, scale, s);
        } else {
            columns(x, off, k, p, h, scale, s);
        }
    }

    /**
     * Two output rows × four vectors per step: eight independent accumulators hide the FMA
     * latency, and each loaded input vector feeds two FMAs. K is even for every base size.
     */
    private static void tiles4(double[] x, int off, int k, int p, double[] h, double scale, double[] s) {
        for (int j0 = 0; j0 < p; j0 += TILE) {
            for (int b = 0; b < k; b++) {
                System.arraycopy(x, off + b * p + j0, s, b * TILE, TILE);
            }
            for (int a = 0; a < k; a += 2) {
                DoubleVector z = DoubleVector.zero(S);
                DoubleVector c00 = z, c01 = z, c02 = z, c03 = z;
                DoubleVector c10 = z, c11 = z, c12 = z, c13 = z;
                int r0 = a * k, r1 = r0 + k;
                for (int b = 0; b < k; b++) {
                    int t = b * TILE;
                    DoubleVector v0 = DoubleVector.fromArray(S, s, t);
                    DoubleVector v1 = DoubleVector.fromArray(S, s, t + L);
                    DoubleVector v2 = DoubleVector.fromArray(S, s, t + 2 * L);
                    DoubleVector v3 = DoubleVector.fromArray(S, s, t + 3 * L);
                    DoubleVector w = DoubleVector.broadcast(S, h[r0 + b]);
                    c00 = v0.fma(w, c00);
                    c01 = v1.fma(w, c01);
                    c02 = v2.fma(w, c02);
                    c03 = v3.fma(w, c03);
                    w = DoubleVector.broadcast(S, h[r1 + b]);
                    c10 = v0.fma(w, c10);
                    c11 = v1.fma(w, c11);
                    c12 = v2.fma(w, c12);
                    c13 = v3.fma(w, c13);
                }
                int o = off + a * p + j0;
                store(c00, c01, c02, c03, scale, x, o);
                store(c10, c11, c12, c13, scale, x, o + p);
            }
        }
    }

    private static void store(DoubleVector c0, DoubleVector c1, DoubleVector c2, DoubleVector c3,
                              double scale, double[] x, int o) {
        c0.mul(scale).intoArray(x, o);
        c1.mul(scale).intoArray(x, o + L);
        c2.mul(scale).intoArray(x, o + 2 * L);
        c3.mul(scale).intoArray(x, o + 3 * L);
    }

    /** Rows of one or two vectors (p = L or 2L): the whole K×p block is the tile. */
    private static void tiles1(double[] x, int off, int k, int p, double[] h, double scale, double[] s) {
        System.arraycopy(x, off, s, 0, k * p);
        for (int a = 0; a < k; a++) {
            int row = a * k;
            for (int j = 0; j < p; j += L) {
                DoubleVector c = DoubleVector.zero(S);
                for (int b = 0; b < k; b++) {
                    c = DoubleVector.fromArray(S, s, b * p + j).fma(DoubleVector.broadcast(S, h[row + b]), c);
                }
                c.mul(scale).intoArray(x, off + a * p + j);
            }
        }
    }

    /**
     * Rows shorter than a vector: vectorize along the base-matrix row instead, one column of the
     * K×p block at a time (dot products of length K).
     */
    private static void columns(double[] x, int off, int k, int p, double[] h, double scale, double[] s) {
        int bound = S.loopBound(k);
        for (int j = 0; j < p; j++) {
            for (int b = 0; b < k; b++) {
                s[b] = x[off + b * p + j];
            }
            for (int a = 0; a < k; a++) {
                int row = a * k;
                double sum = 0.0;
                int b = 0;
                if (bound > 0) {
                    DoubleVector c = DoubleVector.zero(S);
                    for (; b < bound; b += L) {
                        c = DoubleVector.fromArray(S, h, row + b).fma(DoubleVector.fromArray(S, s, b), c);
                    }
                    sum = c.reduceLanes(VectorOperators.ADD);
                }
                for (; b < k; b++) {
                    sum += h[row + b] * s[b];
                }
                x[off + a * p + j] = sum * scale;
            }
        }
    }
}
