package dev.e8q.cuda;

/**
 * A Java replay of the CUDA kernels in {@code e8q_kernels.cu}: the same thread/block decomposition, the same
 * index arithmetic (via {@link QidxsLayout} and {@link HadamardPlan}) and the same decode ({@link GpuTables}),
 * executed sequentially. It exists so the tests can check the kernels' logic on machines without a GPU; it is
 * not a fast CPU path (use the codec's kernels for that).
 */
public final class KernelSim {
    private KernelSim() {}

    /** Warps per matvec block; equals E8Q_WARPS. */
    static final int WARPS = 8;

    /**
     * {@code e8q_matvec{2,3,4}} / {@code e8q_matmul*_b8}: z[v][row] = Σ Ŵr[row][col]·u[v][col] for v < batch,
     * u of shape [batch][n], z of shape [batch][m] (padded sizes).
     */
    public static void matvec(QidxsLayout lay, long[] q, int[] packedAbs, byte[] grid2, float residScale,
                              float[] u, float[] z, int batch) {
        int m = lay.rows(), n = lay.cols(), bits = lay.bits();
        int tiles = lay.tiles(), w = lay.e8Words(), stride = lay.stride();
        int chunk = (tiles + WARPS - 1) / WARPS;
        float inv = 1f / residScale, gscale = 0.5f * inv;
        float[][] wv = new float[4][8];
        float[] t = new float[8];
        for (int bigP = 0; bigP < m / 16; bigP++) {
            for (int v = 0; v < batch; v++) {
                float[][] red = new float[WARPS][16];
                for (int warp = 0; warp < WARPS; warp++) {
                    int q0 = warp * chunk, q1 = Math.min(tiles, q0 + chunk);
                    float[] rowAcc = new float[16];
                    for (int lane = 0; lane < 32; lane++) {
                        int rp = lane >> 2, c = lane & 3;
                        int r0 = bigP * 16 + 2 * rp;
                        float acc0 = 0, acc1 = 0;
                        for (int bigQ = q0; bigQ < q1; bigQ++) {
                            int f = lay.laneFlat(bigP, bigQ, lane);
                            int base = (f / w) * stride + f % w;
                            long w1 = q[base];
                            long w2 = bits == 4 ? q[base + w] : 0;
                            long e0 = bits == 3 ? q[r0 * stride + w + bigQ] : 0;
                            long e1 = bits == 3 ? q[(r0 + 1) * stride + w + bigQ] : 0;
                            for (int i = 0; i < 4; i++) {
                                GpuTables.decode(w1, i, packedAbs, wv[i], 0);
                                if (bits == 4) {
                                    GpuTables.decode(w2, i, packedAbs, t, 0);
                                    for (int k = 0; k < 8; k++) wv[i][k] = Math.fma(t[k], inv, wv[i][k]);
                                }
                                if (bits == 3) {
                                    long e = (i & 1) != 0 ? e1 : e0;
                                    int idx = (int) (e >>> (8 * (2 * c + (i >> 1)))) & 0xFF;
                                    for (int k = 0; k < 8; k++) wv[i][k] = Math.fma(grid2[idx * 8 + k], gscale, wv[i][k]);
                                }
                            }
                            int col = v * n + bigQ * 64 + c * 16;
                            acc0 += dot8(wv[0], u, col) + dot8(wv[2], u, col + 8);
                            acc1 += dot8(wv[1], u, col) + dot8(wv[3], u, col + 8);
                        }
                        rowAcc[2 * rp] += acc0; // the shuffle reduction over the 4 lanes of a row pair
                        rowAcc[2 * rp + 1] += acc1;
                    }
                    red[warp] = rowAcc;
                }
                for (int row = 0; row < 16; row++) {
                    float s = 0;
                    for (int warp = 0; warp < WARPS; warp++) s += red[warp][row];
                    z[v * m + bigP * 16 + row] = s;
                }
            }
        }
    }

    private static float dot8(float[] wv, float[] u, int off) {
        float s = wv[0] * u[off];
        for (int k = 1; k < 8; k++) s = Math.fma(wv[k], u[off + k], s);
        return s;
    }

