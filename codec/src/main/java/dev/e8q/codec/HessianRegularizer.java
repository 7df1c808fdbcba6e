package dev.e8q.codec;

import org.ejml.data.DMatrixRMaj;

/**
 * SPEC §5 regularization: H ← H / mean(diag H), then H_ii += σ. The Hessian is zero-padded to the padded
 * input dimension first; the padded diagonal then holds just σ, which keeps the padded matrix positive
 * definite (padded input columns always see x = 0, so their weights do not matter for the loss).
 */
final class HessianRegularizer {
    private HessianRegularizer() {}

    /** Checks shape and values; returns the symmetrized copy (row-major, n×n) normalized to mean diagonal 1. */
    static double[] normalized(DMatrixRMaj h, int n) {
        if (h.numRows != n || h.numCols != n)
            throw new IllegalArgumentException("Hessian must be " + n + "x" + n + " (cols × cols of W), got "
                    + h.numRows + "x" + h.numCols);
        double[] d = h.data;
        double tr = 0;
        for (int i = 0; i < n * n; i++)
            if (!Double.isFinite(d[i]))
                throw new IllegalArgumentException("Hessian has a non-finite entry " + d[i] + " at (" + i / n + ", " + i % n + ")");
        for (int i = 0; i < n; i++) tr += d[i * n + i];
        double mean = tr / n;
        if (!(mean > 0)) throw new IllegalArgumentException("Hessian diagonal mean must be > 0, got " + mean);
        double[] out = new double[n * n];
        double inv = 1 / mean;
        for (int r = 0; r < n; r++)
            for (int c = 0; c < n; c++) out[r * n + c] = 0.5 * (d[r * n + c] + d[c * n + r]) * inv;
        return out;
    }

    /** normalized (n×n) padded with zeros to np×np, plus σ on the whole diagonal. */
    static double[] dampedPadded(double[] normalized, int n, int np, double sigma) {
        double[] out = new double[np * np];
        for (int r = 0; r < n; r++) System.arraycopy(normalized, r * n, out, r * np, n);
        for (int i = 0; i < np; i++) out[i * np + i] += sigma;
        return out;
    }
}
