package dev.e8q.finetune;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.DoubleSupplier;

/** Random small models and finite-difference helpers for the gradient checks. */
final class Fixtures {
    private Fixtures() {}

    static double[] gauss(Random r, int n, double sd) {
        double[] a = new double[n];
        for (int i = 0; i < n; i++) a[i] = r.nextGaussian() * sd;
        return a;
    }

    /** Real-valued "sign" vectors: ±1 with some spread, as after fine-tuning. */
    static double[] signs(Random r, int n) {
        double[] a = new double[n];
        for (int i = 0; i < n; i++) a[i] = (r.nextBoolean() ? 1 : -1) * (0.5 + r.nextDouble());
        return a;
    }

    static LinearParam linear(Random r, String name, int rows, int cols, boolean quant, double[] outScale) {
        if (!quant) return new DenseLinear(name, rows, cols, gauss(r, rows * cols, 1 / Math.sqrt(cols)));
        int pr = rows + r.nextInt(3), pc = cols + r.nextInt(3);
        return new QuantLinear(name, rows, cols, gauss(r, pr * pc, 1 / Math.sqrt(pc)),
                Rotation.randomOrthogonal(pr, r.nextLong()), Rotation.randomOrthogonal(pc, r.nextLong()),
                signs(r, pc), signs(r, pr), outScale);
    }

    /**
     * A random block. {@code quantMask} bit i makes linear i quantized (0 q, 1 k, 2 v, 3 o, 4 up, 5 gate,
     * 6 down); fuseQkv / fuseUpGate replace q,k,v (up,gate) by one fused quantized linear with fuse scales.
     */
    static Block block(Random r, BlockShape s, int quantMask, boolean fuseQkv, boolean fuseUpGate) {
        int d = s.dim();
        List<LinearParam> qkv = new ArrayList<>();
        if (fuseQkv) {
            double[] os = new double[s.qkvDim()];
            double[] fs = {0.5 + r.nextDouble(), 0.5 + r.nextDouble(), 0.5 + r.nextDouble()};
            for (int i = 0; i < os.length; i++) os[i] = fs[i < s.qDim() ? 0 : i < s.qDim() + s.kvDim() ? 1 : 2];
            qkv.add(linear(r, "qkv_proj", s.qkvDim(), d, true, os));
        } else {
            qkv.add(linear(r, "q_proj", s.qDim(), d, (quantMask & 1) != 0, null));
            qkv.add(linear(r, "k_proj", s.kvDim(), d, (quantMask & 2) != 0, null));
            qkv.add(linear(r, "v_proj", s.kvDim(), d, (quantMask & 4) != 0, null));
        }
        LinearParam o = linear(r, "o_proj", d, s.qDim(), (quantMask & 8) != 0, null);
        List<LinearParam> ug = new ArrayList<>();
        int h = s.hiddenDim();
        if (fuseUpGate) {
            double[] os = new double[2 * h];
            double a = 0.5 + r.nextDouble(), b = 0.5 + r.nextDouble();
            for (int i = 0; i < os.length; i++) os[i] = i < h ? a : b;
            ug.add(linear(r, "upgate_proj", 2 * h, d, true, os));
        } else {
            ug.add(linear(r, "up_proj", h, d, (quantMask & 16) != 0, null));
            ug.add(linear(r, "gate_proj", h, d, (quantMask & 32) != 0, null));
        }
        LinearParam down = linear(r, "down_proj", d, h, (quantMask & 64) != 0, null);
        double[] n1 = new double[d], n2 = new double[d];
        for (int i = 0; i < d; i++) {
            n1[i] = 0.5 + r.nextDouble();
            n2[i] = 0.5 + r.nextDouble();
        }
        return new Block(s, n1, n2, qkv, o, ug, down);
    }

    static BlockShape shape(Random r, int dim, int hidden, int nKv, int ratio, int headDim, boolean interleaved) {
        return BlockShape.of(dim, hidden, nKv * ratio, nKv, headDim, 1e-5, r.nextBoolean() ? 10000 : 100, interleaved);
    }

    static double centralDiff(double[] a, int i, double h, DoubleSupplier f) {
        double old = a[i];
        a[i] = old + h;
        double fp = f.getAsDouble();
        a[i] = old - h;
        double fm = f.getAsDouble();
        a[i] = old;
        return (fp - fm) / (2 * h);
    }

    /** Asserts analytic ≈ numeric with a relative tolerance; the message names what failed. */
    static void assertClose(double analytic, double numeric, double tol, String what) {
        double err = Math.abs(analytic - numeric);
        double scale = Math.max(1e-3, Math.max(Math.abs(analytic), Math.abs(numeric)));
        if (err > tol * scale) {
            throw new AssertionError(what + ": analytic " + analytic + " vs finite difference " + numeric
                    + " (rel err " + err / scale + ")");
        }
    }

    /** Checks up to {@code maxPerTensor} random coordinates of each trainable parameter. */
    static void checkParams(Random r, ParamSet set, double[][] grads, DoubleSupplier loss, int maxPerTensor, double tol) {
        for (Param p : set.params()) {
            if (!p.trainable()) continue;
            double[] g = grads[set.params().indexOf(p)];
            int n = p.size();
            int k = Math.min(n, maxPerTensor);
            for (int c = 0; c < k; c++) {
                int i = n <= maxPerTensor ? c : r.nextInt(n);
                double num = centralDiff(p.value(), i, 1e-5, loss);
                assertClose(g[i], num, tol, p.name() + "[" + i + "]");
            }
        }
    }
}
