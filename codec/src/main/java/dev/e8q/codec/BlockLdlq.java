package dev.e8q.codec;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;

/**
 * BlockLDLQ with greedy refinement (SPEC §5), on the rotated weights in codebook units. Every row is
 * independent of every other row (feedback only runs along a row), so the work is split into tiles of rows
 * that each run the whole algorithm; a tile reuses each streamed row of L and Hr across its rows.
 *
 * <p>Without a Hessian (h == null) this is plain nearest rounding of every 8-block (LDLQ with H = I).
 */
final class BlockLdlq {
    static final int TILE = 32;

    /**
     * Float operands derived from the rotated Hessian: Lᵀ (row j = column j of L), Hr, the 8×8 blocks of D
     * and the inverses of Hr's 8×8 diagonal blocks.
     */
    record Operands(int n, float[] lT, float[] hr, float[] d, float[] hkkInv) {}

    /** Combined codes (rows × n/8) and the reconstruction Ŵr in codebook units (rows × n). */
    record Result(long[] codes, float[] xhat) {}

    private BlockLdlq() {}

    static Operands operands(double[] hr, BlockLdl.Factors f) {
        return operands(floats(hr), diagonalBlocks(hr, f.n()), f);
    }

    /** Hr in float, row-major: taken before Hr is factored in place. */
    static float[] floats(double[] hr) {
        float[] h = new float[hr.length];
        Parallel.forRange(hr.length, 1 << 16, (i0, i1) -> {
            for (int i = i0; i < i1; i++) h[i] = (float) hr[i];
        });
        return h;
    }

    /** Hr's 8×8 diagonal blocks, concatenated row-major: taken before Hr is factored in place. */
    static double[] diagonalBlocks(double[] hr, int n) {
        double[] blocks = new double[n * 8];
        for (int k = 0; k < n / 8; k++)
            for (int i = 0; i < 8; i++) System.arraycopy(hr, (8 * k + i) * n + 8 * k, blocks, k * 64 + i * 8, 8);
        return blocks;
    }

    /** @param hf Hr in float ({@link #floats}), @param hkk Hr's diagonal blocks ({@link #diagonalBlocks}) */
    static Operands operands(float[] hf, double[] hkk, BlockLdl.Factors f) {
        int n = f.n();
        float[] lT = new float[n * n];
        double[] l = f.l();
        Parallel.forRange(n, 16, (r0, r1) -> {
            for (int r = r0; r < r1; r++)
                for (int c = 0; c < n; c++) lT[c * n + r] = (float) l[r * n + c];
        });
        int nb = n / 8;
        float[] inv = new float[nb * 64];
        org.ejml.data.DMatrixRMaj blk = new org.ejml.data.DMatrixRMaj(8, 8);
        for (int k = 0; k < nb; k++) {
            System.arraycopy(hkk, k * 64, blk.data, 0, 64);
            if (!org.ejml.dense.row.CommonOps_DDRM.invert(blk))
                throw new IllegalStateException("diagonal block " + k + " of a positive definite Hr is singular");
            for (int i = 0; i < 64; i++) inv[k * 64 + i] = (float) blk.data[i];
        }
        float[] d = new float[nb * 64];
        for (int i = 0; i < d.length; i++) d[i] = (float) f.d()[i];
        return new Operands(n, lT, hf, d, inv);
    }

    /**
     * Quantizes x (rows × n, row-major, codebook units). ops == null: plain rounding. passes: greedy
     * refinement passes after LDLQ (ignored without a Hessian).
     */
    static Result run(float[] x, int rows, int n, BlockCodebook cb, Operands ops, int passes, ProgressListener pl) {
        return run(x, rows, n, cb, ops, passes, false, pl);
    }

