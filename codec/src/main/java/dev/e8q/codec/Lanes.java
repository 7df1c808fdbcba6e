package dev.e8q.codec;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;

/**
 * Sums of a vector's lanes in lane order. {@code reduceLanes(ADD)} leaves the order of its additions open, and it
 * differs between interpreted and compiled code, so the same inputs can give sums that differ in the last bit within
 * one run. Sums that must be reproducible (training losses and their best-state restore, Cholesky, the encoder, the
 * calibration forward) use these instead: the lanes are added one by one, from 0.0, in lane order, in every execution
 * mode. The species length is a constant, so the compiled loop unrolls into constant-index lane extractions.
 */
public final class Lanes {
    private Lanes() {}

    public static double sum(DoubleVector v) {
        double s = 0;
        for (int i = 0; i < v.length(); i++) s += v.lane(i);
        return s;
    }

    public static float sum(FloatVector v) {
        float s = 0;
        for (int i = 0; i < v.length(); i++) s += v.lane(i);
        return s;
    }
}
