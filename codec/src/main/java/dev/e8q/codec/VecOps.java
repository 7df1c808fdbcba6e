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

    /**
     * out[k] = {@link #dot}(a, aOff, b, bOff + k·stride, len) for k < 4, bit for bit: four independent sums that share
     * each load of a.
     */
    static void dot4(float[] a, int aOff, float[] b, int bOff, int stride, int len, float[] out) {
        FloatVector s0 = FloatVector.zero(S), s1 = s0, s2 = s0, s3 = s0;
        int b0 = bOff, b1 = b0 + stride, b2 = b1 + stride, b3 = b2 + stride;
        int i = 0, bound = S.loopBound(len);
        for (; i < bound; i += S.length()) {
            FloatVector v = FloatVector.fromArray(S, a, aOff + i);
            s0 = v.fma(FloatVector.fromArray(S, b, b0 + i), s0);
            s1 = v.fma(FloatVector.fromArray(S, b, b1 + i), s1);
            s2 = v.fma(FloatVector.fromArray(S, b, b2 + i), s2);
            s3 = v.fma(FloatVector.fromArray(S, b, b3 + i), s3);
        }
        float r0 = Lanes.sum(s0), r1 = Lanes.sum(s1), r2 = Lanes.sum(s2), r3 = Lanes.sum(s3);
        for (; i < len; i++) {
            float ai = a[aOff + i];
            r0 += ai * b[b0 + i];
            r1 += ai * b[b1 + i];
            r2 += ai * b[b2 + i];
            r3 += ai * b[b3 + i];
        }
        out[0] = r0;
        out[1] = r1;
        out[2] = r2;
        out[3] = r3;
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
