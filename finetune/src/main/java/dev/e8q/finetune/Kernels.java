package dev.e8q.finetune;

import dev.e8q.codec.Lanes;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The three products of a linear layer over T rows, blocked by four so that each loaded vector feeds
 * four multiply-adds (Vector API, double). Row-major throughout; y rows may be a column slice
 * ({@code ys} stride, {@code yo} offset) of a wider array.
 */
final class Kernels {
    private Kernels() {}

    private static final VectorSpecies<Double> SP = DoubleVector.SPECIES_PREFERRED;
    private static final int L = SP.length();

    /** Rows of w per block in {@link #forward}: a block stays in the L2 cache while every token passes over it. */
    private static final int ROW_BLOCK = 32;

    /**
     * y[t·ys + yo + i] = w_i · x_t  (x: T × n, w: rows × n). Every output is computed in the same way whatever the
     * blocking (lane-wise fma, lanes in order, then the tail), so blocks only change what stays in cache and in registers.
     */
    static void forward(double[] x, int T, int n, double[] w, int rows, double[] y, int ys, int yo) {
        int vn = n - n % L, T4 = T - T % 4;
        for (int r0 = 0; r0 < rows; r0 += ROW_BLOCK) {
            int r1 = Math.min(rows, r0 + ROW_BLOCK);
            for (int t = 0; t < T4; t += 4) {
                int i = r0;
                for (; i + 3 < r1; i += 4) forward4x4(x, t, n, vn, w, i, y, ys, yo);
                for (; i < r1; i++) forward4x1(x, t, n, vn, w, i, y, ys, yo);
            }
            for (int t = T4; t < T; t++)
                for (int i = r0; i < r1; i++) y[t * ys + yo + i] = LinearParam.dot(w, i * n, x, t * n, n);
        }
    }

    /** Tokens t..t+3 against row i. */
    private static void forward4x1(double[] x, int t, int n, int vn, double[] w, int i, double[] y, int ys, int yo) {
        int x0 = t * n, x1 = x0 + n, x2 = x1 + n, x3 = x2 + n, wo = i * n;
        var a0 = DoubleVector.zero(SP);
        var a1 = a0;
        var a2 = a0;
        var a3 = a0;
        int k = 0;
        for (; k < vn; k += L) {
            var wv = DoubleVector.fromArray(SP, w, wo + k);
            a0 = DoubleVector.fromArray(SP, x, x0 + k).fma(wv, a0);
            a1 = DoubleVector.fromArray(SP, x, x1 + k).fma(wv, a1);
            a2 = DoubleVector.fromArray(SP, x, x2 + k).fma(wv, a2);
            a3 = DoubleVector.fromArray(SP, x, x3 + k).fma(wv, a3);
        }
        int o = t * ys + yo + i;
        y[o] = finish(a0, x, x0, w, wo, vn, n);
        y[o + ys] = finish(a1, x, x1, w, wo, vn, n);
        y[o + 2 * ys] = finish(a2, x, x2, w, wo, vn, n);
        y[o + 3 * ys] = finish(a3, x, x3, w, wo, vn, n);
    }

