package dev.e8q.simd;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Sums of a vector's lanes in a fixed order. {@code reduceLanes(ADD)} leaves the order of its additions open, and it
 * differs between interpreted and compiled code, so the same inputs can give sums that differ in the last bit within
 * one run, or between two runs of the same command. Every sum of lanes in e8q goes through this class instead, so
 * that a forward pass, a perplexity or a conversion gives the same bits in every execution mode.
 *
 * <p>Two orders: {@link #sum} adds the lanes one by one from 0, in lane order (the calibration forward, Cholesky,
 * the encoder; cheap where it runs once per long dot product); {@link #pairwise} adds lane i + h to lane i for
 * h = n/2, n/4, .., 1 (four shuffles and four adds on 16 lanes, as fast as {@code reduceLanes}: the runtime's
 * dot products). The shuffles are constants of the 2-, 4-, 8- and 16-lane species, so the compiled code permutes with
 * a hoisted index; other lane counts take the same order through an array.
 */
public final class Lanes {
    private Lanes() {}

    private static final VectorShuffle<Float> F4_2 = butterfly(FloatVector.SPECIES_128, 2), F4_1 = butterfly(FloatVector.SPECIES_128, 1);
    private static final VectorShuffle<Float> F8_4 = butterfly(FloatVector.SPECIES_256, 4), F8_2 = butterfly(FloatVector.SPECIES_256, 2),
            F8_1 = butterfly(FloatVector.SPECIES_256, 1);
    private static final VectorShuffle<Float> F16_8 = butterfly(FloatVector.SPECIES_512, 8), F16_4 = butterfly(FloatVector.SPECIES_512, 4),
            F16_2 = butterfly(FloatVector.SPECIES_512, 2), F16_1 = butterfly(FloatVector.SPECIES_512, 1);
    private static final VectorShuffle<Double> D2_1 = butterfly(DoubleVector.SPECIES_128, 1);
    private static final VectorShuffle<Double> D4_2 = butterfly(DoubleVector.SPECIES_256, 2), D4_1 = butterfly(DoubleVector.SPECIES_256, 1);
    private static final VectorShuffle<Double> D8_4 = butterfly(DoubleVector.SPECIES_512, 4), D8_2 = butterfly(DoubleVector.SPECIES_512, 2),
            D8_1 = butterfly(DoubleVector.SPECIES_512, 1);

    private static <E> VectorShuffle<E> butterfly(VectorSpecies<E> s, int h) {
        return VectorShuffle.fromOp(s, i -> i ^ h);
    }

    /** The lanes added one by one, from 0.0, in lane order. */
    public static double sum(DoubleVector v) {
        double s = 0;
        for (int i = 0; i < v.length(); i++) s += v.lane(i);
        return s;
    }

    /** The lanes added one by one, from 0.0, in lane order. */
    public static float sum(FloatVector v) {
        float s = 0;
        for (int i = 0; i < v.length(); i++) s += v.lane(i);
        return s;
    }

    /** The lanes summed pairwise: lane i + n/2 onto lane i, then i + n/4, .., i + 1; lane 0 is the result. */
    public static float pairwise(FloatVector v) {
        return v.length() == 16 ? fold16(v) : pairwiseUpTo8(v);
    }

    private static float pairwiseUpTo8(FloatVector v) {
        return v.length() == 8 ? fold8(v) : pairwiseUpTo4(v);
    }

    private static float pairwiseUpTo4(FloatVector v) {
        return v.length() == 4 ? fold4(v) : pairwise(v.toArray());
    }

    // Each step is its own method of at most 35 bytes of bytecode (MaxInlineSize): C2 inlines those at any call
    // site, while one method of all the steps was left as a call after the kernels' loops, where call sites are not
    // hot, and the vector passed to it was then boxed (batched dense products 1.35x slower).
    private static float fold16(FloatVector v) {
        return fold8of16(v.add(v.rearrange(F16_8)));
    }

    private static float fold8of16(FloatVector v) {
        return fold4of16(v.add(v.rearrange(F16_4)));
    }

    private static float fold4of16(FloatVector v) {
        v = v.add(v.rearrange(F16_2));
        return v.add(v.rearrange(F16_1)).lane(0);
    }

    private static float fold8(FloatVector v) {
        return fold4of8(v.add(v.rearrange(F8_4)));
    }

    private static float fold4of8(FloatVector v) {
        v = v.add(v.rearrange(F8_2));
        return v.add(v.rearrange(F8_1)).lane(0);
    }

    private static float fold4(FloatVector v) {
        v = v.add(v.rearrange(F4_2));
        return v.add(v.rearrange(F4_1)).lane(0);
    }

    /** As {@link #pairwise(FloatVector)}. */
    public static double pairwise(DoubleVector v) {
        return v.length() == 8 ? fold8(v) : pairwiseUpTo4(v);
    }

    private static double pairwiseUpTo4(DoubleVector v) {
        return v.length() == 4 ? fold4(v) : pairwiseUpTo2(v);
    }

    private static double pairwiseUpTo2(DoubleVector v) {
        return v.length() == 2 ? v.add(v.rearrange(D2_1)).lane(0) : pairwise(v.toArray());
    }

    private static double fold8(DoubleVector v) {
        return fold4of8(v.add(v.rearrange(D8_4)));
    }

    private static double fold4of8(DoubleVector v) {
        v = v.add(v.rearrange(D8_2));
        return v.add(v.rearrange(D8_1)).lane(0);
    }

    private static double fold4(DoubleVector v) {
        v = v.add(v.rearrange(D4_2));
        return v.add(v.rearrange(D4_1)).lane(0);
    }

    /** The order of {@link #pairwise(FloatVector)} on an array whose length is a power of two; a consumes. */
    static float pairwise(float[] a) {
        for (int h = a.length / 2; h > 0; h /= 2) for (int i = 0; i < h; i++) a[i] += a[i + h];
        return a[0];
    }

    /** The order of {@link #pairwise(DoubleVector)} on an array whose length is a power of two; a consumes. */
    static double pairwise(double[] a) {
        for (int h = a.length / 2; h > 0; h /= 2) for (int i = 0; i < h; i++) a[i] += a[i + h];
        return a[0];
    }
}
