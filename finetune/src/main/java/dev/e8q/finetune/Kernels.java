package dev.e8q.finetune;

/**
 * The three products of a linear layer over T rows, on {@link Gemm}. Row-major throughout; y rows may be a column slice
 * ({@code ys} stride, {@code yo} offset) of a wider array. Every output is one chain of fused multiply-adds in index
 * order (from 0 for y, from the value already there for dx and gw), so results do not depend on blocking or threads.
 */
final class Kernels {
    private Kernels() {}

    /** y[t·ys + yo + i] = w_i · x_t  (x: T × n, w: rows × n). */
    static void forward(double[] x, int T, int n, double[] w, int rows, double[] y, int ys, int yo) {
        for (int t = 0; t < T; t++) java.util.Arrays.fill(y, t * ys + yo, t * ys + yo + rows, 0);
        Gemm.multiplyAdd(T, rows, n, x, 0, n, 1, w, 0, 1, n, y, yo, ys);
    }

    /** dx[t·n + k] += Σ_i dy[t·ys + yo + i] · w[i·n + k], i in order. */
    static void backwardInput(double[] dy, int T, int ys, int yo, double[] w, int rows, int n, double[] dx) {
        Gemm.multiplyAdd(T, n, rows, dy, yo, ys, 1, w, 0, n, 1, dx, 0, n);
    }

    /** gw[i·n + k] += Σ_t dy[t·ys + yo + i] · x[t·n + k], t in order. */
    static void backwardWeight(double[] dy, int T, int ys, int yo, double[] x, int n, double[] gw, int rows) {
        Gemm.multiplyAdd(rows, n, T, dy, yo, 1, ys, x, 0, n, 1, gw, 0, n);
    }
}