    /** {@code e8q_fwht_pass} over {@code batch} vectors of length n; in == out is allowed. */
    public static void fwht(HadamardPlan.Fwht op, int batch, int n, float[] in, float[] out, float[] pre, float[] post) {
        int len = op.len(), bB = op.b(), tb = op.tb();
        int tilesPerA = bB / tb, count = len * tb;
        int blocks = op.groups() * batch * tilesPerA;
        float[] s = new float[count];
        for (int block = 0; block < blocks; block++) {
            int a = block / tilesPerA, b0 = (block % tilesPerA) * tb;
            for (int e = 0; e < count; e++) {
                int i = e / tb, bb = e % tb;
                int g = (a * len + i) * bB + b0 + bb;
                float x = in[g];
                if (pre != null) x *= pre[g % n];
                s[e] = x;
            }
            for (int h = 1; h < len; h <<= 1) {
                for (int t = 0; t < count / 2; t++) {
                    int bb = t % tb, pi = t / tb;
                    int i1 = (pi / h) * 2 * h + (pi % h);
                    float x = s[i1 * tb + bb], y = s[(i1 + h) * tb + bb];
                    s[i1 * tb + bb] = x + y;
                    s[(i1 + h) * tb + bb] = x - y;
                }
            }
            for (int e = 0; e < count; e++) {
                int i = e / tb, bb = e % tb;
                int g = (a * len + i) * bB + b0 + bb;
                float x = s[e] * op.alpha();
                if (post != null) x *= post[g % n];
                out[g] = x;
            }
        }
    }

    /** {@code e8q_hadk}; in != out. hk: the K×K base matrix as float, row-major. */
    public static void hadk(HadamardPlan.BaseFactor op, int batch, int n, float[] hk, float[] in, float[] out,
                            float[] pre, float[] post) {
        int k = op.k(), l = op.l();
        for (int g = 0; g < batch * n; g++) {
            int pos = g % n, vecBase = g - pos, a = pos / l, j = pos % l;
            float s = 0;
            for (int a2 = 0; a2 < k; a2++) {
                float h = op.transposed() ? hk[a2 * k + a] : hk[a * k + a2];
                float x = in[vecBase + a2 * l + j];
                if (pre != null) x *= pre[a2 * l + j];
                s = Math.fma(h, x, s);
            }
            s *= op.alpha();
            if (post != null) s *= post[pos];
            out[g] = s;
        }
    }

    /**
     * Runs a plan the way {@link CudaE8Linear} does, ping-ponging between two buffers; returns the buffer that
     * holds the result (either {@code buf} or {@code spare}).
     */
    public static float[] run(HadamardPlan plan, int batch, float[] hk, float[] scale, float[] buf, float[] spare) {
        float[] cur = buf, other = spare;
        for (HadamardPlan.Op op : plan.ops()) {
            float[] pre = op.pre() ? scale : null, post = op.post() ? scale : null;
            switch (op) {
                case HadamardPlan.Fwht f -> fwht(f, batch, plan.n(), cur, cur, pre, post);
                case HadamardPlan.BaseFactor b -> {
                    hadk(b, batch, plan.n(), hk, cur, other, pre, post);
                    float[] tmp = cur;
                    cur = other;
                    other = tmp;
                }
            }
        }
        return cur;
    }

    /** The whole layer for {@code batch} row-major inputs of length inFeatures; returns [batch][outFeatures]. */
    public static float[] forward(QuantizedWeights wts, float[] x, int batch) {
        QidxsLayout lay = wts.layout();
        int m = lay.rows(), n = lay.cols(), width = Math.max(m, n);
        float[] a = new float[batch * width], b = new float[batch * width];
        for (int v = 0; v < batch; v++) System.arraycopy(x, v * wts.inFeatures(), a, v * n, wts.inFeatures());
        HadamardPlan in = HadamardPlan.input(n), out = HadamardPlan.output(m);
        float[] u = run(in, batch, GpuTables.hadamardBase(in.baseK()), wts.su(), a, b);
        float[] z = u == a ? b : a;
        matvec(lay, wts.qidxs(), GpuTables.packedAbs(), GpuTables.e81bGrid2(), wts.residScale(), u, z, batch);
        float[] y = run(out, batch, GpuTables.hadamardBase(out.baseK()), wts.sv(), z, u);
        float[] result = new float[batch * wts.outFeatures()];
        for (int v = 0; v < batch; v++) System.arraycopy(y, v * m, result, v * wts.outFeatures(), wts.outFeatures());
        return result;
    }
}
