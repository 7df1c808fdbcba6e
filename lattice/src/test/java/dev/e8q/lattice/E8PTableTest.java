package dev.e8q.lattice;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The E8P tables and canonical decode against SPEC §1.1–1.4. */
class E8PTableTest {

    @Test
    void gridHashMatchesSpec() {
        assertEquals("ea3883a85a627590ca74626320a2a691943386a8c89ac72cdb6388bfe7da5cc0", Sha.hex(E8P.grid4()));
    }

    @Test
    void sourceHashMatchesSpec() {
        assertEquals("4310f9ed6450a9f87bd51399a5e549b66d43ae0800cb3f7494aa7b94aa7c0db4", Sha.hex(E8P.sourceTable()));
    }

    @Test
    void sourceRowsNamedInSpec() {
        byte[] s = E8P.sourceTable();
        String[][] rows = {
            {"0", "11111111"}, {"1", "11111113"}, {"2", "11111115"}, {"11", "11111331"}, {"220", "51111113"},
            {"226", "53111111"}, {"227", "31113333"}, {"255", "33113331"},
        };
        for (String[] r : rows) {
            int i = Integer.parseInt(r[0]);
            StringBuilder got = new StringBuilder();
            for (int k = 0; k < 8; k++) {
                got.append(s[i * 8 + k]);
            }
            assertEquals(r[1], got.toString(), "row " + i);
        }
        assertFalse(E8P.odd(0));
        assertTrue(E8P.odd(1));
    }

    @Test
    void sortedPartCountsByNorm() {
        byte[] s = E8P.sourceTable();
        int[] count = new int[13];
        for (int i = 0; i < 227; i++) {
            int norm4 = 0;
            for (int k = 0; k < 8; k++) {
                norm4 += s[i * 8 + k] * s[i * 8 + k];
            }
            count[norm4 / 4]++;
        }
        assertArrayEquals(new int[] {0, 0, 1, 0, 8, 0, 28, 0, 64, 0, 126, 0, 0}, count);
    }

    @Test
    void decodeTestVectors() {
        Object[][] vectors = {
            {0x0000, new float[] {.75f, .75f, .75f, .75f, .75f, .75f, .75f, .75f}},
            {0x0001, new float[] {.25f, .25f, .25f, .25f, .25f, .25f, .25f, .25f}},
            {0x0003, new float[] {-.25f, .75f, -.25f, .75f, .75f, .75f, .75f, .75f}},
            {0x0080, new float[] {-.75f, .25f, .25f, .25f, .25f, .25f, .25f, -.75f}},
            {0x00FF, new float[] {-.25f, -.25f, -.25f, -.25f, -.25f, -.25f, -.25f, -.25f}},
            {0x0100, new float[] {.75f, .75f, .75f, .75f, .75f, .75f, .75f, -1.25f}},
            {0x0102, new float[] {-.75f, .25f, -.75f, .25f, .25f, .25f, .25f, -1.75f}},
            {0x1234, new float[] {-.75f, -.75f, .25f, -.75f, -1.75f, .25f, .25f, 1.25f}},
            {0xE3A5, new float[] {-1.25f, .75f, .75f, -.25f, -1.25f, 1.75f, 1.75f, 1.75f}},
            {0xFF00, new float[] {1.75f, 1.75f, .75f, .75f, 1.75f, 1.75f, 1.75f, -.25f}},
            {0xFFFF, new float[] {-1.25f, -1.25f, -.25f, -.25f, -1.25f, -1.25f, -1.25f, .75f}},
        };
        for (Object[] v : vectors) {
            int code = (Integer) v[0];
            float[] out = new float[10];
            E8P.decode(code, out, 1);
            float[] got = java.util.Arrays.copyOfRange(out, 1, 9);
            assertArrayEquals((float[]) v[1], got, "code 0x" + Integer.toHexString(code));
        }
    }

