package dev.e8q.convert;

import dev.e8q.codec.Parallel;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorSpecies;
import org.ejml.data.DMatrixRMaj;

/**
 * Accumulates Σ x xᵀ (fp64) and the token count of one linear group's inputs, plus per-channel activation
 * statistics. Deterministic: each entry of the sum is accumulated in the order the batches (and, inside a batch,
 * the rows) arrive, whatever the thread count — threads split the rows of the matrix, never the sum over tokens.
 */
final class Hessian {
    private static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;
    final int n;
    private final double[] sum; // lower triangle used until finish()
    private final boolean wantMatrix;
    long count;
    final double[] min, max, s1, s2, sAbs;

    /** @param wantMatrix false: statistics only (resumed layers need no Hessian) */
    Hessian(int n, boolean wantMatrix) {
        this.n = n;
        this.wantMatrix = wantMatrix;
        this.sum = wantMatrix ? new double[n * n] : null;
        min = new double[n];
        max = new double[n];
        s1 = new double[n];
        s2 = new double[n];
        sAbs = new double[n];
        java.util.Arrays.fill(min, Double.POSITIVE_INFINITY);
        java.util.Arrays.fill(max, Double.NEGATIVE_INFINITY);
    }

    /** Adds rows × n inputs (row-major). */
    void add(float[] x, int rows, int cols) {
        if (cols != n) throw new IllegalArgumentException("input has " + cols + " features, Hessian is " + n + "x" + n);
        for (int t = 0; t < rows; t++) {
            int o = t * n;
            for (int j = 0; j < n; j++) {
                double v = x[o + j];
                if (v < min[j]) min[j] = v;
                if (v > max[j]) max[j] = v;
                s1[j] += v;
                s2[j] += v * v;
                sAbs[j] += Math.abs(v);
            }
        }
        count += rows;
        if (!wantMatrix) return;
        double[] xd = new double[rows * n];
        for (int i = 0; i < xd.length; i++) xd[i] = x[i];
        // Tiles of R rows: row i0+r of the lower triangle needs columns 0..i0+r, so a tile costs about i0+R columns.
        int tiles = (n + R - 1) / R;
        Parallel.forRange(tiles, 4, (a, b) -> {
            for (int tile = a; tile < b; tile++) accumulateTile(xd, rows, n, tile * R, sum);
        });
    }

    /** Rows per tile of {@link #accumulateTile}: with two vectors of columns, 8 accumulators stay in registers. */
    static final int R = 4;

    /**
     * sum[i][j] = fma(x[t][i], x[t][j], sum[i][j]) for t = 0..rows−1 in order, for the rows i of one tile and every
     * column j up to its last row's diagonal. Each entry sees the same chain of fused multiply-adds as a plain loop
     * over t, so the result does not depend on the tiling; the tile only keeps its sums in registers while the
     * tokens stream past, instead of loading and storing a row of the sum for every token. Entries above the
     * diagonal inside the last column block are computed too (that part of the array is never read).
     */
    static void accumulateTile(double[] x, int rows, int n, int i0, double[] sum) {
        int rs = Math.min(R, n - i0), cEnd = i0 + rs, L = D.length();
        if (rs < R) {
            for (int r = 0; r < rs; r++) accumulateRow(x, rows, n, i0 + r, cEnd, sum);
            return;
        }
        int o0 = i0 * n, o1 = o0 + n, o2 = o1 + n, o3 = o2 + n;
        int j = 0;
        for (; j + 2 * L <= cEnd; j += 2 * L) {
            int k = j + L;
            DoubleVector a0 = DoubleVector.fromArray(D, sum, o0 + j), b0 = DoubleVector.fromArray(D, sum, o0 + k);
            DoubleVector a1 = DoubleVector.fromArray(D, sum, o1 + j), b1 = DoubleVector.fromArray(D, sum, o1 + k);
            DoubleVector a2 = DoubleVector.fromArray(D, sum, o2 + j), b2 = DoubleVector.fromArray(D, sum, o2 + k);
            DoubleVector a3 = DoubleVector.fromArray(D, sum, o3 + j), b3 = DoubleVector.fromArray(D, sum, o3 + k);
            for (int t = 0, xo = 0; t < rows; t++, xo += n) {
                DoubleVector u = DoubleVector.fromArray(D, x, xo + j), v = DoubleVector.fromArray(D, x, xo + k);
                DoubleVector s0 = DoubleVector.broadcast(D, x[xo + i0]), s1 = DoubleVector.broadcast(D, x[xo + i0 + 1]);
                DoubleVector s2 = DoubleVector.broadcast(D, x[xo + i0 + 2]), s3 = DoubleVector.broadcast(D, x[xo + i0 + 3]);
                a0 = s0.fma(u, a0);
                b0 = s0.fma(v, b0);
                a1 = s1.fma(u, a1);
                b1 = s1.fma(v, b1);
                a2 = s2.fma(u, a2);
                b2 = s2.fma(v, b2);
                a3 = s3.fma(u, a3);
                b3 = s3.fma(v, b3);
            }
            a0.intoArray(sum, o0 + j);
            b0.intoArray(sum, o0 + k);
            a1.intoArray(sum, o1 + j);
            b1.intoArray(sum, o1 + k);
            a2.intoArray(sum, o2 + j);
            b2.intoArray(sum, o2 + k);
            a3.intoArray(sum, o3 + j);
            b3.intoArray(sum, o3 + k);
        }
        for (; j + L <= cEnd; j += L) {
            DoubleVector a0 = DoubleVector.fromArray(D, sum, o0 + j), a1 = DoubleVector.fromArray(D, sum, o1 + j);
            DoubleVector a2 = DoubleVector.fromArray(D, sum, o2 + j), a3 = DoubleVector.fromArray(D, sum, o3 + j);
            for (int t = 0, xo = 0; t < rows; t++, xo += n) {
                DoubleVector u = DoubleVector.fromArray(D, x, xo + j);
                a0 = DoubleVector.broadcast(D, x[xo + i0]).fma(u, a0);
                a1 = DoubleVector.broadcast(D, x[xo + i0 + 1]).fma(u, a1);
                a2 = DoubleVector.broadcast(D, x[xo + i0 + 2]).fma(u, a2);
                a3 = DoubleVector.broadcast(D, x[xo + i0 + 3]).fma(u, a3);
            }
            a0.intoArray(sum, o0 + j);
            a1.intoArray(sum, o1 + j);
            a2.intoArray(sum, o2 + j);
            a3.intoArray(sum, o3 + j);
        }
        for (int r = 0; r < R; r++) {
            int o = o0 + r * n, i = i0 + r;
            for (int jj = j; jj < cEnd; jj++) {
                double s = sum[o + jj];
                for (int t = 0, xo = 0; t < rows; t++, xo += n) s = Math.fma(x[xo + i], x[xo + jj], s);
                sum[o + jj] = s;
            }
        }
    }

