package dev.e8q.codec;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/** The two float kernels the encoder spends its time in (dot and axpy), SIMD through the Vector API. */
final class VecOps {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private VecOps() {}

    /** Σ a[aOff+i]·b[bOff+i], i < len. */
    static float dot(float[] a, int aOff, float[] b, int bOff, int len) {
        FloatVector acc = FloatVector.zero(S);
        int i = 0, bound = S.loopBound(len);
        for (; i < bound; i += S.length())
            acc = FloatVector.fromArray(S, a, aOff + i).fma(FloatVector.fromArray(S, b, bOff + i), acc);
        float s = Lanes.sum(acc);
        for (; i < len; i++) s += a[aOff + i] * b[bOff + i];
        return s;
    }

    /** y[yOff+i] += alpha·x[xOff+i], i < len. */
    static void axpy(float alpha, float[] x, int xOff, float[] y, int yOff, int len) {
        FloatVector av = FloatVector.broadcast(S, alpha);
        int i = 0, bound = S.loopBound(len);
        for (; i < bound; i += S.length())
            FloatVector.fromArray(S, x, xOff + i).fma(av, FloatVector.fromArray(S, y, yOff + i)).intoArray(y, yOff + i);
        for (; i < len; i++) y[yOff + i] += alpha * x[xOff + i];
    }
}
