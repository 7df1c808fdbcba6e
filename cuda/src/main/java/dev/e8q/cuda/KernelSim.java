package dev.e8q.cuda;

/**
 * A Java replay of the CUDA kernels in {@code e8q_kernels.cu}, as a {@link KernelLauncher} whose buffers are
 * Java arrays: each launch iterates over the grid the host asked for, with the same per-block index arithmetic
 * (via {@link QidxsLayout}), the same decode ({@link GpuTables}) and the same argument lists. It lets the tests
 * check the kernels' logic and the host's launch sequence ({@link LayerLaunches}) on machines without a GPU;
 * it is not a fast CPU path (the codec's kernels are).
 */
public final class KernelSim implements KernelLauncher {
    /** Warps per matvec block; equals E8Q_WARPS. */
    static final int WARPS = 8;

    @Override
    public void launch(String kernel, int gridX, int gridY, int blockX, Object... a) {
        switch (kernel) {
            case LayerLaunches.FWHT_KERNEL -> fwht(gridX, (float[]) a[0], (float[]) a[1], (float[]) a[2], (float[]) a[3],
                    (Float) a[4], (Integer) a[5], (Integer) a[6], (Integer) a[7], (Integer) a[8], (Integer) a[9],
                    (Integer) a[10]);
            case LayerLaunches.HADK_KERNEL -> hadk(gridX * blockX, (float[]) a[0], (float[]) a[1], (float[]) a[2],
                    (Integer) a[3], (Integer) a[4], (Integer) a[5] != 0, (float[]) a[6], (float[]) a[7], (Float) a[8],
                    (Integer) a[9], (Integer) a[10]);
            case "e8q_mma2", "e8q_mma3", "e8q_mma4" -> {
                if (blockX != 32 * WARPS) throw new IllegalArgumentException(kernel + " needs " + 32 * WARPS + " threads");
                int bits = kernel.charAt(kernel.length() - 1) - '0';
                QidxsLayout lay = new QidxsLayout((Integer) a[6], (Integer) a[7], bits);
                matvec(gridX, gridY, 8, lay, (long[]) a[0], (int[]) a[1], (byte[]) a[2], (Float) a[3], (float[]) a[4],
                        (float[]) a[5], (Integer) a[8], true);
            }
            default -> {
                int bits = -1;
                for (int b = 2; b <= 4; b++)
                    if (kernel.equals(LayerLaunches.matvecKernel(b, false)) || kernel.equals(LayerLaunches.matvecKernel(b, true)))
                        bits = b;
                if (bits < 0) throw new IllegalArgumentException("no such kernel: " + kernel);
                if (blockX != 32 * WARPS) throw new IllegalArgumentException(kernel + " needs " + 32 * WARPS + " threads");
                int nb = kernel.equals(LayerLaunches.matvecKernel(bits, true)) ? 8 : 1;
                QidxsLayout lay = new QidxsLayout((Integer) a[6], (Integer) a[7], bits);
                matvec(gridX, gridY, nb, lay, (long[]) a[0], (int[]) a[1], (byte[]) a[2], (Float) a[3], (float[]) a[4],
                        (float[]) a[5], (Integer) a[8], false);
            }
        }
    }

