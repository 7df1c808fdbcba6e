package dev.e8q.simd;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * e^x in float from additions, multiplications and fused multiply-adds only, so that its result is defined by Java's
 * arithmetic and is the same in every execution mode. The Vector API's {@code lanewise(EXP)} is not: the interpreter
 * computes {@code (float) Math.exp(x)} per lane and C2 calls a vector math library that rounds differently, which
 * moved softmax and SiLU outputs (and so every logit after them) by an ulp between a cold and a warmed-up run.
 *
 * <p>Method: k = round(x·log₂e) by the 1.5·2²³ shifter, r = x − k·ln 2 in two parts (Cody and Waite; the high part
 * has 16 bits, so k·ln2_hi is exact), e^r by its Taylor polynomial of degree 7 (|r| ≤ ln 2 / 2, truncation below
 * 5.3·10⁻⁹ relative), then the exponent added through the bits of 2^(k−1) (times 2, so that k = 128 needs no
 * overflowing 2¹²⁸). Within 1 ulp of the correctly rounded result on [−86.5, 88.72] ({@code ExpTest}); below −86.5
 * the result is 0 (e^x < 2.7·10⁻³⁸), above 88.7228 it is +∞, and NaN stays NaN. {@link #exp(float)} performs the
 * same operations on one value, so vector lanes and scalar tails agree bit for bit.
 */
public final class Exp {
    private Exp() {}

    private static final float LOG2E = 1.44269504f;
    private static final float LN2_HI = 0.693145751953125f;
    private static final float LN2_LO = (float) (0.6931471805599453 - 0.693145751953125);
    private static final float SHIFTER = 0x1.8p23f;
    private static final int SHIFTER_BITS = Float.floatToRawIntBits(SHIFTER);
    /** Below LO the result is 0: from there k − 1 + 127 stays a normal exponent. */
    static final float LO = -86.5f;
    /** Above HI, e^x exceeds the largest float. */
    static final float HI = 88.72283f;
    private static final float C2 = 1f / 2, C3 = 1f / 6, C4 = 1f / 24, C5 = 1f / 120, C6 = 1f / 720, C7 = 1f / 5040;

    public static FloatVector exp(FloatVector x) {
        FloatVector t = x.fma(LOG2E, SHIFTER);
        FloatVector k = t.sub(SHIFTER);
        FloatVector r = k.fma(x.broadcast(-LN2_HI), x);
        r = k.fma(x.broadcast(-LN2_LO), r);
        FloatVector p = r.fma(C7, C6);
        p = p.fma(r, x.broadcast(C5));
        p = p.fma(r, x.broadcast(C4));
        p = p.fma(r, x.broadcast(C3));
        p = p.fma(r, x.broadcast(C2));
        FloatVector one = x.broadcast(1f);
        p = p.fma(r, one);
        p = p.fma(r, one);
        // 2^(k-1): k's integer is t's low mantissa bits minus the shifter's
        IntVector e = t.reinterpretAsInts().sub(SHIFTER_BITS).lanewise(VectorOperators.LSHL, 23).add(126 << 23);
        FloatVector y = p.add(p).mul(e.reinterpretAsFloats());
        y = y.blend(0f, x.lt(LO));
        return y.blend(Float.POSITIVE_INFINITY, x.compare(VectorOperators.GT, HI));
    }

    /** The operations of {@link #exp(FloatVector)} on one value. */
    public static float exp(float x) {
        float t = Math.fma(x, LOG2E, SHIFTER);
        float k = t - SHIFTER;
        float r = Math.fma(k, -LN2_HI, x);
        r = Math.fma(k, -LN2_LO, r);
        float p = Math.fma(r, C7, C6);
        p = Math.fma(p, r, C5);
        p = Math.fma(p, r, C4);
        p = Math.fma(p, r, C3);
        p = Math.fma(p, r, C2);
        p = Math.fma(p, r, 1f);
        p = Math.fma(p, r, 1f);
        float e = Float.intBitsToFloat(((Float.floatToRawIntBits(t) - SHIFTER_BITS) << 23) + (126 << 23));
        float y = (p + p) * e;
        if (x < LO) return 0f;
        return x > HI ? Float.POSITIVE_INFINITY : y;
    }
}
