package dev.e8q.finetune;

import java.util.List;

/**
 * A linear layer y = W x (W is rows × cols) whose continuous parameters can be fine-tuned: either a
 * {@link DenseLinear} (the weight itself is trainable) or a {@link QuantLinear} (a fixed decoded
 * rotated matrix with trainable sign vectors). Works on T row vectors at once: x is T × cols
 * row-major; y row t lives at {@code y[t*ys + yo ...]} so several linears can write into the column
 * slices of one fused output.
 */
public abstract sealed class LinearParam permits DenseLinear, QuantLinear {
    protected final String name;
    protected final int rows, cols;

    LinearParam(String name, int rows, int cols) {
        if (rows <= 0 || cols <= 0) throw new IllegalArgumentException(name + ": bad shape " + rows + "×" + cols);
        this.name = name;
        this.rows = rows;
        this.cols = cols;
    }

    public String name() { return name; }

    public int rows() { return rows; }

    public int cols() { return cols; }

    /** The parameters of this layer, trainable or not. */
    public abstract List<Param> params();

    /** Forward over T rows. Returns what {@link #backward} needs besides x (may be null). */
    abstract Object forward(double[] x, int T, double[] y, int ys, int yo);

    /**
     * Backward over T rows: accumulates dL/dx into dx (T × cols; skipped when dx is null) and the
     * parameter gradients into {@code grads[param.index]} for the trainable parameters.
     */
    abstract void backward(double[] x, int T, double[] dy, int ys, int yo, Object cache, double[] dx, double[][] grads);

    /** Doubles the forward cache holds for T rows. */
    abstract long cacheDoubles(int T);

    /** The effective dense weight rows × cols (for tests and reports). */
    public abstract double[] effectiveWeight();

    /** A deep copy with fresh parameters (same names, groups and trainable flags). */
    public abstract LinearParam copy();

    private static final jdk.incubator.vector.VectorSpecies<Double> SP = jdk.incubator.vector.DoubleVector.SPECIES_PREFERRED;
    private static final int L = SP.length();

    static double dot(double[] a, int ao, double[] b, int bo, int n) {
        int i = 0;
        if (n >= 2 * L) {
            var acc0 = jdk.incubator.vector.DoubleVector.zero(SP);
            var acc1 = jdk.incubator.vector.DoubleVector.zero(SP);
            for (; i + 2 * L <= n; i += 2 * L) {
                acc0 = jdk.incubator.vector.DoubleVector.fromArray(SP, a, ao + i)
                        .fma(jdk.incubator.vector.DoubleVector.fromArray(SP, b, bo + i), acc0);
                acc1 = jdk.incubator.vector.DoubleVector.fromArray(SP, a, ao + i + L)
                        .fma(jdk.incubator.vector.DoubleVector.fromArray(SP, b, bo + i + L), acc1);
            }
            double s = dev.e8q.simd.Lanes.sum(acc0.add(acc1));
            for (; i < n; i++) s += a[ao + i] * b[bo + i];
            return s;
        }
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        for (; i + 3 < n; i += 4) {
            s0 += a[ao + i] * b[bo + i];
            s1 += a[ao + i + 1] * b[bo + i + 1];
            s2 += a[ao + i + 2] * b[bo + i + 2];
            s3 += a[ao + i + 3] * b[bo + i + 3];
        }
        for (; i < n; i++) s0 += a[ao + i] * b[bo + i];
        return (s0 + s1) + (s2 + s3);
    }

    /** y[yo..yo+n) += a · x[xo..xo+n) */
    static void axpy(double a, double[] x, int xo, double[] y, int yo, int n) {
        int i = 0;
        if (n >= L) {
            var av = jdk.incubator.vector.DoubleVector.broadcast(SP, a);
            for (; i + L <= n; i += L) {
                jdk.incubator.vector.DoubleVector.fromArray(SP, x, xo + i).fma(av,
                        jdk.incubator.vector.DoubleVector.fromArray(SP, y, yo + i)).intoArray(y, yo + i);
            }
        }
        for (; i < n; i++) y[yo + i] += a * x[xo + i];
    }
}
