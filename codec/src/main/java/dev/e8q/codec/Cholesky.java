package dev.e8q.codec;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * In-place lower Cholesky factorization (A = L Lᵀ) of a symmetric positive definite double matrix,
 * right-looking and blocked, with the panel solve and the trailing update split over {@link Parallel}.
 * EJML's factorization is single-threaded; this one is what makes n = 4096..11008 Hessians quick.
 */
final class Cholesky {
    private static final int B = 64;
    private static final VectorSpecies<Double> S = DoubleVector.SPECIES_PREFERRED;

    private Cholesky() {}

    /**
     * Overwrites the lower triangle of a (n×n row-major) with L and zeroes the strict upper triangle.
     * Returns false (a partly overwritten) when a pivot is not positive and finite.
     */
    static boolean factor(double[] a, int n) {
        for (int kb0 = 0; kb0 < n; kb0 += B) {
            final int kb = kb0, e = Math.min(kb + B, n), w = e - kb;
            // 1. the diagonal block, unblocked
            for (int j = kb; j < e; j++) {
                double d = a[j * n + j] - dot(a, j * n + kb, a, j * n + kb, j - kb);
                if (!(d > 0) || !Double.isFinite(d)) return false;
                double l = Math.sqrt(d);
                a[j * n + j] = l;
                for (int i = j + 1; i < e; i++)
                    a[i * n + j] = (a[i * n + j] - dot(a, i * n + kb, a, j * n + kb, j - kb)) / l;
            }
            if (e == n) break;
            // 2. the panel below it: each row solves against the block's transpose
            Parallel.forRange(n - e, 64, (r0, r1) -> {
                for (int i = e + r0; i < e + r1; i++)
                    for (int j = kb; j < e; j++)
                        a[i * n + j] = (a[i * n + j] - dot(a, i * n + kb, a, j * n + kb, j - kb)) / a[j * n + j];
            });
            // 3. trailing update of the lower triangle: A22 -= L21 L21ᵀ (row i needs columns e..i)
            Parallel.forRange(n - e, 16, (r0, r1) -> {
                for (int i = e + r0; i < e + r1; i++) {
                    int io = i * n + kb, j = e;
                    for (; j + 3 <= i; j += 4) dot4(a, io, j * n + kb, n, w, a, i * n + j);
                    for (; j <= i; j++) a[i * n + j] -= dot(a, io, a, j * n + kb, w);
                }
            });
        }
        for (int i = 0; i < n; i++) java.util.Arrays.fill(a, i * n + i + 1, i * n + n, 0);
        return true;
    }

    private static double dot(double[] x, int xo, double[] y, int yo, int len) {
        int i = 0;
        double s = 0;
        if (len >= S.length()) {
            DoubleVector acc = DoubleVector.zero(S);
            for (int bound = S.loopBound(len); i < bound; i += S.length())
                acc = DoubleVector.fromArray(S, x, xo + i).fma(DoubleVector.fromArray(S, y, yo + i), acc);
            s = Lanes.sum(acc);
        }
        for (; i < len; i++) s += x[xo + i] * y[yo + i];
        return s;
    }

    /** out[outOff + t] -= dot(row at xo, row at yo + t·stride), t = 0..3: four dots sharing the x loads. */
    private static void dot4(double[] a, int xo, int yo, int stride, int len, double[] out, int outOff) {
        DoubleVector s0 = DoubleVector.zero(S), s1 = s0, s2 = s0, s3 = s0;
        int i = 0;
        for (int bound = S.loopBound(len); i < bound; i += S.length()) {
            DoubleVector x = DoubleVector.fromArray(S, a, xo + i);
            s0 = x.fma(DoubleVector.fromArray(S, a, yo + i), s0);
            s1 = x.fma(DoubleVector.fromArray(S, a, yo + stride + i), s1);
            s2 = x.fma(DoubleVector.fromArray(S, a, yo + 2 * stride + i), s2);
            s3 = x.fma(DoubleVector.fromArray(S, a, yo + 3 * stride + i), s3);
        }
        double r0 = Lanes.sum(s0), r1 = Lanes.sum(s1);
        double r2 = Lanes.sum(s2), r3 = Lanes.sum(s3);
        for (; i < len; i++) {
            double x = a[xo + i];
            r0 += x * a[yo + i];
            r1 += x * a[yo + stride + i];
            r2 += x * a[yo + 2 * stride + i];
            r3 += x * a[yo + 3 * stride + i];
        }
        out[outOff] -= r0;
        out[outOff + 1] -= r1;
        out[outOff + 2] -= r2;
        out[outOff + 3] -= r3;
    }
}
