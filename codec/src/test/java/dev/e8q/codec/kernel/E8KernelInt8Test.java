package dev.e8q.codec.kernel;

import dev.e8q.lattice.E81B;
import dev.e8q.lattice.E8P;
import dev.e8q.lattice.Rvq;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;

/** The int8-activation product: exact on the rounded activations, and within the rounding bound of the exact one. */
class E8KernelInt8Test {

    @Test
    void equalsTheProductWithRoundedActivationsAndStaysWithinTheRoundingBound() {
        E8KernelTest.bothKernels(this::roundedProperty);
    }

    @Test
    void pairTableKernelEqualsTheByteLaneKernelBitForBit() {
        // same int16 sums, same float operations in the same order: the two int8 kernels must agree exactly
        boolean was = E8Kernel.lut();
        try {
            qt().withExamples(40).forAll(integers().between(2, 4), integers().between(1, 300), integers().between(1, 50))
                    .checkAssert((bits, rows, nb) -> {
                        int cols = nb * 8;
                        double rs = bits == 2 ? 0 : Rvq.defaultResidualScale(bits);
                        E8Kernel k = E8Kernel.repack(bits, rows, cols, E8KernelTest.randomCodes(bits, rows, nb, rows * 5L + nb), rs);
                        float[] u = E8KernelTest.gaussian(cols, rows * 3L + nb * 11L);
                        float[] lutZ = new float[rows], laneZ = new float[rows];
                        E8Kernel.lut(true);
                        k.multiplyInt8(u, 0, lutZ, 0);
                        E8Kernel.lut(false);
                        k.multiplyInt8(u, 0, laneZ, 0);
                        assertArrayEquals(laneZ, lutZ, bits + "-bit " + rows + "x" + cols);
                    });
        } finally {
            E8Kernel.lut(was);
        }
    }

    private void roundedProperty() {
        qt().withExamples(60).forAll(integers().between(2, 4), integers().between(1, 200), integers().between(1, 40))
                .checkAssert((bits, rows, nb) -> {
                    int cols = nb * 8;
                    double rs = bits == 2 ? 0 : Rvq.defaultResidualScale(bits);
                    int[][] codes = E8KernelTest.randomCodes(bits, rows, nb, rows * 31L + nb * 17L + bits);
                    E8Kernel k = E8Kernel.repack(bits, rows, cols, codes, rs);
                    int uOff = 2, zOff = 3;
                    float[] u = E8KernelTest.gaussian(uOff + cols, rows * 7L + nb);
                    // a column block of zeros and one of tiny values: scale 0, and scales far below the others
                    if (nb >= 6) for (int i = 16; i < 32; i++) { u[uOff + i] = 0; u[uOff + i + 16] *= 1e-6f; }
                    float[] z = new float[zOff + rows + 1];
                    k.multiplyInt8(u, uOff, z, zOff);

                    byte[] q = new byte[cols];
                    float[] d = new float[(cols + E8KernelA8.QBLOCK - 1) / E8KernelA8.QBLOCK];
                    E8KernelA8.quantize(u, uOff, cols, q, d);
                    float[] uq = new float[cols];
                    for (int i = 0; i < cols; i++) uq[i] = q[i] * d[i / E8KernelA8.QBLOCK];
                    double[][] onRounded = E8KernelTest.reference(bits, rows, cols, codes, rs, uq, 0);
                    double[][] exact = E8KernelTest.reference(bits, rows, cols, codes, rs, u, uOff);
                    double[] bound = roundingBound(bits, rows, cols, codes, rs, d);
                    for (int r = 0; r < rows; r++) {
                        String at = "lut=" + E8Kernel.lut() + " " + bits + "-bit " + rows + "x" + cols + " row " + r;
                        assertEquals(onRounded[0][r], z[zOff + r], 1e-5 * onRounded[1][r] + 1e-6, at);
                        assertTrue(Math.abs(z[zOff + r] - exact[0][r]) <= bound[r] + 1e-5 * exact[1][r] + 1e-6,
                                at + ": |" + z[zOff + r] + " - " + exact[0][r] + "| > " + bound[r]);
                    }
                    assertEquals(0f, z[zOff - 1]);
                    assertEquals(0f, z[zOff + rows]);
                });
    }

