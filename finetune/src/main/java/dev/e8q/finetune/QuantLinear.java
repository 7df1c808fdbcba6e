package dev.e8q.finetune;

import java.util.List;

/**
 * A quantized linear layer in the QuIP# form of SPEC §4.1:
 * {@code y = crop(os ⊙ sv ⊙ M_m · Wr · M_nᵀ · (su ⊙ pad(x)))}, where Wr (paddedRows × paddedCols, the
 * decoded rotated matrix) is fixed and the sign vectors su (length paddedCols) and sv (length
 * paddedRows) are trainable real vectors. {@code os} is an optional fixed per-output-row scale
 * (the fused layers' fuse_scales expanded to rows); null means 1.
 */
public final class QuantLinear extends LinearParam {
    private final int pr, pc;
    private final double[] wr;
    private final Rotation mRows, mCols;
    private final Param su, sv;
    private final double[] outScale;

    public QuantLinear(String name, int rows, int cols, double[] wr, Rotation mRows, Rotation mCols,
                       double[] su, double[] sv, double[] outScale) {
        super(name, rows, cols);
        this.pr = mRows.size();
        this.pc = mCols.size();
        if (pr < rows || pc < cols) {
            throw new IllegalArgumentException(name + ": padded size " + pr + "×" + pc + " smaller than " + rows + "×" + cols);
        }
        if (wr.length != (long) pr * pc) throw new IllegalArgumentException(name + ": Wr has " + wr.length + " entries, want " + pr + "×" + pc);
        if (su.length != pc) throw new IllegalArgumentException(name + ": su has length " + su.length + ", want " + pc);
        if (sv.length != pr) throw new IllegalArgumentException(name + ": sv has length " + sv.length + ", want " + pr);
        if (outScale != null && outScale.length != rows) {
            throw new IllegalArgumentException(name + ": outScale has length " + outScale.length + ", want " + rows);
        }
        this.wr = wr;
        this.mRows = mRows;
        this.mCols = mCols;
        this.su = new Param(name + ".SU", su, Param.Group.SIGN);
        this.sv = new Param(name + ".SV", sv, Param.Group.SIGN);
        this.outScale = outScale;
    }

    /**
     * The fine-tuning view of an encoded matrix: Ŵr decoded once, SU/SV as trainable doubles, and the
     * fixed output scales of a fused matrix (piece i's {@code pieceRows[i]} rows times {@code fuseScales[i]};
     * both null when unfused).
     */
    public static QuantLinear of(String name, dev.e8q.codec.E8Matrix m, float[] fuseScales, int[] pieceRows) {
        double[] os = null;
        if (fuseScales != null) {
            if (pieceRows == null || pieceRows.length != fuseScales.length) {
                throw new IllegalArgumentException(name + ": " + fuseScales.length + " fuse scales need as many piece row counts");
            }
            os = new double[m.rows()];
            int r = 0;
            for (int i = 0; i < fuseScales.length; i++) {
                if (r + pieceRows[i] > m.rows()) throw new IllegalArgumentException(name + ": pieces exceed " + m.rows() + " rows");
                java.util.Arrays.fill(os, r, r + pieceRows[i], fuseScales[i]);
                r += pieceRows[i];
            }
            if (r != m.rows()) throw new IllegalArgumentException(name + ": pieces cover " + r + " of " + m.rows() + " rows");
        }
        return new QuantLinear(name, m.rows(), m.cols(), FromLlama.toDouble(m.decodeRotated()),
                Rotation.hadamard(m.paddedRows()), Rotation.hadamard(m.paddedCols()),
                FromLlama.toDouble(m.su()), FromLlama.toDouble(m.sv()), os);
    }

    /** The tuned sign vectors written back into the matrix (SU, SV as float). */
    public dev.e8q.codec.E8Matrix applyTo(dev.e8q.codec.E8Matrix m) {
        return m.withSignVectors(Teacher.toFloat(su.value()), Teacher.toFloat(sv.value()));
    }

