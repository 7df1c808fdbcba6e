package dev.e8q.hadamard;

import dev.e8q.simd.Lanes;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Applies the K×K base matrix across the K contiguous rows of length p = n/K of a float segment:
 * row a of the output is scale·Σ_b h[a][b]·row b of the input. This is the "hadK ⊗ I_p" half of
 * (hadK ⊗ H_p), done after the per-row FWHT.
 *
 * <p>The input is copied in column tiles of width {@link #TILE} to a small per-thread scratch so the
 * result can overwrite x in place, and each tile (K·TILE floats) stays in L1/L2 while every output
 * row reads it.
 */
final class FloatBaseMultiply {
    private FloatBaseMultiply() {}

    private static final VectorSpecies<Float> S = FloatFwht.S;
    private static final int L = FloatFwht.L;
    /** Four independent accumulators per output row hide the fused multiply-add latency. */
    static final int TILE = 4 * L;

    private static final ThreadLocal<float[]> SCRATCH =
            ThreadLocal.withInitial(() -> new float[BaseMatrices.MAX_SIZE * TILE]);

    static void apply(float[] x, int off, int k, int p, float[] h, float scale) {
        float[] s = SCRATCH.get();
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
    private static void tiles4(float[] x, int off, int k, int p, float[] h, float scale, float[] s) {
        for (int j0 = 0; j0 < p; j0 += TILE) {
            for (int b = 0; b < k; b++) {
                System.arraycopy(x, off + b * p + j0, s, b * TILE, TILE);
            }
            for (int a = 0; a < k; a += 2) {
                FloatVector z = FloatVector.zero(S);
                FloatVector c00 = z, c01 = z, c02 = z, c03 = z;
                FloatVector c10 = z, c11 = z, c12 = z, c13 = z;
                int r0 = a * k, r1 = r0 + k;
                for (int b = 0; b < k; b++) {
                    int t = b * TILE;
                    FloatVector v0 = FloatVector.fromArray(S, s, t);
                    FloatVector v1 = FloatVector.fromArray(S, s, t + L);
                    FloatVector v2 = FloatVector.fromArray(S, s, t + 2 * L);
                    FloatVector v3 = FloatVector.fromArray(S, s, t + 3 * L);
                    FloatVector w = FloatVector.broadcast(S, h[r0 + b]);
                    c00 = v0.fma(w, c00);
                    c01 = v1.fma(w, c01);
                    c02 = v2.fma(w, c02);
                    c03 = v3.fma(w, c03);
                    w = FloatVector.broadcast(S, h[r1 + b]);
                    c10 = v0.fma(w, c10);
                    c11 = v1.fma(w, c11);
                    c12 = v2.fma(w, c12);
                    c13 = v3.fma(w, c13);
                }
                int o = off + a * p + j0;
                // stored here rather than by a helper: vectors passed to a call C2 does not inline are boxed
                c00.mul(scale).intoArray(x, o);
                c01.mul(scale).intoArray(x, o + L);
                c02.mul(scale).intoArray(x, o + 2 * L);
                c03.mul(scale).intoArray(x, o + 3 * L);
                c10.mul(scale).intoArray(x, o + p);
                c11.mul(scale).intoArray(x, o + p + L);
                c12.mul(scale).intoArray(x, o + p + 2 * L);
                c13.mul(scale).intoArray(x, o + p + 3 * L);
            }
        }
    }

    /**
     * Rows of one or two vectors (p = L or 2L): the whole K×p block is the tile. Four output rows per step (the order
     * of a Hadamard matrix larger than 2 is a multiple of 4, and every base size is at least 12), so four or eight
     * independent accumulators hide the FMA latency; with one row at a time, a 172-long chain of dependent FMAs per
     * vector made this path latency-bound. Every output keeps its order of summation over b, so the results are the
     * same bits as one row at a time.
     */
    private static void tiles1(float[] x, int off, int k, int p, float[] h, float scale, float[] s) {
        System.arraycopy(x, off, s, 0, k * p);
        for (int a = 0; a < k; a += 4) {
            int r0 = a * k, r1 = r0 + k, r2 = r1 + k, r3 = r2 + k;
            for (int j = 0; j < p; j += 2 * L) {
                boolean two = j + L < p;
                FloatVector z = FloatVector.zero(S);
                FloatVector c0 = z, c1 = z, c2 = z, c3 = z, d0 = z, d1 = z, d2 = z, d3 = z;
                for (int b = 0; b < k; b++) {
                    FloatVector v = FloatVector.fromArray(S, s, b * p + j);
                    FloatVector w0 = FloatVector.broadcast(S, h[r0 + b]), w1 = FloatVector.broadcast(S, h[r1 + b]);
                    FloatVector w2 = FloatVector.broadcast(S, h[r2 + b]), w3 = FloatVector.broadcast(S, h[r3 + b]);
                    c0 = v.fma(w0, c0);
                    c1 = v.fma(w1, c1);
                    c2 = v.fma(w2, c2);
                    c3 = v.fma(w3, c3);
                    if (two) {
                        FloatVector u = FloatVector.fromArray(S, s, b * p + j + L);
                        d0 = u.fma(w0, d0);
                        d1 = u.fma(w1, d1);
                        d2 = u.fma(w2, d2);
                        d3 = u.fma(w3, d3);
                    }
                }
                int o = off + a * p + j;
                c0.mul(scale).intoArray(x, o);
                c1.mul(scale).intoArray(x, o + p);
                c2.mul(scale).intoArray(x, o + 2 * p);
                c3.mul(scale).intoArray(x, o + 3 * p);
                if (two) {
                    d0.mul(scale).intoArray(x, o + L);
                    d1.mul(scale).intoArray(x, o + p + L);
                    d2.mul(scale).intoArray(x, o + 2 * p + L);
                    d3.mul(scale).intoArray(x, o + 3 * p + L);
                }
            }
        }
    }

    /**
     * Rows shorter than a vector: vectorize along the base-matrix row instead, one column of the
     * K×p block at a time (dot products of length K).
     */
    private static void columns(float[] x, int off, int k, int p, float[] h, float scale, float[] s) {
        int bound = S.loopBound(k);
        for (int j = 0; j < p; j++) {
            for (int b = 0; b < k; b++) {
                s[b] = x[off + b * p + j];
            }
            for (int a = 0; a < k; a++) {
                int row = a * k;
                float sum = 0f;
                int b = 0;
                if (bound > 0) {
                    FloatVector c = FloatVector.zero(S);
                    for (; b < bound; b += L) {
                        c = FloatVector.fromArray(S, h, row + b).fma(FloatVector.fromArray(S, s, b), c);
                    }
                    sum = Lanes.pairwise(c);
                }
                for (; b < k; b++) {
                    sum += h[row + b] * s[b];
                }
                x[off + a * p + j] = sum * scale;
            }
        }
    }
}