    /** Σ_k |Ŵ[r][k]|·d_{k/32}/2: the most the rounding of u (by at most d/2 each) can move row r. */
    private static double[] roundingBound(int bits, int rows, int cols, int[][] codes, double rs, float[] d) {
        int nb = cols / 8;
        double[] b = new double[rows];
        float[] v = new float[8];
        for (int r = 0; r < rows; r++)
            for (int blk = 0; blk < nb; blk++) {
                long code = switch (bits) {
                    case 2 -> codes[0][r * nb + blk];
                    case 3 -> ((long) codes[0][r * nb + blk] << 8) | codes[1][r * nb + blk];
                    default -> ((long) codes[0][r * nb + blk] << 16) | codes[1][r * nb + blk];
                };
                Rvq.decode(bits, rs, code, v, 0);
                for (int j = 0; j < 8; j++) b[r] += Math.abs(v[j]) * d[(8 * blk + j) / E8KernelA8.QBLOCK] / 2;
            }
        return b;
    }

    @Test
    void int16SumsOverOneScaleCannotOverflow() {
        // the kernels sum Σ_k w_k·q_k over the E8KernelA8.SPAN blocks of one activation scale in int16; any
        // intermediate wrap cancels out as long as the final sum fits
        int e8p = maxAbsSum(E8P.grid4()), e81b = maxAbsSum(E81B.grid2());
        assertEquals(42, e8p, "max Σ|4c| over the E8P codewords");
        assertEquals(8, e81b, "max Σ|2g| over the E81B codewords");
        assertTrue(E8KernelA8.SPAN * e8p * 127 <= Short.MAX_VALUE, "E8P int16 sum over " + E8KernelA8.SPAN + " blocks");
        assertTrue(E8KernelA8.SPAN * e81b * 127 <= Short.MAX_VALUE, "E81B int16 sum over " + E8KernelA8.SPAN + " blocks");
    }

    @Test
    void theLargestPossibleSumsComeOutExact() {
        // every block holds the codeword with the largest Σ|4c| and every activation has that coordinate's sign, so
        // each int16 sum reaches SPAN·42·127 (a span of 8 blocks would wrap)
        byte[] g4 = E8P.grid4();
        int argmax = 0;
        for (int c = 1; c < 65536; c++) if (maxAbsSum(g4, c) > maxAbsSum(g4, argmax)) argmax = c;
        int best = argmax;
        E8KernelTest.bothKernels(() -> {
            for (int bits : new int[] {2, 4}) {
                int rows = 64, nb = 3 * E8KernelA8.SPAN + 1, cols = 8 * nb;
                int[][] codes = new int[bits == 2 ? 1 : 2][rows * nb];
                for (int[] stage : codes) java.util.Arrays.fill(stage, best);
                double rs = bits == 2 ? 0 : Rvq.defaultResidualScale(bits);
                float[] u = new float[cols];
                for (int i = 0; i < cols; i++) u[i] = Math.signum(g4[best * 8 + i % 8]) * 0.75f;
                E8Kernel k = E8Kernel.repack(bits, rows, cols, codes, rs);
                float[] z = new float[rows];
                k.multiplyInt8(u, 0, z, 0);
                // |u| is the same everywhere, so every activation rounds to ±127 and back to ±0.75 up to float rounding
                double[][] ref = E8KernelTest.reference(bits, rows, cols, codes, rs, u, 0);
                if (bits == 2) assertEquals(nb * 42 * 0.75 / 4, ref[0][0], 1e-9, "the codes index grid4 as the kernels do");
                for (int r = 0; r < rows; r++)
                    assertEquals(ref[0][r], z[r], 1e-5 * ref[1][r], "lut=" + E8Kernel.lut() + " " + bits + "-bit row " + r);
            }
        });
    }

    private static int maxAbsSum(byte[] grid) {
        int m = 0;
        for (int c = 0; c < grid.length / 8; c++) m = Math.max(m, maxAbsSum(grid, c));
        return m;
    }

    private static int maxAbsSum(byte[] grid, int c) {
        int s = 0;
        for (int k = 0; k < 8; k++) s += Math.abs(grid[c * 8 + k]);
        return s;
    }