    /**
     * monotone: accept a refinement move only when it lowers the proxy loss (see {@link #refine}); false is
     * SPEC §5 as written, where every changed rounding is taken.
     */
    static Result run(float[] x, int rows, int n, BlockCodebook cb, Operands ops, int passes, boolean monotone,
                      ProgressListener pl) {
        if (ops != null && ops.n() != n) throw new IllegalArgumentException("Hessian is " + ops.n() + " wide, W is " + n);
        int nb = n / 8;
        long[] codes = new long[rows * nb];
        float[] xhat = new float[rows * n];
        AtomicLong done = new AtomicLong();
        String task = ops == null ? "round" : "BlockLDLQ";
        Parallel.forRange(rows, TILE, (r0, r1) -> {
            for (int t0 = r0; t0 < r1; t0 += TILE) {
                int t1 = Math.min(r1, t0 + TILE);
                float[] eta = ldlq(x, n, t0, t1, cb, ops, codes, xhat);
                if (ops != null && passes > 0) refine(n, t0, t1, cb, ops, passes, monotone, eta, codes, xhat);
                pl.update(task, done.addAndGet(t1 - t0), rows);
            }
        });
        return new Result(codes, xhat);
    }

    /**
     * LDLQ for rows [t0, t1), last block first. Returns η, the rounding error of each block's target
     * (target − Q(target)); with Δ = Wr − Ŵ it satisfies η = ΔL (SPEC §5).
     */
    private static float[] ldlq(float[] x, int n, int t0, int t1, BlockCodebook cb, Operands ops, long[] codes, float[] xhat) {
        int nb = n / 8, tRows = t1 - t0;
        float[] e = new float[tRows * n];
        float[] eta = new float[tRows * n];
        float[] tgt = new float[8], fb = new float[tRows * 8], out = new float[16];
        for (int k = nb - 1; k >= 0; k--) {
            int b = 8 * k, tail = b + 8, len = n - tail;
            // Feedback of the already quantized (later) blocks through columns b..b+7 of L. It reads only columns
            // after the block, so the whole tile's feedback can be computed before any row of the block is rounded.
            if (ops != null && len > 0) feedback(e, n, tRows, ops.lT(), b, tail, len, fb, out);
            for (int i = 0; i < tRows; i++) {
                int r = t0 + i, xo = r * n + b;
                for (int j = 0; j < 8; j++) tgt[j] = x[xo + j] + fb[i * 8 + j];
                codes[r * nb + k] = cb.quantize(tgt, 0, xhat, xo);
                for (int j = 0; j < 8; j++) {
                    e[i * n + b + j] = x[xo + j] - xhat[xo + j];
                    eta[i * n + b + j] = tgt[j] - xhat[xo + j];
                }
            }
        }
        return eta;
    }

    /**
     * fb[8i+j] = e_i[tail..n) · Lᵀ_{b+j}[tail..n) for the tile's rows i and j < 8, each the bits of {@link VecOps#dot}:
     * tiles of 4 rows × 4 columns share their loads.
     */
    private static void feedback(float[] e, int n, int tRows, float[] lT, int b, int tail, int len, float[] fb, float[] out) {
        int i = 0;
        for (; i + 4 <= tRows; i += 4)
            for (int j0 = 0; j0 < 8; j0 += 4) {
                VecOps.dot4x4(e, i * n + tail, n, lT, (b + j0) * n + tail, n, len, out);
                for (int p = 0; p < 4; p++)
                    for (int q = 0; q < 4; q++) fb[(i + p) * 8 + j0 + q] = out[4 * p + q];
            }
        for (; i < tRows; i++)
            for (int j0 = 0; j0 < 8; j0 += 4) {
                VecOps.dot4(e, i * n + tail, lT, (b + j0) * n + tail, n, len, out);
                for (int q = 0; q < 4; q++) fb[i * 8 + j0 + q] = out[q];
            }
    }

