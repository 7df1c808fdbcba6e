package dev.e8q.codec.kernel;

import dev.e8q.lattice.Rvq;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;

class E8KernelTest {

    static int[][] randomCodes(int bits, int rows, int nb, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int stages = bits == 2 ? 1 : 2;
        int[][] c = new int[stages][rows * nb];
        for (int i = 0; i < rows * nb; i++) {
            c[0][i] = r.nextInt(65536);
            if (bits == 3) c[1][i] = r.nextInt(256);
            if (bits == 4) c[1][i] = r.nextInt(65536);
        }
        return c;
    }

    /** Decode-then-multiply with the lattice module's reference decode, in double. */
    static double[][] reference(int bits, int rows, int cols, int[][] codes, double rs, float[] u, int uOff) {
        int nb = cols / 8;
        double[] z = new double[rows], mag = new double[rows];
        float[] v = new float[8];
        for (int r = 0; r < rows; r++) {
            for (int b = 0; b < nb; b++) {
                long code = switch (bits) {
                    case 2 -> codes[0][r * nb + b];
                    case 3 -> ((long) codes[0][r * nb + b] << 8) | codes[1][r * nb + b];
                    default -> ((long) codes[0][r * nb + b] << 16) | codes[1][r * nb + b];
                };
                Rvq.decode(bits, rs, code, v, 0);
                for (int k = 0; k < 8; k++) {
                    z[r] += (double) v[k] * u[uOff + 8 * b + k];
                    mag[r] += Math.abs((double) v[k] * u[uOff + 8 * b + k]);
                }
            }
        }
        return new double[][] {z, mag};
    }

