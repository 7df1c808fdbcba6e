package dev.e8q.convert;

import dev.e8q.codec.Syrk;
import org.ejml.data.DMatrixRMaj;

/**
 * Accumulates Σ x xᵀ (fp64) and the token count of one linear group's inputs, plus per-channel activation
 * statistics. Deterministic: each entry of the sum is accumulated in the order the batches (and, inside a batch,
 * the rows) arrive, whatever the thread count — threads split the rows of the matrix, never the sum over tokens.
 */
final class Hessian {
    final int n;
    private double[] sum; // lower triangle used until takeSecondMoment(), null after it
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
        if (wantMatrix && sum == null) throw new IllegalStateException("the Hessian was already taken; no more inputs can be added");
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
        Syrk.lower(xd, rows, n, sum, 0, n, false);
    }

    /**
     * E[x xᵀ] (the uncentered second moment QuIP# quantizes with), n × n, made in the accumulator's own array and handed
     * over: this accumulator no longer holds it, so it is freed as soon as the caller is done (at n = 11008 it is 970 MB).
     * Once only; the statistics stay.
     */
    DMatrixRMaj takeSecondMoment() {
        if (!wantMatrix) throw new IllegalStateException("statistics-only accumulator has no Hessian");
        if (sum == null) throw new IllegalStateException("the Hessian was already taken");
        if (count == 0) throw new IllegalStateException("no calibration tokens were seen");
        double[] h = sum;
        double inv = 1.0 / count;
        for (int i = 0; i < n; i++)
            for (int j = 0; j <= i; j++) {
                double v = h[i * n + j] * inv;
                h[i * n + j] = v;
                h[j * n + i] = v;
            }
        sum = null;
        return DMatrixRMaj.wrap(n, n, h);
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