    public int paddedRows() { return pr; }

    public int paddedCols() { return pc; }

    public Param su() { return su; }

    public Param sv() { return sv; }

    /** The fixed decoded rotated matrix (shared, do not modify). */
    public double[] wr() { return wr; }

    public double[] outScale() { return outScale; }

    public Rotation rowRotation() { return mRows; }

    public Rotation colRotation() { return mCols; }

    @Override
    public List<Param> params() { return List.of(su, sv); }

    @Override
    Object forward(double[] x, int T, double[] y, int ys, int yo) {
        double[] s = su.value(), v = sv.value();
        double[] u = new double[T * pc];
        for (int t = 0; t < T; t++) {
            int xo = t * cols, uo = t * pc;
            for (int j = 0; j < cols; j++) u[uo + j] = x[xo + j] * s[j];
            mCols.applyTransposed(u, uo);
        }
        double[] w = new double[T * pr];
        Kernels.forward(u, T, pc, wr, pr, w, pr, 0);
        for (int t = 0; t < T; t++) {
            int wo = t * pr;
            mRows.apply(w, wo);
            int o = t * ys + yo;
            if (outScale == null) for (int i = 0; i < rows; i++) y[o + i] = v[i] * w[wo + i];
            else for (int i = 0; i < rows; i++) y[o + i] = outScale[i] * v[i] * w[wo + i];
        }
        return w;
    }

    @Override
    void backward(double[] x, int T, double[] dy, int ys, int yo, Object cache, double[] dx, double[][] grads) {
        double[] w = (double[]) cache;
        double[] s = su.value(), v = sv.value();
        double[] gsu = su.trainable() ? grads[su.index] : null;
        double[] gsv = sv.trainable() ? grads[sv.index] : null;
        if (gsv != null) {
            for (int t = 0; t < T; t++) {
                int o = t * ys + yo, wo = t * pr;
                for (int i = 0; i < rows; i++) gsv[i] += (outScale == null ? dy[o + i] : dy[o + i] * outScale[i]) * w[wo + i];
            }
        }
        if (gsu == null && dx == null) return;
        double[] g = new double[T * pr];
        for (int t = 0; t < T; t++) {
            int o = t * ys + yo, go = t * pr;
            for (int i = 0; i < rows; i++) g[go + i] = (outScale == null ? dy[o + i] : dy[o + i] * outScale[i]) * v[i];
            mRows.applyTransposed(g, go);
        }
        double[] du = new double[T * pc];
        Kernels.backwardInput(g, T, pr, 0, wr, pr, pc, du);
        for (int t = 0; t < T; t++) {
            int uo = t * pc, xo = t * cols;
            mCols.apply(du, uo);
            if (gsu != null) for (int j = 0; j < cols; j++) gsu[j] += du[uo + j] * x[xo + j];
            if (dx != null) for (int j = 0; j < cols; j++) dx[xo + j] += du[uo + j] * s[j];
        }
    }

    @Override
    long cacheDoubles(int T) { return (long) T * pr; }

    @Override
    public double[] effectiveWeight() {
        // column j of W = forward of the unit vector e_j
        double[] e = new double[cols];
        double[] col = new double[rows];
        double[] out = new double[rows * cols];
        for (int j = 0; j < cols; j++) {
            java.util.Arrays.fill(e, 0);
            e[j] = 1;
            forward(e, 1, col, rows, 0);
            for (int i = 0; i < rows; i++) out[i * cols + j] = col[i];
        }
        return out;
    }

    @Override
    public QuantLinear copy() {
        QuantLinear c = new QuantLinear(name, rows, cols, wr, mRows, mCols, su.value().clone(), sv.value().clone(),
                outScale == null ? null : outScale.clone());
        c.su.trainable(su.trainable());
        c.sv.trainable(sv.trainable());
        return c;
    }
}
