package dev.e8q.codec;

/**
 * z = Ŵr·u on the padded dimensions, straight from the codes: 8 weights per table lookup, rows split over
 * {@link Parallel}. This is the plain, obviously correct kernel; a SIMD one can replace it behind
 * {@link #multiply}.
 */
final class E8MatVec {
    /**
     * The fused SIMD kernel ({@link dev.e8q.codec.kernel.E8Kernel}) for the E8P family; {@code -De8q.kernel=plain}
     * selects the plain loops below (A/B and reference).
     */
    static final boolean FUSED = !"plain".equals(System.getProperty("e8q.kernel"));
    private E8MatVec() {}

    /**
     * The repacked kernel of w, built on first use and kept in w's {@link E8Matrix.KernelSlot} (shared with its
     * withSignVectors copies, dropped with the codes), or null when w is not E8P-family or FUSED is off.
     */
    static dev.e8q.codec.kernel.E8Kernel kernel(E8Matrix w) {
        if (!FUSED || !w.isE8()) return null;
        E8Matrix.KernelSlot slot = w.kernelSlot();
        dev.e8q.codec.kernel.E8Kernel k = slot.kernel;
        if (k == null) {
            synchronized (slot) {
                k = slot.kernel;
                if (k == null) {
                    k = dev.e8q.codec.kernel.E8Kernel.repack(w.bits(), w.paddedRows(), w.paddedCols(), w.codesInternal(),
                            w.residualScale());
                    slot.kernel = k;
                }
            }
        }
        return k;
    }

    /** Z = Ŵr·U for batch columns (u at stride paddedCols, z at stride paddedRows), decoding the codes once. */
    static void multiplyBatch(E8Matrix w, float[] u, int uOff, float[] z, int zOff, int batch) {
        dev.e8q.codec.kernel.E8Kernel k = kernel(w);
        int m = w.paddedRows(), n = w.paddedCols();
        if (k != null) {
            k.multiplyBatch(u, uOff, n, z, zOff, m, batch);
            return;
        }
        for (int b = 0; b < batch; b++) multiply(w, u, uOff + b * n, z, zOff + b * m);
    }

    static void multiply(E8Matrix w, float[] u, int uOff, float[] z, int zOff) {
        dev.e8q.codec.kernel.E8Kernel k = kernel(w);
        if (k != null) {
            k.multiply(u, uOff, z, zOff);
            return;
        }
        int m = w.paddedRows(), n = w.paddedCols(), nb = n / 8;
        int[][] codes = w.codesInternal();
        if (!w.isE8()) {
            HalfIntegerGrid g = new HalfIntegerGrid(w.bits());
            Parallel.forRange(m, 64, (r0, r1) -> {
                float[] v = new float[8];
                for (int r = r0; r < r1; r++) {
                    float s = 0;
                    for (int b = 0; b < nb; b++) {
                        g.decode(codes[0][r * nb + b] & 0xFFFFFFFFL, v, 0);
                        for (int j = 0; j < 8; j++) s += v[j] * u[uOff + 8 * b + j];
                    }
                    z[zOff + r] = s;
                }
            });
            return;
        }
        float[] t0 = CodeTables.e8p();
        int[] c0 = codes[0];
        if (w.stages() == 1) {
            Parallel.forRange(m, 64, (r0, r1) -> {
                for (int r = r0; r < r1; r++) {
                    float s = 0;
                    int base = r * nb;
                    for (int b = 0; b < nb; b++) {
                        int o = c0[base + b] * 8, uo = uOff + 8 * b;
                        for (int j = 0; j < 8; j++) s += t0[o + j] * u[uo + j];
                    }
                    z[zOff + r] = s;
                }
            });
        } else {
            float[] t1 = CodeTables.residual(w.bits(), w.residualScale());
            int[] c1 = codes[1];
            Parallel.forRange(m, 64, (r0, r1) -> {
                for (int r = r0; r < r1; r++) {
                    float s = 0;
                    int base = r * nb;
                    for (int b = 0; b < nb; b++) {
                        int o = c0[base + b] * 8, o1 = c1[base + b] * 8, uo = uOff + 8 * b;
                        for (int j = 0; j < 8; j++) s += (t0[o + j] + t1[o1 + j]) * u[uo + j];
                    }
                    z[zOff + r] = s;
                }
            });
        }
    }
}