    /** Tokens t..t+3 against rows i..i+3: 16 sums over 8 loads per step. */
    private static void forward4x4(double[] x, int t, int n, int vn, double[] w, int i, double[] y, int ys, int yo) {
        int x0 = t * n, x1 = x0 + n, x2 = x1 + n, x3 = x2 + n;
        int w0 = i * n, w1 = w0 + n, w2 = w1 + n, w3 = w2 + n;
        var a00 = DoubleVector.zero(SP);
        var a01 = a00; var a02 = a00; var a03 = a00; var a10 = a00; var a11 = a00; var a12 = a00; var a13 = a00;
        var a20 = a00; var a21 = a00; var a22 = a00; var a23 = a00; var a30 = a00; var a31 = a00; var a32 = a00; var a33 = a00;
        for (int k = 0; k < vn; k += L) {
            var u0 = DoubleVector.fromArray(SP, x, x0 + k);
            var u1 = DoubleVector.fromArray(SP, x, x1 + k);
            var u2 = DoubleVector.fromArray(SP, x, x2 + k);
            var u3 = DoubleVector.fromArray(SP, x, x3 + k);
            var v = DoubleVector.fromArray(SP, w, w0 + k);
            a00 = u0.fma(v, a00);
            a10 = u1.fma(v, a10);
            a20 = u2.fma(v, a20);
            a30 = u3.fma(v, a30);
            v = DoubleVector.fromArray(SP, w, w1 + k);
            a01 = u0.fma(v, a01);
            a11 = u1.fma(v, a11);
            a21 = u2.fma(v, a21);
            a31 = u3.fma(v, a31);
            v = DoubleVector.fromArray(SP, w, w2 + k);
            a02 = u0.fma(v, a02);
            a12 = u1.fma(v, a12);
            a22 = u2.fma(v, a22);
            a32 = u3.fma(v, a32);
            v = DoubleVector.fromArray(SP, w, w3 + k);
            a03 = u0.fma(v, a03);
            a13 = u1.fma(v, a13);
            a23 = u2.fma(v, a23);
            a33 = u3.fma(v, a33);
        }
        int o = t * ys + yo + i;
        y[o] = finish(a00, x, x0, w, w0, vn, n);
        y[o + 1] = finish(a01, x, x0, w, w1, vn, n);
        y[o + 2] = finish(a02, x, x0, w, w2, vn, n);
        y[o + 3] = finish(a03, x, x0, w, w3, vn, n);
        o += ys;
        y[o] = finish(a10, x, x1, w, w0, vn, n);
        y[o + 1] = finish(a11, x, x1, w, w1, vn, n);
        y[o + 2] = finish(a12, x, x1, w, w2, vn, n);
        y[o + 3] = finish(a13, x, x1, w, w3, vn, n);
        o += ys;
        y[o] = finish(a20, x, x2, w, w0, vn, n);
        y[o + 1] = finish(a21, x, x2, w, w1, vn, n);
        y[o + 2] = finish(a22, x, x2, w, w2, vn, n);
        y[o + 3] = finish(a23, x, x2, w, w3, vn, n);
        o += ys;
        y[o] = finish(a30, x, x3, w, w0, vn, n);
        y[o + 1] = finish(a31, x, x3, w, w1, vn, n);
        y[o + 2] = finish(a32, x, x3, w, w2, vn, n);
        y[o + 3] = finish(a33, x, x3, w, w3, vn, n);
    }

    /** The lanes in order, then the products from k = vn on. */
    private static double finish(DoubleVector acc, double[] x, int xo, double[] w, int wo, int vn, int n) {
        double s = Lanes.sum(acc);
        for (int k = vn; k < n; k++) s += x[xo + k] * w[wo + k];
        return s;
    }

    /**
     * dx[t·n + k] += Σ_i dy[t·ys + yo + i] · w[i·n + k]. Rows of w go in groups of 4 (a group is skipped for a token
     * whose 4 gradients are all zero), then the rest one by one, in the same order for every token; four tokens at a
     * time share each load of w, which otherwise streams the whole matrix once per token.
     */
    static void backwardInput(double[] dy, int T, int ys, int yo, double[] w, int rows, int n, double[] dx) {
        int vn = n - n % L, R4 = rows - rows % 4, t = 0;
        double[] g = new double[16];
        for (; t + 3 < T; t += 4) {
            for (int i = 0; i < R4; i += 4) {
                boolean any = false;
                for (int u = 0; u < 4; u++) {
                    int o = (t + u) * ys + yo + i;
                    for (int q = 0; q < 4; q++) g[4 * u + q] = dy[o + q];
                    any |= g[4 * u] != 0 || g[4 * u + 1] != 0 || g[4 * u + 2] != 0 || g[4 * u + 3] != 0;
                }
                if (any) inputGroup4(g, t, i, w, n, vn, dx);
            }
            for (int u = 0; u < 4; u++) inputRest(dy, (t + u) * ys + yo, (t + u) * n, R4, rows, w, n, dx);
        }
        for (; t < T; t++) {
            int o = t * ys + yo, xo = t * n;
            for (int i = 0; i < R4; i += 4) {
                double g0 = dy[o + i], g1 = dy[o + i + 1], g2 = dy[o + i + 2], g3 = dy[o + i + 3];
                if (g0 == 0 && g1 == 0 && g2 == 0 && g3 == 0) continue;
                inputGroup1(g0, g1, g2, g3, xo, i, w, n, vn, dx);
            }
            inputRest(dy, o, xo, R4, rows, w, n, dx);
        }
    }

