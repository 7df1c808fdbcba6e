package dev.e8q.codec.kernel;

import dev.e8q.lattice.Rvq;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;

/** Column panels of wide matrices: the same products as one kernel over all columns, up to float rounding. */
class E8KernelPanelsTest {

    private static final int DEFAULT_PANEL = Integer.getInteger("e8q.kernel.panelBlocks", 2048);

    @Test
    void panelsAreAlignedEqualAndNoWiderThanTheLimit() {
        qt().forAll(integers().between(1, 200_000), integers().between(1, 10_000)).checkAssert((nb, max) -> {
            int width = E8Kernel.panelWidth(nb, max), n = (nb + width - 1) / width, aligned = Math.max(4, max / 4 * 4);
            if (nb <= aligned) {
                assertEquals(1, n);
                assertEquals(nb, width);
                return;
            }
            assertEquals(0, width % 4, "a panel starts on an int8 scale block (32 columns)");
            assertTrue(width <= aligned, width + " > " + aligned);
            assertEquals((nb + aligned - 1) / aligned, n, "as few panels as the limit allows");
            assertTrue((long) (n - 1) * width < nb && (long) n * width >= nb, "the panels cover nb, none empty");
        });
        assertEquals(100_000, E8Kernel.panelWidth(100_000, 0), "0: no panels");
    }

    @Test
    void panelledProductsEqualTheWholeMatrixProducts() {
        assumeTrue(E8Kernel.WIDE, "panels are cut only for the 64-row layout (512-bit vectors with byte permutes)");
        try {
            E8KernelTest.bothKernels(() -> qt().withExamples(40)
                    .forAll(integers().between(2, 4), integers().between(1, 200), integers().between(2, 90), integers().between(1, 12))
                    .checkAssert((bits, rows, nb, panel) -> {
                        int cols = nb * 8;
                        double rs = bits == 2 ? 0 : Rvq.defaultResidualScale(bits);
                        int[][] codes = E8KernelTest.randomCodes(bits, rows, nb, rows * 7L + nb * 3L + panel);
                        E8Kernel.panelBlocks(0);
                        E8Kernel whole = E8Kernel.repack(bits, rows, cols, codes, rs);
                        E8Kernel.panelBlocks(4 * panel);
                        E8Kernel cut = E8Kernel.repack(bits, rows, cols, codes, rs);
                        assertEquals(whole.codeBytes(), cut.codeBytes());
                        int batch = 1 + (rows + nb) % 9, uOff = 3, zOff = 2;
                        float[] u = E8KernelTest.gaussian(uOff + cols * batch, rows * 11L + nb);
                        double[] mag = magnitudes(bits, rows, cols, codes, rs, u, uOff, batch);
                        String at = "lut=" + E8Kernel.lut() + " " + bits + "-bit " + rows + "x" + cols + " panels of "
                                + 4 * panel + " blocks";
                        for (boolean int8 : new boolean[] {false, true}) {
                            float[] a = new float[zOff + rows], b = new float[zOff + rows];
                            if (int8) { whole.multiplyInt8(u, uOff, a, zOff); cut.multiplyInt8(u, uOff, b, zOff); }
                            else { whole.multiply(u, uOff, a, zOff); cut.multiply(u, uOff, b, zOff); }
                            for (int r = 0; r < rows; r++)
                                assertEquals(a[zOff + r], b[zOff + r], 1e-5 * mag[r] + 1e-6, at + " int8=" + int8 + " row " + r);
                            float[] za = new float[zOff + rows * batch], zb = new float[zOff + rows * batch];
                            whole.multiplyBatch(u, uOff, cols, za, zOff, rows, batch, int8);
                            cut.multiplyBatch(u, uOff, cols, zb, zOff, rows, batch, int8);
                            for (int j = 0; j < batch; j++)
                                for (int r = 0; r < rows; r++)
                                    assertEquals(za[zOff + j * rows + r], zb[zOff + j * rows + r], 1e-5 * mag[j * rows + r] + 1e-6,
                                            at + " int8=" + int8 + " batch " + batch + " column " + j + " row " + r);
                        }
                    }));
        } finally {
            E8Kernel.panelBlocks(DEFAULT_PANEL);
        }
    }

    /** Σ_k |Ŵ[r][k]·u[k]| per column and row: the scale of the float rounding. */
    private static double[] magnitudes(int bits, int rows, int cols, int[][] codes, double rs, float[] u, int uOff, int batch) {
        double[] m = new double[rows * batch];
        for (int j = 0; j < batch; j++) {
            double[] mag = E8KernelTest.reference(bits, rows, cols, codes, rs, u, uOff + j * cols)[1];
            System.arraycopy(mag, 0, m, j * rows, rows);
        }
        return m;
    }
}
