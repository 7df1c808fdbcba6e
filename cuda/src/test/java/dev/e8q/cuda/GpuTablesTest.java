package dev.e8q.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.e8q.lattice.E8P;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class GpuTablesTest {
    @Test
    void packedAbsTableMatchesSpecExamplesAndChecksum() throws Exception {
        int[] t = GpuTables.packedAbs();
        assertEquals(0x99999999, t[0]);
        assertEquals(0x59999999, t[1]);
        assertEquals(0xD9999999, t[2]);
        assertEquals(0x7999B999, t[3]);
        assertEquals(0xB999B999, t[4]);
        assertEquals(0x7B9BBB9B, t[255]);
        ByteBuffer bb = ByteBuffer.allocate(1024).order(ByteOrder.LITTLE_ENDIAN);
        for (int w : t) bb.putInt(w);
        String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bb.array()));
        assertEquals("efc2c03c60acd955dc812ff2bade9ec6cc31259807e48473506161f3a9a230ce", sha);
    }

    /** SPEC §1.3 decode vectors, through the kernel's XOR-nibble path, for every slot of a word. */
    @Test
    void kernelDecodeMatchesSpecVectors() {
        int[] codes = {0x0000, 0x0001, 0x0003, 0x0080, 0x00FF, 0x0100, 0x0102, 0x1234, 0xE3A5, 0xFF00, 0xFFFF};
        float[][] want = {
                {.75f, .75f, .75f, .75f, .75f, .75f, .75f, .75f},
                {.25f, .25f, .25f, .25f, .25f, .25f, .25f, .25f},
                {-.25f, .75f, -.25f, .75f, .75f, .75f, .75f, .75f},
                {-.75f, .25f, .25f, .25f, .25f, .25f, .25f, -.75f},
                {-.25f, -.25f, -.25f, -.25f, -.25f, -.25f, -.25f, -.25f},
                {.75f, .75f, .75f, .75f, .75f, .75f, .75f, -1.25f},
                {-.75f, .25f, -.75f, .25f, .25f, .25f, .25f, -1.75f},
                {-.75f, -.75f, .25f, -.75f, -1.75f, .25f, .25f, 1.25f},
                {-1.25f, .75f, .75f, -.25f, -1.25f, 1.75f, 1.75f, 1.75f},
                {1.75f, 1.75f, .75f, .75f, 1.75f, 1.75f, 1.75f, -.25f},
                {-1.25f, -1.25f, -.25f, -.25f, -1.25f, -1.25f, -1.25f, .75f}};
        int[] tab = GpuTables.packedAbs();
        float[] got = new float[8];
        for (int c = 0; c < codes.length; c++) {
            for (int slot = 0; slot < 4; slot++) {
                GpuTables.decode(word(codes[c], slot, 0x5A5A), slot, tab, got, 0);
                assertArrayEquals(want[c], got, "code " + Integer.toHexString(codes[c]) + " slot " + slot);
            }
        }
    }

    /** All 65,536 codes, each in every slot, against the lattice module's canonical decode. */
    @Test
    void kernelDecodeEqualsCanonicalDecodeForAllCodes() {
        int[] tab = GpuTables.packedAbs();
        float[] want = new float[8], got = new float[8];
        for (int code = 0; code < 65536; code++) {
            E8P.decode(code, want, 0);
            int slot = code & 3;
            GpuTables.decode(word(code, slot, code * 0x9E37), slot, tab, got, 0);
            assertArrayEquals(want, got, "code " + code);
        }
    }

    /** A word with {@code code} in {@code slot} and other bits of {@code noise} in the other three slots. */
    static long word(int code, int slot, int noise) {
        long w = 0;
        for (int i = 0; i < 4; i++) {
            int c = i == slot ? code : (noise * (i + 7)) & 0xFFFF;
            w |= (long) ((c >>> 8) & 0xFF) << (8 * i);
            for (int j = 0; j < 8; j++) w |= (long) ((c >>> j) & 1) << (32 + 4 * j + i);
        }
        return w;
    }
}