    /** Rows i..i+3 into tokens t..t+3 (g: their gradients, token by token); a token with four zeros is left alone. */
    private static void inputGroup4(double[] g, int t, int i, double[] w, int n, int vn, double[] dx) {
        int w0 = i * n, w1 = w0 + n, w2 = w1 + n, w3 = w2 + n;
        boolean z0 = zero4(g, 0), z1 = zero4(g, 4), z2 = zero4(g, 8), z3 = zero4(g, 12);
        if (z0 || z1 || z2 || z3) { // rare: the tokens one by one, each as inputGroup1 would
            for (int u = 0; u < 4; u++)
                if (!zero4(g, 4 * u)) inputGroup1(g[4 * u], g[4 * u + 1], g[4 * u + 2], g[4 * u + 3], (t + u) * n, i, w, n, vn, dx);
            return;
        }
        int x0 = t * n, x1 = x0 + n, x2 = x1 + n, x3 = x2 + n;
        var v00 = DoubleVector.broadcast(SP, g[0]);
        var v01 = DoubleVector.broadcast(SP, g[1]);
        var v02 = DoubleVector.broadcast(SP, g[2]);
        var v03 = DoubleVector.broadcast(SP, g[3]);
        var v10 = DoubleVector.broadcast(SP, g[4]);
        var v11 = DoubleVector.broadcast(SP, g[5]);
        var v12 = DoubleVector.broadcast(SP, g[6]);
        var v13 = DoubleVector.broadcast(SP, g[7]);
        var v20 = DoubleVector.broadcast(SP, g[8]);
        var v21 = DoubleVector.broadcast(SP, g[9]);
        var v22 = DoubleVector.broadcast(SP, g[10]);
        var v23 = DoubleVector.broadcast(SP, g[11]);
        var v30 = DoubleVector.broadcast(SP, g[12]);
        var v31 = DoubleVector.broadcast(SP, g[13]);
        var v32 = DoubleVector.broadcast(SP, g[14]);
        var v33 = DoubleVector.broadcast(SP, g[15]);
        for (int k = 0; k < vn; k += L) {
            var r0 = DoubleVector.fromArray(SP, w, w0 + k);
            var r1 = DoubleVector.fromArray(SP, w, w1 + k);
            var r2 = DoubleVector.fromArray(SP, w, w2 + k);
            var r3 = DoubleVector.fromArray(SP, w, w3 + k);
            r3.fma(v03, r2.fma(v02, r1.fma(v01, r0.fma(v00, DoubleVector.fromArray(SP, dx, x0 + k))))).intoArray(dx, x0 + k);
            r3.fma(v13, r2.fma(v12, r1.fma(v11, r0.fma(v10, DoubleVector.fromArray(SP, dx, x1 + k))))).intoArray(dx, x1 + k);
            r3.fma(v23, r2.fma(v22, r1.fma(v21, r0.fma(v20, DoubleVector.fromArray(SP, dx, x2 + k))))).intoArray(dx, x2 + k);
            r3.fma(v33, r2.fma(v32, r1.fma(v31, r0.fma(v30, DoubleVector.fromArray(SP, dx, x3 + k))))).intoArray(dx, x3 + k);
        }
        for (int u = 0; u < 4; u++) {
            int xo = (t + u) * n;
            double g0 = g[4 * u], g1 = g[4 * u + 1], g2 = g[4 * u + 2], g3 = g[4 * u + 3];
            for (int k = vn; k < n; k++) dx[xo + k] += g0 * w[w0 + k] + g1 * w[w1 + k] + g2 * w[w2 + k] + g3 * w[w3 + k];
        }
    }

    private static boolean zero4(double[] g, int o) {
        return g[o] == 0 && g[o + 1] == 0 && g[o + 2] == 0 && g[o + 3] == 0;
    }

