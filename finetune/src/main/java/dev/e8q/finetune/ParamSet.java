package dev.e8q.finetune;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * An ordered list of parameters with gradient buffers aligned to it. Each {@link Param} belongs to
 * exactly one set; its index there addresses its gradient in a {@code double[][]} made by
 * {@link #newGrads()} (null for frozen parameters).
 */
public final class ParamSet {
    private final List<Param> params;

    public ParamSet(List<Param> params) {
        this.params = Collections.unmodifiableList(new ArrayList<>(params));
        for (int i = 0; i < params.size(); i++) params.get(i).index = i;
    }

    public List<Param> params() { return params; }

    public int size() { return params.size(); }

    /** Fresh zero gradients for the currently trainable parameters (null slots for frozen ones). */
    public double[][] newGrads() {
        double[][] g = new double[params.size()][];
        for (int i = 0; i < g.length; i++) if (params.get(i).trainable()) g[i] = new double[params.get(i).size()];
        return g;
    }

    public static void zero(double[][] g) {
        for (double[] a : g) if (a != null) java.util.Arrays.fill(a, 0);
    }

    /** acc += g, slot by slot. */
    public static void addInto(double[][] acc, double[][] g) {
        for (int i = 0; i < acc.length; i++) {
            if (acc[i] == null || g[i] == null) continue;
            double[] a = acc[i], b = g[i];
            for (int j = 0; j < a.length; j++) a[j] += b[j];
        }
    }

    public static void scale(double[][] g, double s) {
        for (double[] a : g) if (a != null) for (int j = 0; j < a.length; j++) a[j] *= s;
    }

    /** Deep copy of all values (a checkpoint of the state, for best-epoch restore). */
    public double[][] snapshot() {
        double[][] s = new double[params.size()][];
        for (int i = 0; i < s.length; i++) s[i] = params.get(i).value().clone();
        return s;
    }

    public void restore(double[][] snapshot) {
        for (int i = 0; i < snapshot.length; i++) {
            System.arraycopy(snapshot[i], 0, params.get(i).value(), 0, snapshot[i].length);
        }
    }

    /** Number of trainable scalars. */
    public long trainableCount() {
        long n = 0;
        for (Param p : params) if (p.trainable()) n += p.size();
        return n;
    }

}