    /**
     * e8q_matvec* ({@code half} false) and e8q_mma* ({@code half} true): blocks (P, tile of nb vectors); each block's
     * 8 warps × 32 lanes as in the .cu. With {@code half}, the tensor-core kernels' fp16 roundings: activations
     * rounded to fp16; 3-bit weights x₁ + 2g·h(0.5/residScale) and 4-bit ones x₁ + x₂·h(1/residScale) rounded to
     * fp16 (h = fp16 rounding, one rounding per fused multiply-add, as fma.rn.f16x2 does); 2-bit weights are exact.
     * The tensor cores' own summation order inside an mma is not modelled: it moves results by float rounding only.
     */
    static void matvec(int gridX, int gridY, int nb, QidxsLayout lay, long[] q, int[] packedAbs, byte[] grid2,
                       float residScale, float[] u, float[] z, int batch, boolean half) {
        int m = lay.rows(), n = lay.cols(), bits = lay.bits();
        int tiles = lay.tiles();
        int chunk = (tiles + WARPS - 1) / WARPS;
        float inv = half ? half(1f / residScale) : 1f / residScale;
        float gscale = half ? half(0.5f / residScale) : 0.5f * inv;
        float[][] wv = new float[4][8];
        float[] t = new float[8];
        for (int bigP = 0; bigP < gridX; bigP++) {
            for (int by = 0; by < gridY; by++) {
                int v0 = by * nb, nv = Math.min(nb, batch - v0);
                float[][][] red = new float[WARPS][16][nb];
                for (int warp = 0; warp < WARPS; warp++) {
                    int q0 = warp * chunk, q1 = Math.min(tiles, q0 + chunk);
                    for (int lane = 0; lane < 32; lane++) {
                        int rp = lane >> 2, c = lane & 3;
                        int r0 = bigP * 16 + 2 * rp;
                        float[][] acc = new float[2][nb];
                        for (int bigQ = q0; bigQ < q1; bigQ++) {
                            int f = lay.laneFlat(bigP, bigQ, lane);
                            long w1 = q[lay.memoryIndex(0, f)];
                            long w2 = bits == 4 ? q[lay.memoryIndex(1, f)] : 0;
                            int block = QidxsLayout.laneBlock(bigQ, lane, 0); // both rows' E81B word is word bigQ
                            long e0 = bits == 3 ? q[lay.e81bIndex(r0, block)] : 0;
                            long e1 = bits == 3 ? q[lay.e81bIndex(r0 + 1, block)] : 0;
                            for (int i = 0; i < 4; i++) {
                                GpuTables.decode(w1, i, packedAbs, wv[i], 0);
                                if (bits == 4) {
                                    GpuTables.decode(w2, i, packedAbs, t, 0);
                                    for (int k = 0; k < 8; k++)
                                        wv[i][k] = half ? half((double) t[k] * inv + wv[i][k]) : Math.fma(t[k], inv, wv[i][k]);
                                }
                                if (bits == 3) {
                                    long e = (i & 1) != 0 ? e1 : e0;
                                    int idx = (int) (e >>> (8 * (2 * c + (i >> 1)))) & 0xFF;
                                    for (int k = 0; k < 8; k++)
                                        wv[i][k] = half ? half((double) grid2[idx * 8 + k] * gscale + wv[i][k])
                                                : Math.fma(grid2[idx * 8 + k], gscale, wv[i][k]);
                                }
                            }
                            for (int v = 0; v < nv; v++) {
                                int col = (v0 + v) * n + bigQ * 64 + c * 16;
                                acc[0][v] += dot8(wv[0], u, col, half) + dot8(wv[2], u, col + 8, half);
                                acc[1][v] += dot8(wv[1], u, col, half) + dot8(wv[3], u, col + 8, half);
                            }
                        }
                        for (int v = 0; v < nb; v++) { // the shuffle reduction over the 4 lanes of a row pair
                            red[warp][2 * rp][v] += acc[0][v];
                            red[warp][2 * rp + 1][v] += acc[1][v];
                        }
                    }
                }
                for (int v = 0; v < nv; v++) {
                    for (int row = 0; row < 16; row++) {
                        float s = 0;
                        for (int warp = 0; warp < WARPS; warp++) s += red[warp][row][v];
                        z[(v0 + v) * m + bigP * 16 + row] = s;
                    }
                }
            }
        }
    }

    /** Round to fp16 and back (round to nearest even). A double argument must be exact in float (it is here). */
    static float half(double x) {
        return Float.float16ToFloat(Float.floatToFloat16((float) x));
    }

    private static float dot8(float[] wv, float[] u, int off, boolean half) {
        float s = 0;
        for (int k = 0; k < 8; k++) s = Math.fma(wv[k], half ? half(u[off + k]) : u[off + k], s);
        return s;
    }

