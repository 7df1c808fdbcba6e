package dev.e8q.codec;

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
        return HessianRegularizer.dampedPadded(HessianRegularizer.normalized(h, n), n, n, sigma);
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
        return new Scorer(w, rows, n, h).score(what);
    }

    /** Proxy losses of several Ŵ against one W and H: H in float and tr(WHWᵀ) are computed once. */
    static final class Scorer {
        private final float[] w, hf;
        private final int rows, n;
        private final double den;

        Scorer(float[] w, int rows, int n, double[] h) {
            if (w.length != (long) rows * n || h.length != (long) n * n)
                throw new IllegalArgumentException("proxy loss needs W and Ŵ of " + rows + "x" + n + " and an " + n + "x" + n + " H");
            this.w = w;
            this.rows = rows;
            this.n = n;
            hf = new float[n * n];
            for (int i = 0; i < hf.length; i++) hf[i] = (float) h[i];
            den = quadraticForm(w, null, rows, n, hf);
        }

        double score(float[] what) {
            if (what.length != w.length)
                throw new IllegalArgumentException("proxy loss needs W and Ŵ of " + rows + "x" + n + " and an " + n + "x" + n + " H");
            double num = quadraticForm(w, what, rows, n, hf);
            return den == 0 ? (num == 0 ? 0 : Double.POSITIVE_INFINITY) : num / den;
        }
    }

    /**
     * Σ over rows of x H xᵀ, x the rows of ŵ−w (or of w when what is null). Tiles of rows are summed in tile order, so
     * the result is the same on any thread count.
     */
    private static double quadraticForm(float[] w, float[] what, int rows, int n, float[] hf) {
        // Tiles of rows share each streamed row of H (H does not fit in cache for Llama widths).
        int tile = 32, tiles = (rows + tile - 1) / tile;
        double[] part = new double[tiles];
        Parallel.forRange(tiles, 1, (b0, b1) -> {
            float[] x = new float[tile * n];
            double[] acc = new double[tile];
            float[] rest = new float[4];
            for (int b = b0; b < b1; b++) {
                int r0 = b * tile, t = Math.min(tile, rows - r0);
                for (int i = 0; i < t * n; i++) {
                    int o = r0 * n + i;
                    x[i] = what == null ? w[o] : what[o] - w[o];
                }
                java.util.Arrays.fill(acc, 0);
                for (int j = 0; j < n; j++) {
                    int len = n - j - 1, ho = j * n + j + 1;
                    float hjj = hf[j * n + j];
                    int i = 0;
                    // Four rows at a time: four independent sums over one load of H (the same sums as VecOps.dot).
                    for (; i + 4 <= t; i += 4) {
                        int xo = i * n + j;
                        if (x[xo] == 0 && x[xo + n] == 0 && x[xo + 2 * n] == 0 && x[xo + 3 * n] == 0) continue;
                        VecOps.dot4(hf, ho, x, xo + 1, n, len, rest);
                        for (int k = 0; k < 4; k++) {
                            float xj = x[xo + k * n];
                            if (xj != 0) acc[i + k] += xj * (hjj * (double) xj + 2.0 * rest[k]);
                        }
                    }
                    for (; i < t; i++) {
                        float xj = x[i * n + j];
                        if (xj == 0) continue;
                        float r = len > 0 ? VecOps.dot(hf, ho, x, i * n + j + 1, len) : 0;
                        acc[i] += xj * (hjj * (double) xj + 2.0 * r);
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
}
