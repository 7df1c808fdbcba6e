package dev.e8q.codec;

import dev.e8q.simd.Lanes;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * In-place lower Cholesky factorization (A = L Lᵀ) of a symmetric positive definite double matrix,
 * right-looking and blocked, with the panel solve split over {@link Parallel} and the trailing update done by
 * {@link Syrk}.
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
        double[] lt = new double[B * Math.max(0, n - B)];
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
            // 3. trailing update of the lower triangle, A22 −= L21 L21ᵀ, as a rank-w update: the panel's columns
            // are Syrk's tokens (transposed once, so that its reads run along rows).
            int m = n - e;
            Parallel.forRange(m, 64, (r0, r1) -> {
                for (int i = r0; i < r1; i++)
                    for (int k = 0; k < w; k++) lt[k * m + i] = a[(e + i) * n + kb + k];
            });
            Syrk.lower(lt, w, m, a, e * n + e, n, true);
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
}
