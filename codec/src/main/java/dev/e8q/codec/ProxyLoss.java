package dev.e8q.codec;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * SPEC §5's reported errors in the original basis: the proxy loss tr((Ŵ−W)H(Ŵ−W)ᵀ)/tr(WHWᵀ) and the relative
 * Frobenius error ‖Ŵ−W‖²/‖W‖². Both are ratios, so they do not change when W is RMS-normalized first (the
 * SPEC's convention) — they are computed on W as given.
 */
public final class ProxyLoss {
    private ProxyLoss() {}

    /**
     * The Hessian the encoder's reported proxy loss uses: h / mean(diag h) + σ·I (n×n, row-major), so that
     * other methods (RTN baselines, plain rounding) can be scored the same way.
     */
    public static double[] regularizedHessian(org.ejml.data.DMatrixRMaj h, double sigma) {
        int n = h.numRows;
        return RegularizedHessian.of(h, n).damped(sigma).dense(n);
    }

    /** ‖ŵ−w‖²/‖w‖² (0 when both are zero). */
    public static double relativeError(float[] w, float[] what) {
        if (w.length != what.length) throw new IllegalArgumentException("lengths differ: " + w.length + " vs " + what.length);
        double num = 0, den = 0;
        for (int i = 0; i < w.length; i++) {
            double d = (double) what[i] - w[i];
            num += d * d;
            den += (double) w[i] * w[i];
        }
        return den == 0 ? (num == 0 ? 0 : Double.POSITIVE_INFINITY) : num / den;
    }

    /**
     * tr(EHEᵀ)/tr(WHWᵀ) with E = ŵ−w, w and ŵ rows × n, h symmetric n×n row-major. Uses the symmetry of H
     * (diagonal plus twice the strict upper triangle), so it costs rows·n² multiply-adds for both traces.
     */
    public static double proxyLoss(float[] w, float[] what, int rows, int n, double[] h) {
        if (what == null || what.length != w.length)
            throw new IllegalArgumentException("proxy loss needs W and Ŵ of " + rows + "x" + n + " and an " + n + "x" + n + " H");
        if (h == null || h.length != (long) n * n || w.length != (long) rows * n)
            throw new IllegalArgumentException("proxy loss needs W and Ŵ of " + rows + "x" + n + " and an " + n + "x" + n + " H");
        return new Scorer(w, rows, RegularizedHessian.asIs(h, n)).score(what);
    }

    /** Proxy losses of several Ŵ against one W and H: H's packed copy and tr(WHWᵀ) are made once. */
    static final class Scorer {
        private final float[] w, hs, diag;
        private final int rows, n;
        private final double den;

        Scorer(float[] w, int rows, RegularizedHessian h) {
            int n = h.n;
            if (w.length != (long) rows * n)
                throw new IllegalArgumentException("proxy loss needs W and Ŵ of " + rows + "x" + n + " and an " + n + "x" + n + " H");
            this.w = w;
            this.rows = rows;
            this.n = n;
            diag = new float[n];
            for (int j = 0; j < n; j++) diag[j] = (float) h.at(j, j);
            hs = strips(h);
            den = quadraticForm(w, null, rows, n, hs, diag);
        }

        double score(float[] what) {
            if (what.length != w.length)
                throw new IllegalArgumentException("proxy loss needs W and Ŵ of " + rows + "x" + n + " and an " + n + "x" + n + " H");
            double num = quadraticForm(w, what, rows, n, hs, diag);
            return den == 0 ? (num == 0 ? 0 : Double.POSITIVE_INFINITY) : num / den;
        }
    }

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length(), SW = 2 * L;

    /**
     * H's strict lower triangle in float, cut into strips of SW columns, each stored row after row: strip s holds
     * H[c][SW·s + k] at (s·n + c)·SW + k, zero where SW·s + k ≥ c or ≥ n. A strip is read front to back.
     */
    private static float[] strips(RegularizedHessian h) {
        int n = h.n, ns = (n + SW - 1) / SW;
        float[] hs = new float[ns * n * SW];
        Parallel.forRange(n, 64, (c0, c1) -> {
            for (int c = c0; c < c1; c++)
                for (int j = 0; j < c; j++) hs[((j / SW) * n + c) * SW + j % SW] = (float) h.at(c, j);
        });
        return hs;
    }

    /** Rows of x per task; the tile's partial sums are added in tile order. */
    private static final int TILE = 32;

    /**
     * Σ over rows of x H xᵀ = Σ_j x_j (H_jj x_j + 2 Σ_{c>j} H_cj x_c), x the rows of ŵ−w (or of w when what is null).
     * The inner sums for 4 rows and SW columns j at a time run over c in registers (a triangular matrix product of x
     * with H's strips); each row's terms are then added in double in the order of j. Tiles of rows are summed in tile
     * order, so the result is the same on any thread count.
     */
    private static double quadraticForm(float[] w, float[] what, int rows, int n, float[] hs, float[] diag) {
        int tiles = (rows + TILE - 1) / TILE, ns = (n + SW - 1) / SW;
        double[] part = new double[tiles];
        Parallel.forRange(tiles, 1, (b0, b1) -> {
            float[] x = new float[TILE * n]; // the tile's rows, zero rows past the last
            float[] rest = new float[4 * SW];
            double[] acc = new double[TILE];
            for (int b = b0; b < b1; b++) {
                int r0 = b * TILE, t = Math.min(TILE, rows - r0);
                for (int i = 0; i < t * n; i++) {
                    int o = r0 * n + i;
                    x[i] = what == null ? w[o] : what[o] - w[o];
                }
                java.util.Arrays.fill(x, t * n, TILE * n, 0);
                java.util.Arrays.fill(acc, 0);
                for (int s = 0; s < ns; s++) {
                    int j0 = s * SW, cols = Math.min(SW, n - j0);
                    for (int q = 0; q < t; q += 4) {
                        strip(x, q * n, n, hs, s * n * SW, j0 + 1, rest);
                        for (int r = 0; r < Math.min(4, t - q); r++) {
                            int xo = (q + r) * n;
                            double a = acc[q + r];
                            for (int k = 0; k < cols; k++) {
                                float xj = x[xo + j0 + k];
                                if (xj != 0) a += xj * (diag[j0 + k] * (double) xj + 2.0 * rest[r * SW + k]);
                            }
                            acc[q + r] = a;
                        }
                    }
                }
                double a = 0;
                for (int i = 0; i < t; i++) a += acc[i];
                part[b] = a;
            }
        });
        double sum = 0;
        for (double v : part) sum += v;
        return sum;
    }

    /**
     * rest[r][k] = Σ_{c ≥ c0} x[r][c] · strip[c][k] for the 4 rows at xo (n apart): 8 accumulators, 4 broadcasts and 2
     * loads of the strip per step. Entries of the strip at or above the diagonal are zero, so c may start below it.
     */
    private static void strip(float[] x, int xo, int n, float[] hs, int so, int c0, float[] rest) {
        FloatVector a0 = FloatVector.zero(F), b0 = a0, a1 = a0, b1 = a0, a2 = a0, b2 = a0, a3 = a0, b3 = a0;
        int x0 = xo, x1 = x0 + n, x2 = x1 + n, x3 = x2 + n;
        for (int c = c0; c < n; c++) {
            int ho = so + c * SW;
            FloatVector u = FloatVector.fromArray(F, hs, ho), v = FloatVector.fromArray(F, hs, ho + L);
            FloatVector s0 = FloatVector.broadcast(F, x[x0 + c]), s1 = FloatVector.broadcast(F, x[x1 + c]);
            FloatVector s2 = FloatVector.broadcast(F, x[x2 + c]), s3 = FloatVector.broadcast(F, x[x3 + c]);
            a0 = s0.fma(u, a0);
            b0 = s0.fma(v, b0);
            a1 = s1.fma(u, a1);
            b1 = s1.fma(v, b1);
            a2 = s2.fma(u, a2);
            b2 = s2.fma(v, b2);
            a3 = s3.fma(u, a3);
            b3 = s3.fma(v, b3);
        }
        a0.intoArray(rest, 0);
        b0.intoArray(rest, L);
        a1.intoArray(rest, SW);
        b1.intoArray(rest, SW + L);
        a2.intoArray(rest, 2 * SW);
        b2.intoArray(rest, 2 * SW + L);
        a3.intoArray(rest, 3 * SW);
        b3.intoArray(rest, 3 * SW + L);
    }
}
