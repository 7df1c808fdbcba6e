package dev.e8q.convert;

import dev.e8q.codec.Parallel;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorSpecies;
import org.ejml.data.DMatrixRMaj;

/**
 * Accumulates Σ x xᵀ (fp64) and the token count of one linear group's inputs, plus per-channel activation
 * statistics. Deterministic: each entry of the sum is accumulated in the order the batches (and, inside a batch,
 * the rows) arrive, whatever the thread count — threads split the rows of the matrix, never the sum over tokens.
 */
final class Hessian {
    private static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;
    final int n;
    private final double[] sum; // lower triangle used until finish()
    private final boolean wantMatrix;
    long count;
    final double[] min, max, s1, s2, sAbs;

    /** @param wantMatrix false: statistics only (resumed layers need no Hessian) */
    Hessian(int n, boolean wantMatrix) {
        this.n = n;
        this.wantMatrix = wantMatrix;
        this.sum = wantMatrix ? new double[n * n] : null;
        min = new double[n];
        max = new double[n];
        s1 = new double[n];
        s2 = new double[n];
        sAbs = new double[n];
        java.util.Arrays.fill(min, Double.POSITIVE_INFINITY);
        java.util.Arrays.fill(max, Double.NEGATIVE_INFINITY);
    }

    /** Adds rows × n inputs (row-major). */
    void add(float[] x, int rows, int cols) {
        if (cols != n) throw new IllegalArgumentException("input has " + cols + " features, Hessian is " + n + "x" + n);
        for (int t = 0; t < rows; t++) {
            int o = t * n;
            for (int j = 0; j < n; j++) {
                double v = x[o + j];
                if (v < min[j]) min[j] = v;
                if (v > max[j]) max[j] = v;
                s1[j] += v;
                s2[j] += v * v;
                sAbs[j] += Math.abs(v);
            }
        }
        count += rows;
        if (!wantMatrix) return;
        double[] xd = new double[rows * n];
        for (int i = 0; i < xd.length; i++) xd[i] = x[i];
        // Blocks of rows: row i of the lower triangle costs i+1 columns, so the last blocks are the heaviest; they are
        // handed out first, which balances the threads.
        int blocks = (n + MB - 1) / MB;
        Parallel.forRange(blocks, 1, (a, b) -> {
            double[] pk = new double[MB * KC], ps = new double[KC * 2 * D.length()];
            for (int q = a; q < b; q++) {
                int i0 = (blocks - 1 - q) * MB;
                for (int t0 = 0; t0 < rows; t0 += KC) accumulateBlock(xd, n, i0, Math.min(n, i0 + MB), t0, Math.min(rows, t0 + KC), pk, ps, sum);
            }
        });
    }

    /** Rows per register tile: with two vectors of columns, 8 accumulators stay in registers. */
    static final int R = 4;
    /** Rows per block; the block's packed inputs (MB × KC doubles) stay in the L2 cache. */
    static final int MB = 64;
    /** Tokens per chunk: a packed strip of 16 columns (KC × 16 doubles) stays in the L1 cache. */
    static final int KC = 128;

    /**
     * sum[i][j] = fma(x[t][i], x[t][j], sum[i][j]) for tokens t0..t1−1 in order, rows i0 ≤ i < i1 and every column j
     * up to the diagonal of the row's tile of 4. Each entry sees the same chain of fused multiply-adds as a plain loop
     * over t, so the result does not depend on the blocking. What the blocking buys: a tile's sums stay in registers
     * while the tokens stream past, and both operands are read from packed copies, contiguous and cached, instead of
     * one cache line per token from rows n doubles apart (which also map to the same few L1 sets when n·8 is a
     * multiple of 4 KiB). Entries above the diagonal inside a tile's last columns are computed too (that part of the
     * array is never read).
     *
     * @param pk scratch of MB × KC doubles: the block's rows, tile by tile, token by token
     * @param ps scratch of KC × 16 doubles: one strip of columns, token by token
     */
    static void accumulateBlock(double[] x, int n, int i0, int i1, int t0, int t1, double[] pk, double[] ps, double[] sum) {
        int tc = t1 - t0, w = 2 * D.length();
        int full = (i1 - i0) / R, tiles = (i1 - i0 + R - 1) / R; // tiles of 4 rows, and with a last partial one
        for (int k = 0; k < tiles; k++)
            for (int t = 0; t < tc; t++) {
                int src = (t0 + t) * n + i0 + R * k, dst = (k * tc + t) * R;
                for (int r = 0; r < R; r++) pk[dst + r] = i0 + R * k + r < i1 ? x[src + r] : 0;
            }
        // Whole strips of full tiles: straight into the sum, each strip packed once for every tile that reaches past it.
        for (int j = 0; j + w <= i0 + full * R; j += w) {
            int first = Math.max(0, (j + w - i0 - 1) / R); // first tile k with i0 + R·k + R ≥ j + w
            if (first >= full) continue;
            packStrip(x, n, t0, tc, j, ps);
            for (int k = first; k < full; k++) strip(pk, k, tc, ps, sum, (i0 + R * k) * n + j, n);
        }
        // The rest of each tile (its last, partial strip; every strip of a partial tile) through a small copy of the
        // sums, so that nothing past the tile's rows or the matrix's columns is written.
        double[] tmp = new double[R * w];
        for (int k = 0; k < tiles; k++) {
            int ti = i0 + R * k, rr = Math.min(R, i1 - ti), cEnd = ti + rr;
            for (int j = k < full ? cEnd / w * w : 0; j < cEnd; j += w) {
                int cols = Math.min(w, cEnd - j);
                java.util.Arrays.fill(tmp, 0);
                for (int r = 0; r < rr; r++) System.arraycopy(sum, (ti + r) * n + j, tmp, r * w, cols);
                packStrip(x, n, t0, tc, j, ps);
                strip(pk, k, tc, ps, tmp, 0, w);
                for (int r = 0; r < rr; r++) System.arraycopy(tmp, r * w, sum, (ti + r) * n + j, cols);
            }
        }
    }

