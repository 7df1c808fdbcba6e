package dev.e8q.codec;

import static org.junit.jupiter.api.Assertions.*;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.*;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class HalfIntegerGridTest {
    /** MSE per coordinate of unit Gaussians scaled to RMS rho, quantized, scaled back. */
    static double mse(int bits, double rho, int samples) {
        HalfIntegerGrid g = new HalfIntegerGrid(bits);
        SplittableRandom rnd = new SplittableRandom(11);
        float[] x = new float[8], q = new float[8];
        double s = 0;
        for (int i = 0; i < samples; i++) {
            for (int j = 0; j < 8; j++) x[j] = (float) (E8CodecTest.gauss(rnd) * rho);
            g.quantize(x, 0, q, 0);
            for (int j = 0; j < 8; j++) s += (x[j] - q[j]) * (x[j] - q[j]) / (rho * rho);
        }
        return s / (8.0 * samples);
    }

    @Test
    void defaultRhoIsTheGaussianOptimum() {
        for (int bits = 2; bits <= 4; bits++) {
            double r = HalfIntegerGrid.optimalRho(bits);
            double at = mse(bits, r, 40000);
            assertTrue(at < mse(bits, r * 0.95, 40000), bits + " bits: lower ρ is better");
            assertTrue(at < mse(bits, r * 1.05, 40000), bits + " bits: higher ρ is better");
        }
        assertEquals(0.1189, mse(2, 1.0, 40000), 0.002);
    }

    @Test
    void codeDecodesToItsReconstruction() {
        qt().withExamples(200).forAll(integers().between(2, 4), floats().between(-9f, 9f), floats().between(-9f, 9f))
                .checkAssert((bits, a, b) -> {
                    HalfIntegerGrid g = new HalfIntegerGrid(bits);
                    float[] x = {a, b, -a, -b, a * 0.5f, b * 0.25f, 0, 9f};
                    float[] q = new float[8], d = new float[8];
                    long code = g.quantize(x, 0, q, 0);
                    g.decode(code, d, 0);
                    assertArrayEquals(q, d);
                    float top = ((1 << bits) - 1) / 2f;
                    for (int j = 0; j < 8; j++) {
                        assertEquals(0.5f, Math.abs(q[j] % 1f));
                        // nearest grid point: within ½ unless clipped at the ends
                        if (Math.abs(x[j]) <= top) assertTrue(Math.abs(x[j] - q[j]) <= 0.5f + 1e-6f);
                        else assertEquals(Math.copySign(top, x[j]), q[j]);
                    }
                });
    }
}
