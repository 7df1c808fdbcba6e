package dev.e8q.codec;

/**
 * The per-row and per-column scales that {@link E8Encoder#rowScaleExponent} and {@link E8Encoder#columnScaleExponent}
 * fold into SV and SU (the reasoning is there). Pure functions of the weights and the Hessian's diagonal.
 */
final class AxisScales {
    private AxisScales() {}

    /**
     * r_i = ‖w_i‖^α normalized to geometric mean 1 over the non-zero rows, so that the scales stay near 1 and SV's
     * fp16 range is not stressed; all-zero and padded rows get 1.
     */
    static float[] rows(float[] w, int rows, int cols, int m, double alpha) {
        float[] r = new float[m];
        java.util.Arrays.fill(r, 1f);
        if (alpha == 0) return r;
        double[] norm = new double[rows];
        double logSum = 0;
        int nonZero = 0;
        for (int i = 0; i < rows; i++) {
            double s = 0;
            for (int c = 0; c < cols; c++) s += (double) w[i * cols + c] * w[i * cols + c];
            norm[i] = Math.sqrt(s);
            if (norm[i] > 0) {
                logSum += Math.log(norm[i]);
                nonZero++;
            }
        }
        if (nonZero == 0) return r;
        double gm = Math.exp(logSum / nonZero);
        for (int i = 0; i < rows; i++)
            if (norm[i] > 0) r[i] = (float) Math.pow(norm[i] / gm, alpha);
        return r;
    }

    /**
     * s_j = (√H_jj / ‖w_:j‖)^β normalized to geometric mean 1 over the columns where both are non-zero; other and padded
     * columns get 1. hDiag is the diagonal of the normalized cols × cols Hessian.
     */
    static float[] columns(float[] w, int rows, int cols, int n, double[] hDiag, double beta) {
        float[] c = new float[n];
        java.util.Arrays.fill(c, 1f);
        if (beta == 0 || hDiag == null) return c;
        double[] v = new double[cols];
        double logSum = 0;
        int k = 0;
        for (int j = 0; j < cols; j++) {
            double s = 0;
            for (int i = 0; i < rows; i++) s += (double) w[i * cols + j] * w[i * cols + j];
            double hjj = hDiag[j];
            v[j] = s > 0 && hjj > 0 ? Math.pow(Math.sqrt(hjj) / Math.sqrt(s), beta) : 0;
            if (v[j] > 0) {
                logSum += Math.log(v[j]);
                k++;
            }
        }
        if (k == 0) return c;
        double gm = Math.exp(logSum / k);
        for (int j = 0; j < cols; j++) if (v[j] > 0) c[j] = (float) (v[j] / gm);
        return c;
    }
}
