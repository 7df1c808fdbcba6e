package dev.e8q.simd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.floats;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import java.util.SplittableRandom;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.api.Test;

class ExpTest {
    private static final VectorSpecies<Float>[] SPECIES = new VectorSpecies[] {FloatVector.SPECIES_64, FloatVector.SPECIES_128,
            FloatVector.SPECIES_256, FloatVector.SPECIES_512, FloatVector.SPECIES_PREFERRED};

    /** Error of y against e^x in ulps of the correctly rounded float. */
    private static double ulps(float y, float x) {
        double exact = StrictMath.exp(x);
        if (y == (float) exact) return 0; // also where both overflow to +inf
        return Math.abs(y - exact) / Math.ulp((float) exact);
    }

    @Test
    void withinOneUlpOnASweepOfTheWholeRange() {
        // every 97th float bit pattern between LO and HI: about 8.7 million arguments of every exponent
        double worst = 0;
        float worstAt = 0;
        int lo = Float.floatToRawIntBits(Exp.LO), hi = Float.floatToRawIntBits(Exp.HI);
        for (int b = 0x80000000 + 1; Integer.compareUnsigned(b, lo) <= 0; b += 97) worst = Math.max(worst, ulps(Exp.exp(Float.intBitsToFloat(b)), Float.intBitsToFloat(b)));
        for (int b = 0; b <= hi; b += 97) {
            float x = Float.intBitsToFloat(b);
            double u = ulps(Exp.exp(x), x);
            if (u > worst) {
                worst = u;
                worstAt = x;
            }
        }
        assertTrue(worst <= 1.0, "max error " + worst + " ulp at " + worstAt);
    }

    @Test
    void withinOneUlpOnRandomArguments() {
        qt().withExamples(100_000).forAll(floats().between(Exp.LO, Exp.HI))
                .check(x -> ulps(Exp.exp(x), x) <= 1.0);
    }

    @Test
    void edgesAndSpecialValues() {
        assertEquals(1f, Exp.exp(0f));
        assertEquals(1f, Exp.exp(-0f));
        assertEquals(0f, Exp.exp(Float.NEGATIVE_INFINITY));
        assertEquals(0f, Exp.exp(-1000f));
        assertEquals(0f, Exp.exp(Math.nextDown(Exp.LO)));
        assertTrue(Exp.exp(Exp.LO) > 0 && ulps(Exp.exp(Exp.LO), Exp.LO) <= 1.0);
        assertEquals(Float.POSITIVE_INFINITY, Exp.exp(Float.POSITIVE_INFINITY));
        assertEquals(Float.POSITIVE_INFINITY, Exp.exp(Math.nextUp(Exp.HI)));
        assertTrue(Float.isFinite(Exp.exp(Exp.HI)) && ulps(Exp.exp(Exp.HI), Exp.HI) <= 1.0);
        assertTrue(Float.isNaN(Exp.exp(Float.NaN)));
        // e^x for small integers, against the correctly rounded values
        for (int i = -80; i <= 88; i++) assertTrue(ulps(Exp.exp(i), i) <= 1.0, "e^" + i);
    }

    @Test
    void everyLaneIsTheScalarResultBitForBit() {
        qt().withExamples(2000).forAll(integers().between(0, SPECIES.length - 1), longs().all()).checkAssert((si, seed) -> {
            VectorSpecies<Float> s = SPECIES[si];
            SplittableRandom r = new SplittableRandom(seed);
            float[] x = new float[s.length()];
            for (int i = 0; i < x.length; i++) {
                x[i] = switch (r.nextInt(8)) {
                    case 0 -> Float.intBitsToFloat(r.nextInt()); // any bits: NaN, infinities, subnormals, huge
                    case 1 -> (float) r.nextDouble(Exp.LO - 2, Exp.LO + 2);
                    case 2 -> (float) r.nextDouble(Exp.HI - 2, Exp.HI + 2);
                    default -> (float) r.nextDouble(-30, 30);
                };
            }
            float[] y = Exp.exp(FloatVector.fromArray(s, x, 0)).toArray();
            for (int i = 0; i < x.length; i++) {
                assertEquals(Float.floatToRawIntBits(Exp.exp(x[i])), Float.floatToRawIntBits(y[i]), s + " lane " + i + ", x = " + x[i]);
            }
        });
    }
}