    /** Rows i..i+3 into one token's dx at xo. */
    private static void inputGroup1(double g0, double g1, double g2, double g3, int xo, int i, double[] w, int n, int vn, double[] dx) {
        int w0 = i * n, w1 = w0 + n, w2 = w1 + n, w3 = w2 + n;
        var v0 = DoubleVector.broadcast(SP, g0);
        var v1 = DoubleVector.broadcast(SP, g1);
        var v2 = DoubleVector.broadcast(SP, g2);
        var v3 = DoubleVector.broadcast(SP, g3);
        for (int k = 0; k < vn; k += L) {
            var acc = DoubleVector.fromArray(SP, dx, xo + k);
            acc = DoubleVector.fromArray(SP, w, w0 + k).fma(v0, acc);
            acc = DoubleVector.fromArray(SP, w, w1 + k).fma(v1, acc);
            acc = DoubleVector.fromArray(SP, w, w2 + k).fma(v2, acc);
            acc = DoubleVector.fromArray(SP, w, w3 + k).fma(v3, acc);
            acc.intoArray(dx, xo + k);
        }
        for (int k = vn; k < n; k++) dx[xo + k] += g0 * w[w0 + k] + g1 * w[w1 + k] + g2 * w[w2 + k] + g3 * w[w3 + k];
    }

    /** Rows from R4 on, one at a time, into one token's dx. */
    private static void inputRest(double[] dy, int o, int xo, int R4, int rows, double[] w, int n, double[] dx) {
        for (int i = R4; i < rows; i++) {
            double g = dy[o + i];
            if (g != 0) LinearParam.axpy(g, w, i * n, dx, xo, n);
        }
    }

    /**
     * gw[i·n + k] += Σ_t dy[t·ys + yo + i] · x[t·n + k]. Tokens go in groups of 4 (a group is skipped for a row whose 4
     * gradients are all zero), then the rest one by one, in the same order for every row; four rows at a time share each
     * load of x, which otherwise streams all the tokens once per row.
     */
    static void backwardWeight(double[] dy, int T, int ys, int yo, double[] x, int n, double[] gw, int rows) {
        int vn = n - n % L, T4 = T - T % 4, i = 0;
        double[] g = new double[16];
        for (; i + 3 < rows; i += 4) {
            for (int t = 0; t < T4; t += 4) {
                boolean any = false;
                for (int r = 0; r < 4; r++) {
                    int o = t * ys + yo + i + r;
                    for (int q = 0; q < 4; q++) g[4 * r + q] = dy[o + q * ys];
                    any |= !zero4(g, 4 * r);
                }
                if (any) weightGroup4(g, t, i, x, n, vn, gw);
            }
            for (int r = 0; r < 4; r++) weightRest(dy, T4, T, ys, yo, i + r, x, n, gw);
        }
        for (; i < rows; i++) {
            for (int t = 0; t < T4; t += 4) {
                int o = t * ys + yo + i;
                double g0 = dy[o], g1 = dy[o + ys], g2 = dy[o + 2 * ys], g3 = dy[o + 3 * ys];
                if (g0 == 0 && g1 == 0 && g2 == 0 && g3 == 0) continue;
                weightGroup1(g0, g1, g2, g3, t, i * n, x, n, vn, gw);
            }
            weightRest(dy, T4, T, ys, yo, i, x, n, gw);
        }
    }

