package dev.e8q.codec;

import java.util.Arrays;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The lower triangle of C ± XᵀX, in place: c[i][j] = fma(±x[t][i], x[t][j], c[i][j]) for t = 0..T−1 in order, every
 * i &lt; m and j ≤ i. Each entry sees the same chain of fused multiply-adds as a plain loop over t, so the result does
 * not depend on the blocking or the thread count. Used for calibration Hessians (Σ x xᵀ over tokens) and for the
 * trailing update of {@link Cholesky}.
 *
 * <p>What the blocking buys: a 4 × 16 tile of C stays in registers while the tokens stream past, and both operands
 * are read from packed copies, contiguous and cached, instead of one cache line per token from rows m doubles apart
 * (which also map to the same few L1 sets when m·8 is a multiple of 4 KiB). Entries above the diagonal inside a
 * tile's last 16 columns may be written too; callers must not rely on that part of C.
 */
public final class Syrk {
    private static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;
    private static final int L = D.length(), W = 2 * L;
    /** Rows per register tile: with two vectors of columns, 8 accumulators stay in registers. */
    static final int R = 4;
    /** Rows per block; the block's packed rows (MB × KC doubles) stay in the L2 cache. */
    public static final int MB = 64;
    /** Tokens per chunk: a packed strip of columns (KC × 2 vectors) stays in the L1 cache. */
    public static final int KC = 128;

    private Syrk() {}

    /**
     * @param x        T × m, row-major (row t is one token)
     * @param c        the matrix updated: entry (i, j) at cOff + i·cStride + j
     * @param subtract C − XᵀX instead of C + XᵀX
     */
    public static void lower(double[] x, int tokens, int m, double[] c, int cOff, int cStride, boolean subtract) {
        if (tokens <= 0 || m <= 0) return;
        if (x.length < (long) tokens * m || cOff < 0 || cStride < m || cOff + (long) (m - 1) * cStride + m > c.length)
            throw new IllegalArgumentException("Syrk: x needs " + tokens + "x" + m + ", c an m x m window at " + cOff + " stride " + cStride);
        // Row i of the lower triangle costs i+1 columns, so the last blocks are the heaviest; they are handed out
        // first, which balances the threads.
        int blocks = (m + MB - 1) / MB;
        Parallel.forRange(blocks, 1, (a, b) -> {
            double[] pk = new double[MB * KC], ps = new double[KC * W], tmp = new double[R * W];
            for (int q = a; q < b; q++) {
                int i0 = (blocks - 1 - q) * MB;
                for (int t0 = 0; t0 < tokens; t0 += KC)
                    block(x, m, i0, Math.min(m, i0 + MB), t0, Math.min(tokens, t0 + KC), subtract, pk, ps, tmp, c, cOff, cStride);
            }
        });
    }

    /** Rows [i0, i1) over tokens [t0, t1). */
    private static void block(double[] x, int m, int i0, int i1, int t0, int t1, boolean subtract, double[] pk, double[] ps,
                              double[] tmp, double[] c, int cOff, int cs) {
        int tc = t1 - t0;
        int full = (i1 - i0) / R, tiles = (i1 - i0 + R - 1) / R; // tiles of 4 rows, and with a last partial one
        for (int k = 0; k < tiles; k++)
            for (int t = 0; t < tc; t++) {
                int src = (t0 + t) * m + i0 + R * k, dst = (k * tc + t) * R;
                for (int r = 0; r < R; r++) {
                    double v = i0 + R * k + r < i1 ? x[src + r] : 0;
                    pk[dst + r] = subtract ? -v : v;
                }
            }
        // Whole strips of full tiles: straight into C, each strip packed once for every tile that reaches past it.
        for (int j = 0; j + W <= i0 + full * R; j += W) {
            int first = Math.max(0, (j + W - i0 - 1) / R); // first tile k with i0 + R·k + R ≥ j + W
            if (first >= full) continue;
            packStrip(x, m, t0, tc, j, ps);
            for (int k = first; k < full; k++) strip(pk, k, tc, ps, c, cOff + (i0 + R * k) * cs + j, cs);
        }
        // The rest of each tile (its last, partial strip; every strip of a partial tile) through a small copy, so that
        // nothing past the tile's rows or C's columns is written.
        for (int k = 0; k < tiles; k++) {
            int ti = i0 + R * k, rr = Math.min(R, i1 - ti), cEnd = ti + rr;
            for (int j = k < full ? cEnd / W * W : 0; j < cEnd; j += W) {
                int cols = Math.min(W, cEnd - j);
                Arrays.fill(tmp, 0);
                for (int r = 0; r < rr; r++) System.arraycopy(c, cOff + (ti + r) * cs + j, tmp, r * W, cols);
                packStrip(x, m, t0, tc, j, ps);
                strip(pk, k, tc, ps, tmp, 0, W);
                for (int r = 0; r < rr; r++) System.arraycopy(tmp, r * W, c, cOff + (ti + r) * cs + j, cols);
            }
        }
    }

    /** ps[t][c] = x[t0+t][j+c] for c < W, zero past the last column. */
    private static void packStrip(double[] x, int m, int t0, int tc, int j, double[] ps) {
        int cols = Math.min(W, m - j);
        for (int t = 0; t < tc; t++) {
            System.arraycopy(x, (t0 + t) * m + j, ps, t * W, cols);
            if (cols < W) Arrays.fill(ps, t * W + cols, t * W + W, 0);
        }
    }

    /** One tile's 4 rows × one strip's W columns (at so in c, rows cs apart) over the chunk's tokens. */
    private static void strip(double[] pk, int k, int tc, double[] ps, double[] c, int so, int cs) {
        int o0 = so, o1 = o0 + cs, o2 = o1 + cs, o3 = o2 + cs;
        DoubleVector a0 = DoubleVector.fromArray(D, c, o0), b0 = DoubleVector.fromArray(D, c, o0 + L);
        DoubleVector a1 = DoubleVector.fromArray(D, c, o1), b1 = DoubleVector.fromArray(D, c, o1 + L);
        DoubleVector a2 = DoubleVector.fromArray(D, c, o2), b2 = DoubleVector.fromArray(D, c, o2 + L);
        DoubleVector a3 = DoubleVector.fromArray(D, c, o3), b3 = DoubleVector.fromArray(D, c, o3 + L);
        // Offsets as functions of t alone, so that C2 can hoist the bounds checks of the loads out of the loop.
        for (int t = 0, pk0 = k * tc * R; t < tc; t++) {
            int po = pk0 + t * R;
            DoubleVector u = DoubleVector.fromArray(D, ps, t * W), v = DoubleVector.fromArray(D, ps, t * W + L);
            DoubleVector s0 = DoubleVector.broadcast(D, pk[po]), s1 = DoubleVector.broadcast(D, pk[po + 1]);
            DoubleVector s2 = DoubleVector.broadcast(D, pk[po + 2]), s3 = DoubleVector.broadcast(D, pk[po + 3]);
            a0 = s0.fma(u, a0);
            b0 = s0.fma(v, b0);
            a1 = s1.fma(u, a1);
            b1 = s1.fma(v, b1);
            a2 = s2.fma(u, a2);
            b2 = s2.fma(v, b2);
            a3 = s3.fma(u, a3);
            b3 = s3.fma(v, b3);
        }
        a0.intoArray(c, o0);
        b0.intoArray(c, o0 + L);
        a1.intoArray(c, o1);
        b1.intoArray(c, o1 + L);
        a2.intoArray(c, o2);
        b2.intoArray(c, o2 + L);
        a3.intoArray(c, o3);
        b3.intoArray(c, o3 + L);
    }
}