    /** ps[t][c] = x[t0+t][j+c] for c < 16, zero past the last column. */
    private static void packStrip(double[] x, int n, int t0, int tc, int j, double[] ps) {
        int w = 2 * D.length(), cols = Math.min(w, n - j);
        for (int t = 0; t < tc; t++) {
            System.arraycopy(x, (t0 + t) * n + j, ps, t * w, cols);
            if (cols < w) java.util.Arrays.fill(ps, t * w + cols, t * w + w, 0);
        }
    }

    /** One tile's 4 rows × one strip's 16 columns (at so in sum) over the chunk's tokens, sums in registers. */
    private static void strip(double[] pk, int k, int tc, double[] ps, double[] sum, int so, int n) {
        int L = D.length(), w = 2 * L;
        int o0 = so, o1 = o0 + n, o2 = o1 + n, o3 = o2 + n;
        DoubleVector a0 = DoubleVector.fromArray(D, sum, o0), b0 = DoubleVector.fromArray(D, sum, o0 + L);
        DoubleVector a1 = DoubleVector.fromArray(D, sum, o1), b1 = DoubleVector.fromArray(D, sum, o1 + L);
        DoubleVector a2 = DoubleVector.fromArray(D, sum, o2), b2 = DoubleVector.fromArray(D, sum, o2 + L);
        DoubleVector a3 = DoubleVector.fromArray(D, sum, o3), b3 = DoubleVector.fromArray(D, sum, o3 + L);
        for (int t = 0, po = k * tc * R, so2 = 0; t < tc; t++, po += R, so2 += w) {
            DoubleVector u = DoubleVector.fromArray(D, ps, so2), v = DoubleVector.fromArray(D, ps, so2 + L);
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
        a0.intoArray(sum, o0);
        b0.intoArray(sum, o0 + L);
        a1.intoArray(sum, o1);
        b1.intoArray(sum, o1 + L);
        a2.intoArray(sum, o2);
        b2.intoArray(sum, o2 + L);
        a3.intoArray(sum, o3);
        b3.intoArray(sum, o3 + L);
    }

    /** E[x xᵀ] (the uncentered second moment QuIP# quantizes with), n × n. */
    DMatrixRMaj secondMoment() {
        if (!wantMatrix) throw new IllegalStateException("statistics-only accumulator has no Hessian");
        if (count == 0) throw new IllegalStateException("no calibration tokens were seen");
        DMatrixRMaj h = new DMatrixRMaj(n, n);
        double inv = 1.0 / count;
        for (int i = 0; i < n; i++)
            for (int j = 0; j <= i; j++) {
                double v = sum[i * n + j] * inv;
                h.data[i * n + j] = v;
                h.data[j * n + i] = v;
            }
        return h;
    }

    /** Per-channel statistics as a JSON-ready map (min, max, mean, std, mean_abs). */
    java.util.Map<String, Object> stats() {
        java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
        double[] mean = new double[n], std = new double[n], mabs = new double[n];
        for (int j = 0; j < n; j++) {
            mean[j] = s1[j] / count;
            std[j] = Math.sqrt(Math.max(0, s2[j] / count - mean[j] * mean[j]));
            mabs[j] = sAbs[j] / count;
        }
        m.put("channels", n);
        m.put("tokens", count);
        m.put("min", round(min));
        m.put("max", round(max));
        m.put("mean", round(mean));
        m.put("std", round(std));
        m.put("mean_abs", round(mabs));
        return m;
    }

    /** float precision is plenty for a report and halves the JSON. */
    private static float[] round(double[] a) {
        float[] f = new float[a.length];
        for (int i = 0; i < a.length; i++) f[i] = (float) a[i];
        return f;
    }
}