    /** Tokens t..t+3 into rows i..i+3 (g: their gradients, row by row); a row with four zeros is left alone. */
    private static void weightGroup4(double[] g, int t, int i, double[] x, int n, int vn, double[] gw) {
        if (zero4(g, 0) || zero4(g, 4) || zero4(g, 8) || zero4(g, 12)) {
            for (int r = 0; r < 4; r++)
                if (!zero4(g, 4 * r)) weightGroup1(g[4 * r], g[4 * r + 1], g[4 * r + 2], g[4 * r + 3], t, (i + r) * n, x, n, vn, gw);
            return;
        }
        int x0 = t * n, x1 = x0 + n, x2 = x1 + n, x3 = x2 + n;
        int o0 = i * n, o1 = o0 + n, o2 = o1 + n, o3 = o2 + n;
        var v00 = DoubleVector.broadcast(SP, g[0]);
        var v01 = DoubleVector.broadcast(SP, g[1]);
        var v02 = DoubleVector.broadcast(SP, g[2]);
        var v03 = DoubleVector.broadcast(SP, g[3]);
        var v10 = DoubleVector.broadcast(SP, g[4]);
        var v11 = DoubleVector.broadcast(SP, g[5]);
        var v12 = DoubleVector.broadcast(SP, g[6]);
        var v13 = DoubleVector.broadcast(SP, g[7]);
        var v20 = DoubleVector.broadcast(SP, g[8]);
        var v21 = DoubleVector.broadcast(SP, g[9]);
        var v22 = DoubleVector.broadcast(SP, g[10]);
        var v23 = DoubleVector.broadcast(SP, g[11]);
        var v30 = DoubleVector.broadcast(SP, g[12]);
        var v31 = DoubleVector.broadcast(SP, g[13]);
        var v32 = DoubleVector.broadcast(SP, g[14]);
        var v33 = DoubleVector.broadcast(SP, g[15]);
        for (int k = 0; k < vn; k += L) {
            var u0 = DoubleVector.fromArray(SP, x, x0 + k);
            var u1 = DoubleVector.fromArray(SP, x, x1 + k);
            var u2 = DoubleVector.fromArray(SP, x, x2 + k);
            var u3 = DoubleVector.fromArray(SP, x, x3 + k);
            u3.fma(v03, u2.fma(v02, u1.fma(v01, u0.fma(v00, DoubleVector.fromArray(SP, gw, o0 + k))))).intoArray(gw, o0 + k);
            u3.fma(v13, u2.fma(v12, u1.fma(v11, u0.fma(v10, DoubleVector.fromArray(SP, gw, o1 + k))))).intoArray(gw, o1 + k);
            u3.fma(v23, u2.fma(v22, u1.fma(v21, u0.fma(v20, DoubleVector.fromArray(SP, gw, o2 + k))))).intoArray(gw, o2 + k);
            u3.fma(v33, u2.fma(v32, u1.fma(v31, u0.fma(v30, DoubleVector.fromArray(SP, gw, o3 + k))))).intoArray(gw, o3 + k);
        }
        for (int r = 0; r < 4; r++) {
            int wo = (i + r) * n;
            double g0 = g[4 * r], g1 = g[4 * r + 1], g2 = g[4 * r + 2], g3 = g[4 * r + 3];
            for (int k = vn; k < n; k++) gw[wo + k] += g0 * x[x0 + k] + g1 * x[x1 + k] + g2 * x[x2 + k] + g3 * x[x3 + k];
        }
    }

    /** Tokens t..t+3 into one row of gw at wo. */
    private static void weightGroup1(double g0, double g1, double g2, double g3, int t, int wo, double[] x, int n, int vn, double[] gw) {
        int x0 = t * n, x1 = x0 + n, x2 = x1 + n, x3 = x2 + n;
        var v0 = DoubleVector.broadcast(SP, g0);
        var v1 = DoubleVector.broadcast(SP, g1);
        var v2 = DoubleVector.broadcast(SP, g2);
        var v3 = DoubleVector.broadcast(SP, g3);
        for (int k = 0; k < vn; k += L) {
            var acc = DoubleVector.fromArray(SP, gw, wo + k);
            acc = DoubleVector.fromArray(SP, x, x0 + k).fma(v0, acc);
            acc = DoubleVector.fromArray(SP, x, x1 + k).fma(v1, acc);
            acc = DoubleVector.fromArray(SP, x, x2 + k).fma(v2, acc);
            acc = DoubleVector.fromArray(SP, x, x3 + k).fma(v3, acc);
            acc.intoArray(gw, wo + k);
        }
        for (int k = vn; k < n; k++) gw[wo + k] += g0 * x[x0 + k] + g1 * x[x1 + k] + g2 * x[x2 + k] + g3 * x[x3 + k];
    }

    /** Tokens from T4 on, one at a time, into row i of gw. */
    private static void weightRest(double[] dy, int T4, int T, int ys, int yo, int i, double[] x, int n, double[] gw) {
        for (int t = T4; t < T; t++) {
            double g = dy[t * ys + yo + i];
            if (g != 0) LinearParam.axpy(g, x, t * n, gw, i * n, n);
        }
    }
}
