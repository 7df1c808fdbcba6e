package dev.e8q.codec;

import dev.e8q.lattice.E81B;
import dev.e8q.lattice.E8P;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Decoded codebooks as flat float tables, 8 floats per code, for kernels that decode 8 weights per lookup.
 * The residual tables are already divided by the residual scale, with the same float rounding as
 * {@code Rvq.decode}, so a table sum equals the reference decode bit for bit.
 */
final class CodeTables {
    private static volatile float[] e8p;
    private static final ConcurrentHashMap<Long, float[]> RESIDUAL = new ConcurrentHashMap<>();

    private CodeTables() {}

    /** 65536 × 8. */
    static float[] e8p() {
        float[] t = e8p;
        if (t == null) {
            t = new float[E8P.CODES * 8];
            for (int c = 0; c < E8P.CODES; c++) E8P.decode(c, t, 8 * c);
            e8p = t;
        }
        return t;
    }

    /** Second-stage table for 3 bits (E81B, 256 × 8) or 4 bits (E8P, 65536 × 8), divided by residScale. */
    static float[] residual(int bits, double residScale) {
        long key = Double.doubleToLongBits(residScale) * 31 + bits;
        return RESIDUAL.computeIfAbsent(key, k -> {
            int codes = bits == 3 ? E81B.CODES : E8P.CODES;
            float[] t = new float[codes * 8];
            for (int c = 0; c < codes; c++) {
                if (bits == 3) E81B.decode(c, t, 8 * c);
                else E8P.decode(c, t, 8 * c);
            }
            for (int i = 0; i < t.length; i++) t[i] = (float) (t[i] / residScale);
            return t;
        });
    }
}
