package dev.e8q.codec;

/**
 * Block LDL factorization with 8×8 blocks (SPEC §5): Hr = L D Lᵀ where L is lower block-unitriangular and D
 * block diagonal. Computed from the Cholesky factor Lc ({@link Cholesky}) (Hr = Lc Lcᵀ): L = Lc·blockdiag(Δ_k⁻¹), D =
 * blockdiag(Δ_k Δ_kᵀ), Δ_k the k-th diagonal 8×8 block of Lc.
 */
public final class BlockLdl {
    public static final int G = 8;

    /** L (n×n row-major, unit diagonal blocks) and D (n/8 blocks of 8×8, row-major, concatenated). */
    public record Factors(int n, double[] l, double[] d) {}

    private BlockLdl() {}

    /**
     * Factors a symmetric n×n matrix (row-major, n % 8 == 0). Returns null when it is not numerically
     * positive definite (Cholesky fails or yields a non-finite or non-positive pivot); the caller decides
     * whether to damp more.
     */
    public static Factors factor(double[] h, int n) {
        check(h, n);
        return factorInPlace(h.clone(), n);
    }

    /**
     * {@link #factor} without a copy: h is overwritten, with L when it succeeds (the result's {@code l} is h) and with
     * a partial factor when it fails. Same bits as {@link #factor}.
     */
    static Factors factorInPlace(double[] h, int n) {
        check(h, n);
        double[] lc = h;
        if (!Cholesky.factor(lc, n)) return null;
        for (int i = 0; i < n; i++) {
            double p = lc[i * n + i];
            if (!(p > 0) || !Double.isFinite(p)) return null;
        }
        for (double v : lc) if (!Double.isFinite(v)) return null;
        double[] d = new double[n / G * G * G];
        double[] inv = new double[G * G];
        for (int k = 0; k < n / G; k++) {
            int b = k * G;
            invertLower(lc, n, b, inv);
            // D_k = Δ_k Δ_kᵀ
            for (int i = 0; i < G; i++)
                for (int j = 0; j < G; j++) {
                    double s = 0;
                    for (int t = 0; t <= Math.min(i, j); t++) s += lc[(b + i) * n + b + t] * lc[(b + j) * n + b + t];
                    d[k * G * G + i * G + j] = s;
                }
            // L[:, block k] = Lc[:, block k] · Δ_k⁻¹ for the rows at and below the block, in place: column j reads
            // Lc's columns t ≥ j only, so ascending j never reads a written entry; later blocks read only their own
            // columns, and rows above the block hold Cholesky's zeros in these columns.
            for (int r = b; r < n; r++) {
                for (int j = 0; j < G; j++) {
                    double s = 0;
                    for (int t = j; t < G; t++) s += lc[r * n + b + t] * inv[t * G + j];
                    lc[r * n + b + j] = s;
                }
            }
        }
        return new Factors(n, lc, d);
    }

    private static void check(double[] h, int n) {
        if (n % G != 0 || h.length != (long) n * n)
            throw new IllegalArgumentException("block LDL needs an n×n matrix with n % 8 == 0, got n=" + n + ", " + h.length + " entries");
    }

    /** inv = (lower-triangular 8×8 block of a at (b,b))⁻¹, by forward substitution. */
    private static void invertLower(double[] a, int n, int b, double[] inv) {
        java.util.Arrays.fill(inv, 0);
        for (int c = 0; c < G; c++) {
            for (int i = c; i < G; i++) {
                double s = i == c ? 1 : 0;
                for (int t = c; t < i; t++) s -= a[(b + i) * n + b + t] * inv[t * G + c];
                inv[i * G + c] = s / a[(b + i) * n + b + i];
            }
        }
    }

    /** L D Lᵀ, for tests. */
    public static double[] reconstruct(Factors f) {
        int n = f.n();
        double[] ld = new double[n * n];
        for (int r = 0; r < n; r++)
            for (int k = 0; k < n / G; k++)
                for (int j = 0; j < G; j++) {
                    double s = 0;
                    for (int t = 0; t < G; t++) s += f.l()[r * n + k * G + t] * f.d()[k * G * G + t * G + j];
                    ld[r * n + k * G + j] = s;
                }
        double[] out = new double[n * n];
        for (int r = 0; r < n; r++)
            for (int c = 0; c < n; c++) {
                double s = 0;
                for (int t = 0; t < n; t++) s += ld[r * n + t] * f.l()[c * n + t];
                out[r * n + c] = s;
            }
        return out;
    }
}
