package dev.e8q.lattice;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** The E81B table against SPEC §3. */
class E81BTableTest {

    @Test
    void hashMatchesSpec() {
        assertEquals("37ce1a66345c1bbc51427c9e13e355558727bc02828e09f751b4d46fd7f816ec", Sha.hex(E81B.grid2()));
    }

    @Test
    void indicesNamedInSpec() {
        assertArrayEquals(new float[] {-1, -1, 0, 0, 0, 0, 0, 0}, decode(0));
        assertArrayEquals(new float[8], decode(56));
        assertArrayEquals(new float[] {-.5f, -.5f, -.5f, -.5f, -.5f, -.5f, -.5f, -.5f}, decode(113));
        assertArrayEquals(new float[] {.5f, .5f, .5f, .5f, .5f, .5f, .5f, .5f}, decode(240));
        assertArrayEquals(new float[] {2, 0, 0, 0, 0, 0, 0, 0}, decode(241));
        assertArrayEquals(new float[] {0, 0, 0, 0, 0, 0, 0, 2}, decode(248));
        assertArrayEquals(new float[] {-2, 0, 0, 0, 0, 0, 0, 0}, decode(249));
        assertArrayEquals(new float[] {0, 0, 0, 0, 0, 0, -2, 0}, decode(255));
    }

    @Test
    void rejectsBadArguments() {
        assertThrows(IllegalArgumentException.class, () -> E81B.decode(256, new float[8], 0));
        assertThrows(IllegalArgumentException.class, () -> E81B.decode(-1, new float[8], 0));
        assertThrows(IllegalArgumentException.class, () -> E81B.decode(0, new float[7], 0));
    }

    private static float[] decode(int code) {
        float[] out = new float[8];
        E81B.decode(code, out, 0);
        return out;
    }
}
