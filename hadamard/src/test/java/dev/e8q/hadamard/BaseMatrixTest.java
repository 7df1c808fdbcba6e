package dev.e8q.hadamard;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.MessageDigest;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class BaseMatrixTest {

    /** First 16 hex digits of SHA-256 over the int8 row-major matrix, from SPEC §4.3. */
    @ParameterizedTest(name = "K={0}")
    @CsvSource({
        "12, 67507aecbe2abee5", "20, f54960fecf1ccf70", "28, a6cb994c78f9acd4",
        "36, d674d8240e6b622b", "52, 9ee082772819b105", "60, 091e76fba0aef583",
        "108, 690a34c6c9ed2f0e", "116, e35aecfbc1d95799", "124, 9b41cf5242a1dd12",
        "140, b9ff01506ffe4db5", "156, 99a1b852ce559ffd", "172, 378ef12c7cc31f3e"})
    void matchesSpecChecksum(int k, String prefix) throws Exception {
        byte[] h = Hadamard.baseMatrix(k);
        assertEquals(k * k, h.length);
        String hex = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(h));
        assertEquals(prefix, hex.substring(0, 16), "SHA-256 of base matrix K=" + k);
    }

    @ParameterizedTest(name = "K={0}")
    @ValueSource(ints = {1, 12, 20, 28, 36, 52, 60, 108, 116, 124, 140, 156, 172})
    void isHadamard(int k) {
        byte[] h = Hadamard.baseMatrix(k);
        for (int i = 0; i < k; i++) {
            for (int j = 0; j < k; j++) {
                assertTrue(h[i * k + j] == 1 || h[i * k + j] == -1, "entry (" + i + "," + j + ") of K=" + k);
                int dot = 0;
                for (int c = 0; c < k; c++) {
                    dot += h[i * k + c] * h[j * k + c];
                }
                assertEquals(i == j ? k : 0, dot, "row " + i + " · row " + j + " of K=" + k);
            }
        }
    }

    @ParameterizedTest(name = "K={0}")
    @ValueSource(ints = {12, 20, 60, 108, 140})
    void paleyOneIsSkewWithTheSpecBorder(int k) {
        byte[] h = Hadamard.baseMatrix(k);
        for (int i = 0; i < k; i++) {
            assertEquals(1, h[i * k], "column 0, row " + i);
            assertEquals(i == 0 ? 1 : -1, h[i], "row 0, column " + i);
            for (int j = 0; j < k; j++) {
                if (i != j) {
                    assertEquals(-h[j * k + i], h[i * k + j], "H − I skew at (" + i + "," + j + ")");
                }
            }
        }
    }

    @Test
    void sizeOneIsTheScalarOne() {
        assertArrayEquals(new byte[] {1}, Hadamard.baseMatrix(1));
    }

    @Test
    void returnsACopy() {
        byte[] first = Hadamard.baseMatrix(12);
        first[0] = 0;
        assertEquals(1, Hadamard.baseMatrix(12)[0]);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, -12, 2, 4, 24, 44, 173, 1 << 20})
    void rejectsOtherSizesNamingThem(int k) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Hadamard.baseMatrix(k));
        assertTrue(e.getMessage().contains("k=" + k), e.getMessage());
    }
}
