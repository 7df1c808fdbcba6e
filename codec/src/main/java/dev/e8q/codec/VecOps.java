package dev.e8q.codec;

import dev.e8q.simd.Lanes;
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

    /**
     * out[4p+q] = {@link #dot}(a, aOff + p·aStride, b, bOff + q·bStride, len) for p, q < 4, bit for bit: sixteen
     * independent sums over four loads of a and four of b per step.
     */
    static void dot4x4(float[] a, int aOff, int aStride, float[] b, int bOff, int bStride, int len, float[] out) {
        FloatVector s00 = FloatVector.zero(S), s01 = s00, s02 = s00, s03 = s00, s10 = s00, s11 = s00, s12 = s00, s13 = s00;
        FloatVector s20 = s00, s21 = s00, s22 = s00, s23 = s00, s30 = s00, s31 = s00, s32 = s00, s33 = s00;
        int a0 = aOff, a1 = a0 + aStride, a2 = a1 + aStride, a3 = a2 + aStride;
        int b0 = bOff, b1 = b0 + bStride, b2 = b1 + bStride, b3 = b2 + bStride;
        int i = 0, bound = S.loopBound(len);
        for (; i < bound; i += S.length()) {
            FloatVector v0 = FloatVector.fromArray(S, b, b0 + i), v1 = FloatVector.fromArray(S, b, b1 + i);
            FloatVector v2 = FloatVector.fromArray(S, b, b2 + i), v3 = FloatVector.fromArray(S, b, b3 + i);
            FloatVector u = FloatVector.fromArray(S, a, a0 + i);
            s00 = u.fma(v0, s00);
            s01 = u.fma(v1, s01);
            s02 = u.fma(v2, s02);
            s03 = u.fma(v3, s03);
            u = FloatVector.fromArray(S, a, a1 + i);
            s10 = u.fma(v0, s10);
            s11 = u.fma(v1, s11);
            s12 = u.fma(v2, s12);
            s13 = u.fma(v3, s13);
            u = FloatVector.fromArray(S, a, a2 + i);
            s20 = u.fma(v0, s20);
            s21 = u.fma(v1, s21);
            s22 = u.fma(v2, s22);
            s23 = u.fma(v3, s23);
            u = FloatVector.fromArray(S, a, a3 + i);
            s30 = u.fma(v0, s30);
            s31 = u.fma(v1, s31);
            s32 = u.fma(v2, s32);
            s33 = u.fma(v3, s33);
        }
        out[0] = tail(s00, a, a0, b, b0, i, len);
        out[1] = tail(s01, a, a0, b, b1, i, len);
        out[2] = tail(s02, a, a0, b, b2, i, len);
        out[3] = tail(s03, a, a0, b, b3, i, len);
        out[4] = tail(s10, a, a1, b, b0, i, len);
        out[5] = tail(s11, a, a1, b, b1, i, len);
        out[6] = tail(s12, a, a1, b, b2, i, len);
        out[7] = tail(s13, a, a1, b, b3, i, len);
        out[8] = tail(s20, a, a2, b, b0, i, len);
        out[9] = tail(s21, a, a2, b, b1, i, len);
        out[10] = tail(s22, a, a2, b, b2, i, len);
        out[11] = tail(s23, a, a2, b, b3, i, len);
        out[12] = tail(s30, a, a3, b, b0, i, len);
        out[13] = tail(s31, a, a3, b, b1, i, len);
        out[14] = tail(s32, a, a3, b, b2, i, len);
        out[15] = tail(s33, a, a3, b, b3, i, len);
    }

    /** {@link #dot}'s ending: the lanes in order, then the products from i on. */
    private static float tail(FloatVector acc, float[] a, int ao, float[] b, int bo, int i, int len) {
        float s = Lanes.sum(acc);
        for (; i < len; i++) s += a[ao + i] * b[bo + i];
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
