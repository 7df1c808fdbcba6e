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
     * Hr = M_nᵀ · diag(su) · h · diag(su) · M_n for a symmetric n×n h (row-major double), in place on a copy.
     */
    static double[] rotateHessian(double[] h, float[] su) {
        int n = su.length;
        double[] a = new double[n * n];
        Parallel.forRange(n, 8, (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int o = r * n;
                for (int c = 0; c < n; c++) a[o + c] = h[o + c] * su[c] * su[r];
                Hadamard.transformTransposed(a, o, n);
            }
        });
        // a = S h S M; the columns still need M_nᵀ: transpose, transform rows, and (Hr being symmetric)
        // symmetrize instead of transposing back, which also removes rounding asymmetry.
        double[] t = transpose(a, n);
        Parallel.forRange(n, 8, (r0, r1) -> {
            for (int r = r0; r < r1; r++) Hadamard.transformTransposed(t, r * n, n);
        });
        Parallel.forRange(n, 8, (r0, r1) -> {
            for (int r = r0; r < r1; r++)
                for (int c = 0; c < r; c++) {
                    double v = 0.5 * (t[r * n + c] + t[c * n + r]);
                    t[r * n + c] = v;
                    t[c * n + r] = v;
                }
        });
        return t;
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

    static double[] transpose(double[] a, int n) {
        double[] t = new double[a.length];
        int b = 32;
        Parallel.forRange((n + b - 1) / b, 1, (i0, i1) -> {
            for (int bi = i0 * b; bi < Math.min(n, i1 * b); bi += b)
                for (int bj = 0; bj < n; bj += b)
                    for (int i = bi; i < Math.min(n, bi + b); i++)
                        for (int j = bj; j < Math.min(n, bj + b); j++) t[j * n + i] = a[i * n + j];
        });
        return t;
    }
}
