package dev.e8q.finetune;

import java.util.List;

/** A dense linear layer whose weight (rows × cols, row-major) is a trainable {@link Param}. */
public final class DenseLinear extends LinearParam {
    private final Param weight;

    public DenseLinear(String name, int rows, int cols, double[] weight) {
        this(name, rows, cols, weight, Param.Group.DENSE);
    }

    public DenseLinear(String name, int rows, int cols, double[] weight, Param.Group group) {
        super(name, rows, cols);
        if (weight.length != (long) rows * cols) {
            throw new IllegalArgumentException(name + ": weight has " + weight.length + " entries, want " + rows + "×" + cols);
        }
        this.weight = new Param(name + ".weight", weight, group);
    }

    public static DenseLinear of(String name, int rows, int cols, float[] w) {
        double[] d = new double[w.length];
        for (int i = 0; i < d.length; i++) d[i] = w[i];
        return new DenseLinear(name, rows, cols, d);
    }

    public Param weight() { return weight; }

    @Override
    public List<Param> params() { return List.of(weight); }

    @Override
    Object forward(double[] x, int T, double[] y, int ys, int yo) {
        Kernels.forward(x, T, cols, weight.value(), rows, y, ys, yo);
        return null;
    }

    /** y[0..rows) = W · x[xo..xo+cols). */
    public void forwardRow(double[] x, int xo, double[] y) {
        double[] w = weight.value();
        for (int i = 0; i < rows; i++) y[i] = dot(w, i * cols, x, xo, cols);
    }

    @Override
    void backward(double[] x, int T, double[] dy, int ys, int yo, Object cache, double[] dx, double[][] grads) {
        if (dx != null) Kernels.backwardInput(dy, T, ys, yo, weight.value(), rows, cols, dx);
        if (weight.trainable()) Kernels.backwardWeight(dy, T, ys, yo, x, cols, grads[weight.index], rows);
    }

    @Override
    long cacheDoubles(int T) { return 0; }

    @Override
    public double[] effectiveWeight() { return weight.value().clone(); }

    @Override
    public DenseLinear copy() {
        DenseLinear c = new DenseLinear(name, rows, cols, weight.value().clone(), weight.group());
        c.weight.trainable(weight.trainable());
        return c;
    }

    /** The weight as float (for handing back to the converter). */
    public float[] weightAsFloat() {
        double[] w = weight.value();
        float[] f = new float[w.length];
        for (int i = 0; i < f.length; i++) f[i] = (float) w[i];
        return f;
    }
}