    @Test
    void quantizeRoundsEveryActivationToTheNearestStepOfItsBlock() {
        // vector blocks and the scalar tail: q = rint(u·127/m), d = m/127 with m = max|u| over the block's 32 columns
        qt().withExamples(200).forAll(integers().between(1, 40), integers().between(0, 1 << 20))
                .checkAssert((nb, seed) -> {
                    int cols = nb * 8, off = seed % 5;
                    float[] u = E8KernelTest.gaussian(off + cols, seed);
                    if (seed % 3 == 0) for (int i = off; i < off + Math.min(cols, 32); i++) u[i] = 0; // an all-zero block
                    byte[] q = new byte[cols];
                    float[] d = new float[(cols + E8KernelA8.QBLOCK - 1) / E8KernelA8.QBLOCK];
                    E8KernelA8.quantize(u, off, cols, q, d);
                    for (int j = 0; j < d.length; j++) {
                        float m = 0;
                        for (int i = j * E8KernelA8.QBLOCK; i < Math.min(cols, (j + 1) * E8KernelA8.QBLOCK); i++) m = Math.max(m, Math.abs(u[off + i]));
                        assertEquals(m / 127f, d[j], "scale " + j);
                        for (int i = j * E8KernelA8.QBLOCK; i < Math.min(cols, (j + 1) * E8KernelA8.QBLOCK); i++) {
                            int want = m == 0 ? 0 : (int) Math.rint(u[off + i] * (127f / m));
                            assertEquals(want, q[i], "column " + i + " of " + cols + ", u = " + u[off + i]);
                            // half a step, up to the roundings of 127/m and m/127
                            assertTrue(Math.abs(u[off + i] - q[i] * (double) d[j]) <= d[j] * (0.5 + 1e-5), "column " + i);
                        }
                    }
                });
    }

    @Test
    void theSwitchRoutesMultiplyThroughTheInt8Kernel() {
        int rows = 130, cols = 72;
        int[][] codes = E8KernelTest.randomCodes(4, rows, cols / 8, 5);
        E8Kernel k = E8Kernel.repack(4, rows, cols, codes, Rvq.defaultResidualScale(4));
        float[] u = E8KernelTest.gaussian(cols, 9);
        float[] exact = new float[rows], viaSwitch = new float[rows], int8 = new float[rows];
        k.multiply(u, 0, exact, 0);
        k.multiplyInt8(u, 0, int8, 0);
        boolean before = E8Kernel.int8Activations();
        try {
            E8Kernel.int8Activations(true);
            k.multiply(u, 0, viaSwitch, 0);
        } finally {
            E8Kernel.int8Activations(before);
        }
        assertArrayEquals(int8, viaSwitch);
        // batched products round the activations the same way: a few columns run the int8 kernel per column (equal
        // to it), more go through float tiles (equal up to float rounding)
        for (int batch : new int[] {3, 9}) {
            float[] ub = new float[batch * cols], zb = new float[batch * rows], one = new float[rows];
            for (int j = 0; j < batch; j++) System.arraycopy(E8KernelTest.gaussian(cols, 20 + j), 0, ub, j * cols, cols);
            try {
                E8Kernel.int8Activations(true);
                k.multiplyBatch(ub, 0, cols, zb, 0, rows, batch);
            } finally {
                E8Kernel.int8Activations(before);
            }
            // the per-call choice computes the same, whatever the switch says
            float[] explicit = new float[batch * rows];
            k.multiplyBatch(ub, 0, cols, explicit, 0, rows, batch, true);
            assertArrayEquals(zb, explicit, "batch " + batch + ": int8 chosen per call");
            for (int j = 0; j < batch; j++) {
                k.multiplyInt8(ub, j * cols, one, 0);
                float[] exactJ = new float[rows];
                k.multiply(ub, j * cols, exactJ, 0);
                boolean differs = false;
                for (int r = 0; r < rows; r++) {
                    assertEquals(one[r], zb[j * rows + r], 1e-5f * (Math.abs(one[r]) + 1), "batch " + batch + " column " + j + " row " + r);
                    differs |= exactJ[r] != zb[j * rows + r];
                }
                assertTrue(differs, "batch " + batch + " column " + j + " was not rounded");
            }
        }
        assertTrue(!java.util.Arrays.equals(exact, int8), "rounding the activations changes the result");
    }

    @Test
    void aNanActivationReachesEveryRow() {
        int rows = 70, cols = 32;
        E8Kernel k = E8Kernel.repack(2, rows, cols, E8KernelTest.randomCodes(2, rows, cols / 8, 3), 0);
        float[] u = E8KernelTest.gaussian(cols, 4), z = new float[rows];
        u[20] = Float.NaN;
        k.multiplyInt8(u, 0, z, 0);
        for (int r = 0; r < rows; r++) assertTrue(Float.isNaN(z[r]), "row " + r + " = " + z[r]); // no E8P coordinate is 0
    }
}
