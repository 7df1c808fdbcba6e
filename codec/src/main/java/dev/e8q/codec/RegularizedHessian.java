package dev.e8q.codec;

import org.ejml.data.DMatrixRMaj;

/**
 * SPEC §5 regularization, H ← H / mean(diag H) + σI, as a view over the caller's matrix (symmetrized as it is read).
 * It is never materialized: at Llama-7B's down_proj (n = 11008) every n × n double copy is 970 MB, and the encoder
 * reads the regularized entries only twice (rotating the Hessian, packing the proxy loss's strips).
 * The caller's matrix must not change while a view of it is in use. Padded to a Hadamard size, the padded diagonal holds
 * just σ, which keeps the padded matrix positive definite (padded input columns always see x = 0, so their weights do
 * not matter for the loss).
 */
final class RegularizedHessian {
    final int n;
    private final double[] h;
    private final double inv, sigma;
    private final boolean symmetrize;

    private RegularizedHessian(double[] h, int n, double inv, double sigma, boolean symmetrize) {
        this.h = h;
        this.n = n;
        this.inv = inv;
        this.sigma = sigma;
        this.symmetrize = symmetrize;
    }

    /** Checks shape and values of h (n × n: cols × cols of W); the view has σ = 0. */
    static RegularizedHessian of(DMatrixRMaj h, int n) {
        if (h.numRows != n || h.numCols != n)
            throw new IllegalArgumentException("Hessian must be " + n + "x" + n + " (cols × cols of W), got "
                    + h.numRows + "x" + h.numCols);
        double[] d = h.data;
        for (int i = 0; i < n * n; i++)
            if (!Double.isFinite(d[i]))
                throw new IllegalArgumentException("Hessian has a non-finite entry " + d[i] + " at (" + i / n + ", " + i % n + ")");
        double tr = 0;
        for (int i = 0; i < n; i++) tr += d[i * n + i];
        double mean = tr / n;
        if (!(mean > 0)) throw new IllegalArgumentException("Hessian diagonal mean must be > 0, got " + mean);
        return new RegularizedHessian(d, n, 1 / mean, 0, true);
    }

    /** A symmetric h (n × n row-major) taken as it is: no normalization, no damping, only its lower triangle read. */
    static RegularizedHessian asIs(double[] h, int n) {
        if (h.length != (long) n * n) throw new IllegalArgumentException("H must be " + n + "x" + n + ", has " + h.length + " entries");
        return new RegularizedHessian(h, n, 1, 0, false);
    }

    /** The same normalized matrix with σ on the diagonal. */
    RegularizedHessian damped(double s) {
        return new RegularizedHessian(h, n, inv, s, symmetrize);
    }

    /** σ, the damping on the diagonal. */
    double sigma() {
        return sigma;
    }

    /** Entry (r, c), r, c < n. */
    double at(int r, int c) {
        if (!symmetrize) return h[r * n + c];
        double v = 0.5 * (h[r * n + c] + h[c * n + r]) * inv;
        return r == c ? v + sigma : v;
    }

    /** The normalized diagonal, without σ. */
    double[] diagonal() {
        double[] d = new double[n];
        for (int i = 0; i < n; i++) d[i] = symmetrize ? 0.5 * (h[i * n + i] + h[i * n + i]) * inv : h[i * n + i];
        return d;
    }

    /** This matrix zero-padded to np × np, with σ also on the padded diagonal (row-major; for scoring and tests). */
    double[] dense(int np) {
        double[] out = new double[np * np];
        for (int r = 0; r < n; r++)
            for (int c = 0; c < n; c++) out[r * np + c] = at(r, c);
        for (int i = n; i < np; i++) out[i * np + i] = sigma;
        return out;
    }
}
