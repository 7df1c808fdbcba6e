package dev.e8q.hadamard;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

class BadInputTest {

    @Test
    void unsupportedSizeIsRejectedNamingN() {
        float[] f = new float[20000];
        double[] d = new double[20000];
        for (int n : new int[] {10920, 0, -8, 3, 44, 96 * 3 + 4}) {
            expect("n=" + n, () -> Hadamard.transform(f, 0, n));
            expect("n=" + n, () -> Hadamard.transformTransposed(f, 0, n));
            expect("n=" + n, () -> Hadamard.transform(d, 0, n));
            expect("n=" + n, () -> Hadamard.transformTransposed(d, 0, n));
        }
    }

    @Test
    void rangePastTheArrayIsRejectedNamingN() {
        float[] f = new float[24];
        double[] d = new double[24];
        expect("n=24", () -> Hadamard.transform(f, 1, 24));
        expect("n=24", () -> Hadamard.transformTransposed(f, 1, 24));
        expect("n=24", () -> Hadamard.transform(d, 1, 24));
        expect("n=24", () -> Hadamard.transformTransposed(d, 1, 24));
        expect("n=16", () -> Hadamard.transform(f, -1, 16));
        expect("n=16", () -> Hadamard.transform(d, Integer.MAX_VALUE, 16));
        expect("n=32", () -> Hadamard.transform(new float[31], 0, 32));
    }

    @Test
    void nullArrayIsANullPointer() {
        assertThrows(NullPointerException.class, () -> Hadamard.transform((float[]) null, 0, 16));
        assertThrows(NullPointerException.class, () -> Hadamard.transform((double[]) null, 0, 16));
    }

    private static void expect(String fragment, Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(fragment), () -> "message should name " + fragment + ": " + e.getMessage());
    }
}