    /** One row's columns 0..cEnd−1, the same fma chains as {@link #accumulateTile}. */
    private static void accumulateRow(double[] x, int rows, int n, int i, int cEnd, double[] sum) {
        int o = i * n, L = D.length(), j = 0;
        for (; j + L <= cEnd; j += L) {
            DoubleVector a = DoubleVector.fromArray(D, sum, o + j);
            for (int t = 0, xo = 0; t < rows; t++, xo += n) a = DoubleVector.broadcast(D, x[xo + i]).fma(DoubleVector.fromArray(D, x, xo + j), a);
            a.intoArray(sum, o + j);
        }
        for (; j < cEnd; j++) {
            double s = sum[o + j];
            for (int t = 0, xo = 0; t < rows; t++, xo += n) s = Math.fma(x[xo + i], x[xo + j], s);
            sum[o + j] = s;
        }
    }

    /** E[x xᵀ] (the uncentered second moment QuIP# quantizes with), n × n. */
    DMatrixRMaj secondMoment() {
        if (!wantMatrix) throw new IllegalStateException("statistics-only accumulator has no Hessian");
        if (count == 0) throw new IllegalStateException("no calibration tokens were seen");
        DMatrixRMaj h = new DMatrixRMaj(n, n);
        double inv = 1.0 / count;
        for (int i = 0; i < n; i++)
            for (int j = 0; j <= i; j++) {
                double v = sum[i * n + j] * inv;
                h.data[i * n + j] = v;
                h.data[j * n + i] = v;
            }
        return h;
    }

    /** Per-channel statistics as a JSON-ready map (min, max, mean, std, mean_abs). */
    java.util.Map<String, Object> stats() {
        java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
        double[] mean = new double[n], std = new double[n], mabs = new double[n];
        for (int j = 0; j < n; j++) {
            mean[j] = s1[j] / count;
            std[j] = Math.sqrt(Math.max(0, s2[j] / count - mean[j] * mean[j]));
            mabs[j] = sAbs[j] / count;
        }
        m.put("channels", n);
        m.put("tokens", count);
        m.put("min", round(min));
        m.put("max", round(max));
        m.put("mean", round(mean));
        m.put("std", round(std));
        m.put("mean_abs", round(mabs));
        return m;
    }

    /** float precision is plenty for a report and halves the JSON. */
    private static float[] round(double[] a) {
        float[] f = new float[a.length];
        for (int i = 0; i < a.length; i++) f[i] = (float) a[i];
        return f;
    }
}
