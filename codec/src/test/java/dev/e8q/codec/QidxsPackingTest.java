package dev.e8q.codec;

import static org.junit.jupiter.api.Assertions.*;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.*;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class QidxsPackingTest {
    @Test
    void specTestVector() {
        int m = 16, n = 64;
        int[] codes = new int[m * n / 8];
        for (int r = 0; r < m; r++)
            for (int b = 0; b < n / 8; b++) codes[r * 8 + b] = ((8 * r + b) * 0x9E37) & 0xFFFF;
        long[] w = QidxsPacking.packE8p(m, n, codes);
        assertEquals(32, w.length);
        assertEquals(0xA8E6ACCC8F9EF100L, w[0]);
        assertEquals(0x49789F3CCCDA2E3CL, w[1]);
        assertEquals(0xB90793CC08176A78L, w[2]);
        assertEquals(0xB9079F3CAFBE111FL, w[5]);
        assertEquals(0x4907903C7D8BDFEDL, w[31]);
        assertArrayEquals(codes, QidxsPacking.unpackE8p(m, n, w, 0));
    }

    @Test
    void roundTripAllBitWidths() {
        qt().withExamples(40).forAll(integers().between(2, 4), integers().between(1, 3), integers().between(1, 3), longs().all())
                .checkAssert((bits, mg, ng, seed) -> {
                    int m = 16 * mg, n = 64 * ng, k = m * n / 8;
                    SplittableRandom rnd = new SplittableRandom(seed);
                    int[] s0 = new int[k], s1 = bits == 2 ? null : new int[k];
                    for (int i = 0; i < k; i++) {
                        s0[i] = rnd.nextInt(1 << 16);
                        if (s1 != null) s1[i] = rnd.nextInt(bits == 3 ? 256 : 1 << 16);
                    }
                    long[] q = QidxsPacking.pack(m, n, bits, s0, s1);
                    assertEquals(QidxsPacking.words(m, n, bits), q.length);
                    assertEquals((long) m * n * bits / 64, q.length, "Qidxs width is n/32·bits/2 words per row");
                    int[][] back = QidxsPacking.unpack(m, n, bits, q);
                    assertArrayEquals(s0, back[0]);
                    if (s1 != null) assertArrayEquals(s1, back[1]);
                });
    }

    @Test
    void threeBitLayoutPutsE81bBytesAfterTheE8pColumns() {
        int m = 16, n = 64, k = m * n / 8;
        int[] s0 = new int[k], s1 = new int[k];
        for (int i = 0; i < k; i++) s1[i] = i & 0xFF;
        long[] q = QidxsPacking.pack(m, n, 3, s0, s1);
        int wpr = 3 * n / 64; // 3 words per row: 2 E8P, 1 E81B
        for (int r = 0; r < m; r++) {
            long w = q[r * wpr + 2];
            for (int b = 0; b < 8; b++) assertEquals(s1[r * 8 + b], (int) (w >>> (8 * b)) & 0xFF);
        }
    }

    @Test
    void rejectsBadShapes() {
        var e = assertThrows(IllegalArgumentException.class, () -> QidxsPacking.pack(8, 64, 2, new int[64], null));
        assertTrue(e.getMessage().contains("16"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> QidxsPacking.unpack(16, 64, 2, new long[3]));
        assertThrows(IllegalArgumentException.class, () -> QidxsPacking.pack(16, 64, 5, new int[128], null));
        long[] ok = QidxsPacking.pack(16, 64, 2, new int[128], null);
        assertEquals(32, ok.length);
        assertTrue(Arrays.stream(ok).allMatch(x -> x == 0));
    }
}
