package dev.e8q.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.e8q.codec.QidxsPacking;
import java.util.Random;
import org.junit.jupiter.api.Test;

class QidxsLayoutTest {
    /** SPEC §1.5 test vector: m=16, n=64, code[r][b] = ((8r+b)·0x9E37) mod 65536. */
    @Test
    void readsTheSpecTestVector() {
        QidxsLayout lay = new QidxsLayout(16, 64, 2);
        long[] words = new long[lay.totalWords()];
        int[] given = {0, 1, 2, 5, 31};
        long[] values = {0xA8E6ACCC8F9EF100L, 0x49789F3CCCDA2E3CL, 0xB90793CC08176A78L, 0xB9079F3CAFBE111FL,
                0x4907903C7D8BDFEDL};
        for (int i = 0; i < given.length; i++) words[given[i]] = values[i];
        int checked = 0;
        for (int r = 0; r < 16; r++) {
            for (int b = 0; b < 8; b++) {
                int flat = lay.flatIndex(r, b);
                for (int g : given) {
                    if (g == flat) {
                        assertEquals(((8 * r + b) * 0x9E37) & 0xFFFF, lay.code(words, 0, r, b), "code (" + r + "," + b + ")");
                        checked++;
                    }
                }
            }
        }
        assertEquals(20, checked, "5 words x 4 codes");
    }

    @Test
    void readsWhatTheCodecPacksAtEveryWidth() {
        Random rnd = new Random(7);
        int[][] shapes = {{16, 64}, {32, 128}, {48, 192}, {64, 576}};
        for (int bits = 2; bits <= 4; bits++) {
            for (int[] s : shapes) {
                int m = s[0], n = s[1], blocks = n / 8;
                int[] st0 = new int[m * blocks], st1 = new int[m * blocks];
                for (int i = 0; i < st0.length; i++) {
                    st0[i] = rnd.nextInt(65536);
                    st1[i] = bits == 3 ? rnd.nextInt(256) : rnd.nextInt(65536);
                }
                long[] q = QidxsPacking.pack(m, n, bits, st0, bits == 2 ? null : st1);
                QidxsLayout lay = new QidxsLayout(m, n, bits);
                assertEquals(q.length, lay.totalWords());
                for (int r = 0; r < m; r++) {
                    for (int b = 0; b < blocks; b++) {
                        assertEquals(st0[r * blocks + b], lay.code(q, 0, r, b), bits + "-bit stage 0 " + m + "x" + n);
                        if (bits > 2)
                            assertEquals(st1[r * blocks + b], lay.code(q, 1, r, b), bits + "-bit stage 1 " + m + "x" + n);
                    }
                }
            }
        }
    }

    /** An encoded (not random) matrix: every code the kernel would read equals E8Matrix.code(stage, row, block). */
    @Test
    void readsWhatE8MatrixHoldsForEncodedWeights() {
        Random rnd = new Random(8);
        int rows = 40, cols = 150; // padded by the codec
        float[] w = new float[rows * cols];
        for (int i = 0; i < w.length; i++) w[i] = (float) rnd.nextGaussian();
        for (int bits = 2; bits <= 4; bits++) {
            dev.e8q.codec.E8Matrix m = dev.e8q.codec.E8Codec.encode(w, rows, cols, bits);
            QidxsLayout lay = new QidxsLayout(m.paddedRows(), m.paddedCols(), bits);
            long[] q = m.qidxs();
            for (int stage = 0; stage < m.stages(); stage++)
                for (int r = 0; r < lay.rows(); r++)
                    for (int b = 0; b < lay.cols() / 8; b++)
                        assertEquals(m.code(stage, r, b), lay.code(q, stage, r, b), bits + "-bit stage " + stage);
        }
    }

    /** The kernel's (group, tile, lane, slot) → (row, block) mapping must be the inverse of the flat index. */
    @Test
    void laneMappingCoversEveryCodeOnce() {
        QidxsLayout lay = new QidxsLayout(48, 320, 2);
        boolean[] seen = new boolean[48 * 40];
        for (int bigP = 0; bigP < 3; bigP++) {
            for (int bigQ = 0; bigQ < lay.tiles(); bigQ++) {
                for (int lane = 0; lane < 32; lane++) {
                    int f = lay.laneFlat(bigP, bigQ, lane);
                    for (int slot = 0; slot < 4; slot++) {
                        int row = QidxsLayout.laneRow(bigP, lane, slot), block = QidxsLayout.laneBlock(bigQ, lane, slot);
                        assertEquals(f, lay.flatIndex(row, block), "lane " + lane + " slot " + slot);
                        assertEquals(slot, QidxsLayout.slot(row, block));
                        assertEquals(false, seen[row * 40 + block]);
                        seen[row * 40 + block] = true;
                    }
                }
            }
        }
        for (boolean b : seen) assertEquals(true, b);
    }

    @Test
    void rejectsShapesTheKernelCannotRun() {
        assertThrows(IllegalArgumentException.class, () -> new QidxsLayout(24, 64, 2));
        assertThrows(IllegalArgumentException.class, () -> new QidxsLayout(16, 96, 2));
        assertThrows(IllegalArgumentException.class, () -> new QidxsLayout(65536, 64, 2));
        assertThrows(IllegalArgumentException.class, () -> new QidxsLayout(16, 64, 5));
        assertThrows(IllegalArgumentException.class, () -> new QidxsLayout(16, 64, 2).memoryIndex(1, 0));
    }
}
