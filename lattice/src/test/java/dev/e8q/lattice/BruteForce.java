package dev.e8q.lattice;

/** Exhaustive reference searches for the tests: every codeword, distances in double. */
final class BruteForce {
    private static final byte[] GRID4 = E8P.grid4();
    private static final byte[] GRID2 = E81B.grid2();

    private BruteForce() {
    }

    /** ‖x − decode(code)‖², computed from the raw grid rather than through E8P's own helpers. */
    static double e8pDistance(float[] x, int off, int code) {
        double d = 0;
        for (int k = 0; k < 8; k++) {
            double e = x[off + k] - GRID4[code * 8 + k] / 4.0;
            d += e * e;
        }
        return d;
    }

    /** The minimum distance over all 65,536 E8P codewords. */
    static double e8pMinDistance(float[] x, int off) {
        double best = Double.POSITIVE_INFINITY;
        for (int c = 0; c < E8P.CODES; c++) {
            best = Math.min(best, e8pDistance(x, off, c));
        }
        return best;
    }

    /** argmax 2⟨x,g⟩ − ‖g‖² over the 256 E81B codewords, first index on ties. */
    static int e81bNearest(float[] x, int off) {
        int best = -1;
        double bestScore = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < E81B.CODES; i++) {
            double s = 0;
            double n = 0;
            for (int k = 0; k < 8; k++) {
                double g = GRID2[i * 8 + k] / 2.0;
                s += 2 * x[off + k] * g;
                n += g * g;
            }
            s -= n;
            if (s > bestScore) {
                bestScore = s;
                best = i;
            }
        }
        return best;
    }
}
