package dev.e8q.hadamard;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * In-place, unnormalized Walsh–Hadamard transform (Sylvester order) of a contiguous double segment
 * whose length is a power of two, with an optional scale applied on the way out of the last pass.
 *
 * <p>Strides below the vector length are done inside registers (lane swap + fused multiply-add),
 * so the whole group of small strides costs one load and one store per vector. Larger strides pair
 * two butterfly stages per pass (radix 4) to halve the trips through memory, and long segments are
 * first transformed block by block so that most stages run in L1.
 *
 * <p>Line-for-line the double twin of {@link FloatFwht}: change both together.
 */
final class DoubleFwht {
    private DoubleFwht() {}

    static final VectorSpecies<Double> S = DoubleVector.SPECIES_PREFERRED;
    static final int L = S.length();
    private static final int LOG_L = Integer.numberOfTrailingZeros(L);

    // For in-register stage s (stride 2^s): SWAP[s] maps lane i to lane i^2^s, and SIGN[s] is +1 on
    // lanes whose stride bit is clear and −1 where it is set, so that v·sign + swapped(v) gives
    // (a+b) in the low lane and (a−b) in the high lane of every pair.
    private static final VectorShuffle<Double>[] SWAP = swaps();
    private static final DoubleVector[] SIGN = signs();

    /**
     * Segments up to this many elements (16 KiB) are finished while they sit in L1; only the
     * strides above it make further trips through L2 or memory.
     */
    static final int BLOCK = 16 * 1024 / Double.BYTES;

    static void transform(double[] x, int off, int n, double scale) {
        if (n < L) {
            scalar(x, off, n, scale);
            return;
        }
        int block = Math.min(n, BLOCK);
        double blockScale = block == n ? scale : 1.0;
        for (int b = off; b < off + n; b += block) {
            inRegister(x, b, block, block == L ? blockScale : 1.0);
            passes(x, b, block, L, blockScale);
        }
        passes(x, off, n, block, scale);
    }

    /** Butterfly stages with strides h0, 2·h0, … n/2 (none if h0 = n), scaling on the last one. */
    private static void passes(double[] x, int off, int n, int h0, double scale) {
        int h = h0;
        while (h < n) {
            if (4 * h <= n) {
                radix4(x, off, n, h, 4 * h == n ? scale : 1.0);
                h *= 4;
            } else {
                radix2(x, off, n, h, scale); // only the last stage can be left over
                h *= 2;
            }
        }
    }

    private static void inRegister(double[] x, int off, int n, double scale) {
        DoubleVector sv = DoubleVector.broadcast(S, scale);
        for (int i = 0; i < n; i += L) {
            DoubleVector v = DoubleVector.fromArray(S, x, off + i);
            for (int s = 0; s < LOG_L; s++) {
                v = v.fma(SIGN[s], v.rearrange(SWAP[s]));
            }
            if (scale != 1.0) {
                v = v.mul(sv);
            }
            v.intoArray(x, off + i);
        }
    }

    private static void radix4(double[] x, int off, int n, int h, double scale) {
        boolean scaled = scale != 1.0;
        for (int base = off; base < off + n; base += 4 * h) {
            for (int j = base; j < base + h; j += L) {
                DoubleVector a = DoubleVector.fromArray(S, x, j);
                DoubleVector b = DoubleVector.fromArray(S, x, j + h);
                DoubleVector c = DoubleVector.fromArray(S, x, j + 2 * h);
                DoubleVector d = DoubleVector.fromArray(S, x, j + 3 * h);
                DoubleVector s1 = a.add(b), d1 = a.sub(b), s2 = c.add(d), d2 = c.sub(d);
                DoubleVector o0 = s1.add(s2), o1 = d1.add(d2), o2 = s1.sub(s2), o3 = d1.sub(d2);
                if (scaled) {
                    o0 = o0.mul(scale);
                    o1 = o1.mul(scale);
                    o2 = o2.mul(scale);
                    o3 = o3.mul(scale);
                }
                o0.intoArray(x, j);
                o1.intoArray(x, j + h);
                o2.intoArray(x, j + 2 * h);
                o3.intoArray(x, j + 3 * h);
            }
        }
    }

    private static void radix2(double[] x, int off, int n, int h, double scale) {
        boolean scaled = scale != 1.0;
        for (int base = off; base < off + n; base += 2 * h) {
            for (int j = base; j < base + h; j += L) {
                DoubleVector a = DoubleVector.fromArray(S, x, j);
                DoubleVector b = DoubleVector.fromArray(S, x, j + h);
                DoubleVector o0 = a.add(b), o1 = a.sub(b);
                if (scaled) {
                    o0 = o0.mul(scale);
                    o1 = o1.mul(scale);
                }
                o0.intoArray(x, j);
                o1.intoArray(x, j + h);
            }
        }
    }

    /** Plain butterflies for segments shorter than one vector. */
    static void scalar(double[] x, int off, int n, double scale) {
        for (int h = 1; h < n; h *= 2) {
            for (int base = off; base < off + n; base += 2 * h) {
                for (int j = base; j < base + h; j++) {
                    double a = x[j], b = x[j + h];
                    x[j] = a + b;
                    x[j + h] = a - b;
                }
            }
        }
        if (scale != 1.0) {
            for (int i = off; i < off + n; i++) {
                x[i] *= scale;
            }
        }
    }

    @SuppressWarnings("unchecked")
    private static VectorShuffle<Double>[] swaps() {
        VectorShuffle<Double>[] out = new VectorShuffle[LOG_L];
        for (int s = 0; s < LOG_L; s++) {
            int bit = 1 << s;
            out[s] = VectorShuffle.fromOp(S, i -> i ^ bit);
        }
        return out;
    }

    private static DoubleVector[] signs() {
        DoubleVector[] out = new DoubleVector[LOG_L];
        for (int s = 0; s < LOG_L; s++) {
            double[] lanes = new double[L];
            for (int i = 0; i < L; i++) {
                lanes[i] = (i & (1 << s)) == 0 ? 1.0 : -1.0;
            }
            out[s] = DoubleVector.fromArray(S, lanes, 0);
        }
        return out;
    }
}
