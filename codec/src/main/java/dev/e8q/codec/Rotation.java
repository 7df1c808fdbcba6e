package dev.e8q.codec;

import dev.e8q.hadamard.Hadamard;

/**
 * The randomized Hadamard transform applied to whole matrices (SPEC §4.1), always with the fast transform
 * on rows and, through a transpose, on columns; never a dense n×n product.
 */
final class Rotation {
    private Rotation() {}

    /**
     * Wr = M_mᵀ · diag(sv) · pad(w)·scale · diag(su) · M_n, with w rows×cols zero-padded to m×n
     * (m = sv.length, n = su.length).
     */
    static float[] rotate(float[] w, int rows, int cols, float[] su, float[] sv, float scale) {
        int m = sv.length, n = su.length;
        float[] a = new float[m * n];
        Parallel.forRange(rows, 8, (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int o = r * n;
                float f = sv[r] * scale;
                for (int c = 0; c < cols; c++) a[o + c] = w[r * cols + c] * su[c] * f;
                Hadamard.transformTransposed(a, o, n);
            }
        });
        // Padded rows are zero before the column transform; they stay zero under the row transform.
        float[] t = transpose(a, m, n);
        Parallel.forRange(n, 8, (c0, c1) -> {
            for (int c = c0; c < c1; c++) Hadamard.transformTransposed(t, c * m, m);
        });
        return transpose(t, n, m);
    }

    /** crop(diag(sv) · M_m · x · M_nᵀ · diag(su)) to rows×cols, x being m×n. */
    static float[] unrotate(float[] x, float[] su, float[] sv, int rows, int cols) {
        int m = sv.length, n = su.length;
        float[] a = x.clone();
        Parallel.forRange(m, 8, (r0, r1) -> {
            for (int r = r0; r < r1; r++) Hadamard.transform(a, r * n, n); // row of x·M_nᵀ = M_n·row
        });
        float[] t = transpose(a, m, n);
        Parallel.forRange(cols, 8, (c0, c1) -> {
            for (int c = c0; c < c1; c++) Hadamard.transform(t, c * m, m);
        });
        float[] out = new float[rows * cols];
        Parallel.forRange(rows, 8, (r0, r1) -> {
            for (int r = r0; r < r1; r++)
                for (int c = 0; c < cols; c++) out[r * cols + c] = sv[r] * t[c * m + r] * su[c];
        });
        return out;
    }

    /**
     * Hr = M_nᵀ · diag(su) · pad(h) · diag(su) · M_n, h zero-padded to n = su.length with h's σ also on the padded diagonal.
     * The only n × n array it allocates is the result: h is read through its view and the transpose is in place.
     */
    static double[] rotateHessian(RegularizedHessian h, float[] su) {
        int n = su.length, k = h.n;
        double[] a = new double[n * n];
        Parallel.forRange(n, 8, (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int o = r * n;
                for (int c = 0; c < n; c++) {
                    double v = r < k && c < k ? h.at(r, c) : r == c ? h.sigma() : 0.0;
                    a[o + c] = v * su[c] * su[r]; // the padding's zeros keep their signs: the bits stay those of a dense copy
                }
                Hadamard.transformTransposed(a, o, n);
            }
        });
        // a = S h S M; the columns still need M_nᵀ: transpose, transform rows, and (Hr being symmetric)
        // symmetrize instead of transposing back, which also removes rounding asymmetry.
        transposeInPlace(a, n);
        Parallel.forRange(n, 8, (r0, r1) -> {
            for (int r = r0; r < r1; r++) Hadamard.transformTransposed(a, r * n, n);
        });
        Parallel.forRange(n, 8, (r0, r1) -> {
            for (int r = r0; r < r1; r++)
                for (int c = 0; c < r; c++) {
                    double v = 0.5 * (a[r * n + c] + a[c * n + r]);
                    a[r * n + c] = v;
                    a[c * n + r] = v;
                }
        });
        return a;
    }

    /** Cache-blocked transpose of a rows×cols row-major matrix. */
    static float[] transpose(float[] a, int rows, int cols) {
        float[] t = new float[a.length];
        int b = 32;
        Parallel.forRange((rows + b - 1) / b, 1, (i0, i1) -> {
            for (int bi = i0 * b; bi < Math.min(rows, i1 * b); bi += b)
                for (int bj = 0; bj < cols; bj += b)
                    for (int i = bi; i < Math.min(rows, bi + b); i++)
                        for (int j = bj; j < Math.min(cols, bj + b); j++) t[j * rows + i] = a[i * cols + j];
        });
        return t;
    }

    /** Transposes a square n×n row-major matrix in place, 32 × 32 blocks at a time (block pairs split over threads). */
    static void transposeInPlace(double[] a, int n) {
        int b = 32, nb = (n + b - 1) / b;
        Parallel.forRange(nb, 1, (i0, i1) -> {
            for (int bi = i0; bi < i1; bi++)
                for (int bj = bi; bj < nb; bj++)
                    for (int i = bi * b; i < Math.min(n, bi * b + b); i++)
                        for (int j = Math.max(bj * b, i + 1); j < Math.min(n, bj * b + b); j++) {
                            double t = a[i * n + j];
                            a[i * n + j] = a[j * n + i];
                            a[j * n + i] = t;
                        }
        });
    }
}
