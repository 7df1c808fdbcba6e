package dev.e8q.hadamard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class SizesTest {
    private static final int[] KS = {12, 20, 28, 36, 52, 60, 108, 116, 124, 140, 156, 172};

    /** The Llama-2 dimensions listed in SPEC §4.2 with their K. */
    @ParameterizedTest(name = "n={0}")
    @CsvSource({"4096, 1", "5120, 20", "11008, 172", "12288, 12", "13824, 108", "15360, 60",
        "22016, 172", "27648, 108", "8192, 1", "10240, 20", "28672, 28", "57344, 28",
        "1, 1", "2, 1", "12, 12", "24, 12", "172, 172", "124, 124", "1073741824, 1"})
    void llamaAndEdgeSizes(int n, int k) {
        assertTrue(Hadamard.supports(n), "supports " + n);
        assertEquals(k, Hadamard.baseSize(n));
    }

    @ParameterizedTest(name = "n={0}")
    @ValueSource(ints = {10920, 0, -4, 3, 6, 10, 44, 86, 96 * 3 + 4, 1 << 31 >>> 1 | 1, Integer.MAX_VALUE, 11 * 64})
    void unsupported(int n) {
        assertFalse(Hadamard.supports(n), "supports " + n);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Hadamard.baseSize(n));
        assertTrue(e.getMessage().contains("n=" + n), e.getMessage());
    }

    @Test
    void supportsMatchesTheSpecRuleCheckedInReferenceOrder() {
        // SPEC §4.2: try K = 172, 156, …, 12 (n % K == 0 and n/K a power of two), then powers of two.
        int[] order = {172, 156, 140, 124, 116, 108, 60, 52, 36, 28, 20, 12};
        for (int n = 1; n <= 20000; n++) {
            int expected = 0;
            for (int k : order) {
                if (n % k == 0 && Integer.bitCount(n / k) == 1) {
                    expected = k;
                    break;
                }
            }
            if (expected == 0 && Integer.bitCount(n) == 1) {
                expected = 1;
            }
            assertEquals(expected != 0, Hadamard.supports(n), "supports(" + n + ")");
            if (expected != 0) {
                assertEquals(expected, Hadamard.baseSize(n), "baseSize(" + n + ")");
            }
        }
    }

    @ParameterizedTest(name = "paddedSize({0}, {1}) = {2}")
    @CsvSource({"172, 64, 192", "344, 16, 384", "11008, 64, 11008", "10920, 64, 11008", "10920, 8, 11008",
        "4096, 8, 4096", "1, 1, 1", "5, 1, 8", "7, 7, 28", "100, 35, 140", "3, 2, 4"})
    void paddedExamples(int n, int multiple, int expected) {
        assertEquals(expected, Hadamard.paddedSize(n, multiple));
    }

    @Test
    void paddedIsTheSmallestSupportedMultiple() {
        // Brute force over n < 5000; prints the falsifying (n, multiple) on failure.
        int[] multiples = java.util.stream.IntStream.rangeClosed(1, 256)
                .filter(SizesTest::hasSupportedMultiple).toArray();
        qt().forAll(integers().between(1, 4999), integers().between(0, multiples.length - 1).map(i -> multiples[i]))
                .checkAssert((n, m) -> {
                    int p = Hadamard.paddedSize(n, m);
                    assertTrue(p >= n && p % m == 0 && Hadamard.supports(p), "paddedSize=" + p);
                    for (int q = n; q < p; q++) {
                        assertFalse(q % m == 0 && Hadamard.supports(q), "smaller valid size " + q);
                    }
                });
    }

    @Test
    void paddedRejectsImpossibleAndBadArguments() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Hadamard.paddedSize(100, 11));
        assertTrue(e.getMessage().contains("multiple=11"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Hadamard.paddedSize(0, 8));
        assertTrue(e.getMessage().contains("n=0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Hadamard.paddedSize(8, 0));
        assertTrue(e.getMessage().contains("multiple=0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Hadamard.paddedSize(Integer.MAX_VALUE, 1));
        assertTrue(e.getMessage().contains("n=" + Integer.MAX_VALUE), e.getMessage());
    }

    /** A multiple m is reachable when its odd part divides the odd part of some supported K. */
    private static boolean hasSupportedMultiple(int m) {
        int odd = m >>> Integer.numberOfTrailingZeros(m);
        if (odd == 1) {
            return true;
        }
        for (int k : KS) {
            if ((k / 4) % odd == 0) {
                return true;
            }
        }
        return false;
    }
}