    /** e8q_fwht_pass over {@code blocks} blocks; in == out is allowed. */
    static void fwht(int blocks, float[] in, float[] out, float[] pre, float[] post, float alpha, int n, int len,
                     int bB, int tb, int ta, int bigA) {
        int tilesPerA = bB / tb, rowLen = len * tb, half = rowLen / 2;
        float[] s = new float[ta * rowLen];
        for (int block = 0; block < blocks; block++) {
            int a0 = (block / tilesPerA) * ta, b0 = (block % tilesPerA) * tb;
            int count = Math.min(ta, bigA - a0) * rowLen;
            for (int e = 0; e < count; e++) {
                int aa = e / rowLen, i = (e % rowLen) / tb, bb = e % tb;
                int g = ((a0 + aa) * len + i) * bB + b0 + bb;
                float x = in[g];
                if (pre != null) x *= pre[g % n];
                s[e] = x;
            }
            for (int h = 1; h < len; h <<= 1) {
                for (int t = 0; t < count / 2; t++) {
                    int aa = t / half, pi = (t % half) / tb, bb = t % tb;
                    int i1 = (pi / h) * 2 * h + (pi % h);
                    int k1 = aa * rowLen + i1 * tb + bb, k2 = k1 + h * tb;
                    float x = s[k1], y = s[k2];
                    s[k1] = x + y;
                    s[k2] = x - y;
                }
            }
            for (int e = 0; e < count; e++) {
                int aa = e / rowLen, i = (e % rowLen) / tb, bb = e % tb;
                int g = ((a0 + aa) * len + i) * bB + b0 + bb;
                float x = s[e] * alpha;
                if (post != null) x *= post[g % n];
                out[g] = x;
            }
        }
    }

    /** e8q_hadk over {@code threads} threads (those with g ≥ total return at once); in != out. */
    static void hadk(int threads, float[] in, float[] out, float[] hk, int k, int l, boolean transposed, float[] pre,
                     float[] post, float alpha, int n, int total) {
        for (int g = 0; g < Math.min(threads, total); g++) {
            int pos = g % n, vecBase = g - pos, a = pos / l, j = pos % l;
            float s = 0;
            for (int a2 = 0; a2 < k; a2++) {
                float h = transposed ? hk[a2 * k + a] : hk[a * k + a2];
                float x = in[vecBase + a2 * l + j];
                if (pre != null) x *= pre[a2 * l + j];
                s = Math.fma(h, x, s);
            }
            s *= alpha;
            if (post != null) s *= post[pos];
            out[g] = s;
        }
    }

    /**
     * The whole layer through {@link LayerLaunches} on {@code launcher} (this replay, or the tests' emulation of
     * the CUDA source) for {@code batch} row-major inputs of length inFeatures; returns [batch][outFeatures].
     */
    public static float[] forward(QuantizedWeights wts, float[] x, int batch, KernelLauncher launcher) {
        return forward(wts, x, batch, launcher, false);
    }

    /** As above, on the tensor-core kernel ({@code tensorCores}) or the fp32 one. */
    public static float[] forward(QuantizedWeights wts, float[] x, int batch, KernelLauncher launcher,
                                  boolean tensorCores) {
        QidxsLayout lay = wts.layout();
        int m = lay.rows(), n = lay.cols(), width = Math.max(m, n);
        float[] a = new float[batch * width], b = new float[batch * width];
        for (int v = 0; v < batch; v++) System.arraycopy(x, v * wts.inFeatures(), a, v * n, wts.inFeatures());
        HadamardPlan in = HadamardPlan.input(n), out = HadamardPlan.output(m);
        LayerLaunches ll = new LayerLaunches(lay, in, out, wts.residScale(), wts.qidxs(), GpuTables.packedAbs(),
                GpuTables.e81bGrid2(), wts.su(), wts.sv(), in.baseK() == 1 ? null : GpuTables.hadamardBase(in.baseK()),
                out.baseK() == 1 ? null : GpuTables.hadamardBase(out.baseK()));
        float[] y = (float[]) ll.run(launcher, a, b, batch, tensorCores);
        float[] result = new float[batch * wts.outFeatures()];
        for (int v = 0; v < batch; v++) System.arraycopy(y, v * m, result, v * wts.outFeatures(), wts.outFeatures());
        return result;
    }

    /** {@link #forward(QuantizedWeights, float[], int, KernelLauncher)} on this Java replay. */
    public static float[] forward(QuantizedWeights wts, float[] x, int batch) {
        return forward(wts, x, batch, new KernelSim());
    }
}
