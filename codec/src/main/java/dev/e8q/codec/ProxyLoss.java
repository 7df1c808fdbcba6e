package dev.e8q.codec;

import java.util.concurrent.atomic.DoubleAdder;

/**
 * SPEC §5's reported errors in the original basis: the proxy loss tr((Ŵ−W)H(Ŵ−W)ᵀ)/tr(WHWᵀ) and the relative
 * Frobenius error ‖Ŵ−W‖²/‖W‖². Both are ratios, so they do not change when W is RMS-normalized first (the
 * SPEC's convention) — they are computed on W as given.
 */
public final class ProxyLoss {
    private ProxyLoss() {}

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
        if (w.length != (long) rows * n || what.length != w.length || h.length != (long) n * n)
            throw new IllegalArgumentException("proxy loss needs W and Ŵ of " + rows + "x" + n + " and an " + n + "x" + n + " H");
        float[] hf = new float[n * n];
        for (int i = 0; i < hf.length; i++) hf[i] = (float) h[i];
        DoubleAdder num = new DoubleAdder(), den = new DoubleAdder();
        Parallel.forRange(rows, 4, (r0, r1) -> {
            float[] e = new float[n];
            double a = 0, b = 0;
            for (int r = r0; r < r1; r++) {
                int o = r * n;
                for (int j = 0; j < n; j++) e[j] = what[o + j] - w[o + j];
                a += quadratic(e, 0, hf, n);
                b += quadratic(w, o, hf, n);
            }
            num.add(a);
            den.add(b);
        });
        double d = den.sum();
        return d == 0 ? (num.sum() == 0 ? 0 : Double.POSITIVE_INFINITY) : num.sum() / d;
    }

    /** xᵀHx for x = v[off, off+n). */
    static double quadratic(float[] v, int off, float[] h, int n) {
        double s = 0;
        for (int j = 0; j < n; j++) {
            float x = v[off + j];
            if (x == 0) continue;
            double rest = j + 1 < n ? VecOps.dot(h, j * n + j + 1, v, off + j + 1, n - j - 1) : 0;
            s += x * (h[j * n + j] * (double) x + 2 * rest);
        }
        return s;
    }
}
