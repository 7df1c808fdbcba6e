package dev.e8q.codec;

/**
 * z = Ŵr·u on the padded dimensions, straight from the codes: 8 weights per table lookup, rows split over
 * {@link Parallel}. This is the plain, obviously correct kernel; a SIMD one can replace it behind
 * {@link #multiply}.
 */
final class E8MatVec {
    private E8MatVec() {}

    static void multiply(E8Matrix w, float[] u, int uOff, float[] z, int zOff) {
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