    @Test
    void allCodewordsDistinctAndInShiftedD8() {
        byte[] g = E8P.grid4();
        Set<Long> seen = new HashSet<>();
        for (int c = 0; c < E8P.CODES; c++) {
            long key = 0;
            int shift = Integer.bitCount(c & 0xFF) % 2 == 1 ? -1 : 1; // in units of ¼
            int sum = 0;
            for (int k = 0; k < 8; k++) {
                int u4 = g[c * 8 + k] - shift; // 4·(v − shift) = 2·(odd integer)
                assertEquals(2, Math.floorMod(u4, 4), "code " + c + " coordinate " + k + " not in Z+½");
                sum += u4;
                key = key << 8 | (g[c * 8 + k] & 0xFF);
            }
            assertEquals(0, Math.floorMod(sum, 8), "code " + c + ": coordinate sum is odd");
            assertTrue(seen.add(key), "code " + c + " repeats a codeword");
        }
    }

    @Test
    void packedAbsTableHashMatchesSpec() {
        // §1.4 words, rebuilt from S and odd(i): checks S and odd together in the kernel's form.
        byte[] s = E8P.sourceTable();
        int[] perm = {0, 2, 4, 6, 1, 3, 5, 7};
        byte[] le = new byte[256 * 4];
        int[] words = new int[256];
        for (int i = 0; i < 256; i++) {
            int word = 0;
            for (int k = 0; k < 8; k++) {
                int a2 = s[i * 8 + perm[k]];
                if (k == 7 && E8P.odd(i)) {
                    a2 = -a2;
                }
                word |= (a2 + 8) << (4 * k);
            }
            words[i] = word;
            for (int b = 0; b < 4; b++) {
                le[i * 4 + b] = (byte) (word >>> (8 * b));
            }
        }
        assertEquals(0x99999999, words[0]);
        assertEquals(0x59999999, words[1]);
        assertEquals(0x7B9BBB9B, words[255]);
        assertEquals("efc2c03c60acd955dc812ff2bade9ec6cc31259807e48473506161f3a9a230ce", Sha.hex(le));
    }

    @Test
    void encodeInvertsDecodeForEveryCode() {
        byte[] g = E8P.grid4();
        for (int c = 0; c < E8P.CODES; c++) {
            int shiftBit = g[c * 8] % 2 == 0 ? -1 : (Math.floorMod(g[c * 8] - 1, 4) == 2 ? 0 : 1);
            // v = u + s with 4u ≡ 2 (mod 4): 4v − 1 ≡ 2 (mod 4) ⇔ s = +¼
            int neg = 0;
            for (int k = 0; k < 8; k++) {
                int u4 = g[c * 8 + k] - (shiftBit == 0 ? 1 : -1);
                if (u4 < 0) {
                    neg |= 1 << k;
                }
            }
            assertEquals(c, E8P.encode(c >>> 8, neg, shiftBit), "code " + c);
        }
    }

    @Test
    void rejectsBadArguments() {
        float[] out = new float[8];
        assertThrows(IllegalArgumentException.class, () -> E8P.decode(-1, out, 0));
        assertThrows(IllegalArgumentException.class, () -> E8P.decode(65536, out, 0));
        assertThrows(IllegalArgumentException.class, () -> E8P.decode(0, out, 1));
        assertThrows(IllegalArgumentException.class, () -> E8P.odd(256));
        assertThrows(IllegalArgumentException.class, () -> E8P.encode(1, 0, 0)); // odd(1) needs an odd mask
        assertThrows(IllegalArgumentException.class, () -> E8P.encode(0, 256, 0));
        assertThrows(IllegalArgumentException.class, () -> E8P.encode(0, 0, 2));
    }

    @Test
    void tablesAreCopies() {
        E8P.grid4()[0] = 99;
        E8P.sourceTable()[0] = 99;
        assertEquals(3, E8P.grid4()[0]);
        assertEquals(1, E8P.sourceTable()[0]);
    }
}