    /**
     * Change of the row's loss ΔHrΔᵀ when block k moves from ŵ_k to q, d = q − ŵ_k: Δ becomes Δ − d, so the
     * loss changes by d·Hkk·dᵀ − 2·d·P_k.
     */
    private static double lossChange(float[] q, float[] xhat, int xo, float[] p, int po, float[] hr, int b, int n) {
        double s = 0;
        for (int j = 0; j < 8; j++) {
            double dj = q[j] - xhat[xo + j];
            if (dj == 0) continue;
            double hd = 0;
            for (int l = 0; l < 8; l++) hd += hr[(b + j) * n + b + l] * (double) (q[l] - xhat[xo + l]);
            s += dj * (hd - 2 * p[po + j]);
        }
        return s;
    }

    /**
     * P = ΔHr = ΔLDLᵀ = ηDLᵀ: block k of ηD feeds columns c ≥ 8k through row block k of Lᵀ. Triangular, so
     * half the work of the dense product ΔHr.
     */
    static float[] initialP(int n, int tRows, float[] eta, Operands ops) {
        float[] p = new float[tRows * n];
        float[] lT = ops.lT(), d = ops.d();
        for (int k = 0; k < n / 8; k++) {
            int b = 8 * k;
            for (int i = 0; i < tRows; i++) {
                int eo = i * n + b;
                for (int t = 0; t < 8; t++) {
                    float a = 0;
                    for (int s = 0; s < 8; s++) a += eta[eo + s] * d[k * 64 + s * 8 + t];
                    if (a != 0) VecOps.axpy(a, lT, (b + t) * n + b, p, i * n + b, n - b);
                }
            }
        }
        return p;
    }

    /**
     * Greedy passes: block k moves to Q(Ŵ_k + (ΔHr)_k·Hkk⁻¹), the minimizer of the proxy loss over block k
     * alone, rounded. P = ΔHr is kept up to date incrementally (8 axpys per changed block), and a block is
     * re-evaluated only when some block of its row changed since its last evaluation: otherwise its target,
     * hence its code, would be the same. This gives exactly the result of running every pass in full.
     *
     * <p>Rounding the target to the Euclidean-nearest code can raise the proxy loss (the loss weighs the error
     * by Hkk, not by I); with monotone set, a move is only taken when it lowers the loss, which makes the
     * passes a descent method: the result is never worse than plain LDLQ.
     */
    private static void refine(int n, int t0, int t1, BlockCodebook cb, Operands ops, int passes, boolean monotone, float[] eta,
                               long[] codes, float[] xhat) {
        int nb = n / 8, tRows = t1 - t0;
        float[] hr = ops.hr(), inv = ops.hkkInv();
        float[] p = initialP(n, tRows, eta, ops);
        int[] stamp = new int[tRows * nb];
        Arrays.fill(stamp, -1);
        int[] changes = new int[tRows];
        float[] tgt = new float[8], q = new float[8];
        for (int pass = 0; pass < passes; pass++) {
            boolean any = false;
            for (int k = nb - 1; k >= 0; k--) {
                int b = 8 * k;
                for (int i = 0; i < tRows; i++) {
                    if (stamp[i * nb + k] == changes[i]) continue;
                    int r = t0 + i, xo = r * n + b, po = i * n + b;
                    for (int j = 0; j < 8; j++) {
                        float s = xhat[xo + j];
                        for (int l = 0; l < 8; l++) s += p[po + l] * inv[k * 64 + l * 8 + j];
                        tgt[j] = s;
                    }
                    long code = cb.quantize(tgt, 0, q, 0);
                    if (code != codes[r * nb + k] && (!monotone || lossChange(q, xhat, xo, p, po, hr, b, n) < 0)) {
                        codes[r * nb + k] = code;
                        for (int j = 0; j < 8; j++) {
                            float d = q[j] - xhat[xo + j];
                            xhat[xo + j] = q[j];
                            if (d != 0) VecOps.axpy(-d, hr, (b + j) * n, p, i * n, n); // Δ_k changed by −d
                        }
                        changes[i]++;
                        any = true;
                    }
                    stamp[i * nb + k] = changes[i];
                }
            }
            if (!any) break;
        }
    }
}
