package dev.e8q.hadamard;

/**
 * Slow, obviously-correct versions of M_n = (hadK ⊗ H_{n/K}) / √n straight from the SPEC §4.1
 * definition, in double, to check the fast kernels against.
 */
final class Reference {
    private Reference() {}

    /** Sylvester entry H_p[r][c] = (−1)^popcount(r & c). */
    static int sylvester(int r, int c) {
        return (Integer.bitCount(r & c) & 1) == 0 ? 1 : -1;
    }

    /** Dense M_n, row-major n×n, from the Kronecker formula with index = a·(n/K) + j. */
    static double[][] dense(int n, int k, byte[] hadK) {
        int p = n / k;
        double scale = 1.0 / Math.sqrt(n);
        double[][] m = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                m[i][j] = hadK[(i / p) * k + (j / p)] * sylvester(i % p, j % p) * scale;
            }
        }
        return m;
    }

    /**
     * M_n x (or M_nᵀ x) without the dense matrix: textbook butterflies on each length-p row, then
     * the K×K base matrix across rows, all in double.
     */
    static double[] apply(double[] x, int k, byte[] hadK, boolean transposed) {
        int n = x.length;
        int p = n / k;
        double[] y = x.clone();
        for (int a = 0; a < k; a++) {
            for (int h = 1; h < p; h *= 2) {
                for (int i = 0; i < p; i += 2 * h) {
                    for (int j = i; j < i + h; j++) {
                        double u = y[a * p + j], v = y[a * p + j + h];
                        y[a * p + j] = u + v;
                        y[a * p + j + h] = u - v;
                    }
                }
            }
        }
        double[] out = new double[n];
        double scale = 1.0 / Math.sqrt(n);
        for (int a = 0; a < k; a++) {
            for (int b = 0; b < k; b++) {
                int h = transposed ? hadK[b * k + a] : hadK[a * k + b];
                for (int j = 0; j < p; j++) {
                    out[a * p + j] += h * y[b * p + j];
                }
            }
        }
        for (int i = 0; i < n; i++) {
            out[i] *= scale;
        }
        return out;
    }
}