    static float[] gaussian(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) ((r.nextDouble() - 0.5) * 4);
        return a;
    }

    /** Runs body with the pair-table kernels on, then off, and restores the setting. */
    static void bothKernels(Runnable body) {
        boolean was = E8Kernel.lut();
        try {
            for (boolean on : new boolean[] {true, false}) {
                E8Kernel.lut(on);
                body.run();
            }
        } finally {
            E8Kernel.lut(was);
        }
    }

    @Test
    void fusedProductEqualsDecodeThenMultiply() {
        bothKernels(this::fusedProductProperty);
    }

    private void fusedProductProperty() {
        qt().withExamples(60).forAll(integers().between(2, 4), integers().between(1, 200), integers().between(1, 40), integers().between(1, 6))
                .checkAssert((bits, rows, nb, batch) -> {
                    int cols = nb * 8;
                    double rs = bits == 2 ? 0 : Rvq.defaultResidualScale(bits);
                    int[][] codes = randomCodes(bits, rows, nb, rows * 131L + nb * 7L + bits);
                    E8Kernel k = E8Kernel.repack(bits, rows, cols, codes, rs);
                    int uOff = 3, zOff = 5;
                    float[] u = gaussian(uOff + batch * cols, rows + nb);
                    float[] z = new float[zOff + batch * rows + 2];
                    k.multiply(u, uOff, z, zOff);
                    double[][] ref = reference(bits, rows, cols, codes, rs, u, uOff);
                    for (int r = 0; r < rows; r++)
                        assertEquals(ref[0][r], z[zOff + r], 1e-5 * ref[1][r] + 1e-6, "lut=" + E8Kernel.lut() + " " + bits + "-bit " + rows + "x" + cols + " row " + r);
                    assertEquals(0f, z[zOff - 1]);
                    assertEquals(0f, z[zOff + rows]);
                    // batched: columns at stride cols, rows of the result at stride rows
                    java.util.Arrays.fill(z, 0f);
                    k.multiplyBatch(u, uOff, cols, z, zOff, rows, batch);
                    for (int j = 0; j < batch; j++) {
                        double[][] rj = reference(bits, rows, cols, codes, rs, u, uOff + j * cols);
                        for (int r = 0; r < rows; r++)
                            assertEquals(rj[0][r], z[zOff + j * rows + r], 1e-5 * rj[1][r] + 1e-6,
                                    bits + "-bit batch " + batch + " col " + j + " row " + r);
                    }
                });
    }

    @Test
    void aBatchedColumnDoesNotDependOnTheBatchItIsIn() {
        // tiles serve 4 columns at once or one at a time; each column must get the same sums in the same order
        // (both batches at 8 columns or more: smaller ones may run the matrix-vector kernel per column)
        qt().withExamples(25).forAll(integers().between(2, 4), integers().between(1, 150), integers().between(1, 12), integers().between(9, 14))
                .checkAssert((bits, rows, nb, batch) -> {
                    int cols = nb * 8;
                    double rs = bits == 2 ? 0 : Rvq.defaultResidualScale(bits);
                    E8Kernel k = E8Kernel.repack(bits, rows, cols, randomCodes(bits, rows, nb, rows * 17L + nb + bits), rs);
                    float[] u = gaussian(batch * cols, rows + 3L * nb);
                    float[] all = new float[batch * rows], fewer = new float[(batch - 1) * rows];
                    k.multiplyBatch(u, 0, cols, all, 0, rows, batch);
                    // the same columns shifted by one: column j of all is column j - 1 of fewer
                    k.multiplyBatch(u, cols, cols, fewer, 0, rows, batch - 1);
                    for (int j = 1; j < batch; j++)
                        for (int r = 0; r < rows; r++)
                            assertEquals(all[j * rows + r], fewer[(j - 1) * rows + r], 0f, bits + "-bit batch " + batch + " col " + j + " row " + r);
                });
    }

    @Test
    void everyE8pCodeDecodesExactly() {
        bothKernels(this::everyCodeExactly);
    }

    private void everyCodeExactly() {
        // one row per code value in block 0, u = unit vectors: z reproduces each coordinate exactly
        int rows = 65536, cols = 8;
        int[][] codes = new int[1][rows];
        for (int c = 0; c < rows; c++) codes[0][c] = c;
        E8Kernel k = E8Kernel.repack(2, rows, cols, codes, 0);
        float[] v = new float[8], z = new float[rows];
        for (int coord = 0; coord < 8; coord++) {
            float[] u = new float[8];
            u[coord] = 1;
            k.multiply(u, 0, z, 0);
            for (int c = 0; c < rows; c++) {
                dev.e8q.lattice.E8P.decode(c, v, 0);
                if (v[coord] != z[c]) throw new AssertionError("lut=" + E8Kernel.lut() + " code " + c + " coord " + coord + ": " + v[coord] + " vs " + z[c]);
            }
        }
    }

    @Test
    void everyE81bCodeDecodesWithinRounding() {
        bothKernels(this::everyE81bCode);
    }

    private void everyE81bCode() {
        // 3-bit, one row per E81B code (stage 1 = code 0, whose value is the same in every row), u = unit vectors
        int rows = 256, cols = 8;
        int[][] codes = {new int[rows], new int[rows]};
        for (int c = 0; c < rows; c++) codes[1][c] = c;
        double rs = Rvq.defaultResidualScale(3);
        E8Kernel k = E8Kernel.repack(3, rows, cols, codes, rs);
        float[] z = new float[rows];
        for (int coord = 0; coord < 8; coord++) {
            float[] u = new float[8];
            u[coord] = 1;
            k.multiply(u, 0, z, 0);
            double[] ref = reference(3, rows, cols, codes, rs, u, 0)[0];
            for (int c = 0; c < rows; c++)
                assertEquals(ref[c], z[c], 1e-6, "lut=" + E8Kernel.lut() + " E81B code " + c + " coord " + coord);
        }
    }

    @Test
    void rejectsBadShapes() {
        assertThrows(IllegalArgumentException.class, () -> E8Kernel.repack(5, 8, 8, new int[1][8], 0));
        assertThrows(IllegalArgumentException.class, () -> E8Kernel.repack(2, 8, 12, new int[1][8], 0));
        assertThrows(IllegalArgumentException.class, () -> E8Kernel.repack(3, 8, 8, new int[1][8], 2.04));
        E8Kernel k = E8Kernel.repack(2, 8, 8, new int[1][8], 0);
        assertThrows(IndexOutOfBoundsException.class, () -> k.multiply(new float[7], 0, new float[8], 0));
        // batches: a negative size, and a last column (per-column path or tiles) past the end of u or z
        assertThrows(IllegalArgumentException.class, () -> k.multiplyBatch(new float[8], 0, 8, new float[8], 0, 8, -1));
        for (int batch : new int[] {2, 12}) {
            assertThrows(IndexOutOfBoundsException.class, () -> k.multiplyBatch(new float[8 * batch - 1], 0, 8, new float[8 * batch], 0, 8, batch));
            assertThrows(IndexOutOfBoundsException.class, () -> k.multiplyBatch(new float[8 * batch], 0, 8, new float[8 * batch - 1], 0, 8, batch));
        }
        k.multiplyBatch(new float[0], 0, 8, new float[0], 0, 8, 0); // an empty batch is no error
    }
}
