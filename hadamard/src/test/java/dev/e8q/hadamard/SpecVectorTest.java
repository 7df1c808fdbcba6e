package dev.e8q.hadamard;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/**
 * SPEC §4.1 test vectors for x = (1, 2, …, n). They are for the orthonormal M_n: for n = 16,
 * (H_16 x)[0] = Σ x = 136 and 136/√16 = 34, which is the SPEC value, so no rescaling is needed.
 */
class SpecVectorTest {
    private static final double[] M24 = {-60.012499, 2.041241, 11.022704, -0.408248};
    private static final double[] MT24 = {61.237244, -2.449490, -8.164966, 0};
    private static final double[] M16 = {34, -2, -4, 0};

    @Test
    void n24Float() {
        float[] x = ramp(24);
        Hadamard.transform(x, 0, 24);
        assertHead(M24, x, 2e-4);
        x = ramp(24);
        Hadamard.transformTransposed(x, 0, 24);
        assertHead(MT24, x, 2e-4);
    }

    @Test
    void n24Double() {
        double[] x = rampD(24);
        Hadamard.transform(x, 0, 24);
        assertHead(M24, x, 1e-6);
        x = rampD(24);
        Hadamard.transformTransposed(x, 0, 24);
        assertHead(MT24, x, 1e-6);
    }

    @Test
    void n16FloatAndDouble() {
        float[] x = ramp(16);
        Hadamard.transform(x, 0, 16);
        assertHead(M16, x, 1e-5);
        double[] y = rampD(16);
        Hadamard.transform(y, 0, 16);
        assertHead(M16, y, 1e-12);
        // For a power of two M is symmetric, so the transposed transform gives the same numbers.
        y = rampD(16);
        Hadamard.transformTransposed(y, 0, 16);
        assertHead(M16, y, 1e-12);
    }

    @Test
    void vectorsAtAnOffsetGiveTheSameNumbers() {
        float[] x = new float[5 + 24 + 3];
        for (int i = 0; i < 24; i++) {
            x[5 + i] = i + 1;
        }
        Hadamard.transform(x, 5, 24);
        for (int i = 0; i < 4; i++) {
            assertEquals(M24[i], x[5 + i], 2e-4, "index " + i);
        }
    }

    private static float[] ramp(int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = i + 1;
        }
        return x;
    }

    private static double[] rampD(int n) {
        double[] x = new double[n];
        for (int i = 0; i < n; i++) {
            x[i] = i + 1;
        }
        return x;
    }

    private static void assertHead(double[] expected, float[] actual, double tol) {
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], tol, "index " + i);
        }
    }

    private static void assertHead(double[] expected, double[] actual, double tol) {
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], tol, "index " + i);
        }
    }
}
