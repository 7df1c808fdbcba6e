package dev.e8q.convert;

import dev.e8q.codec.Parallel;
import dev.e8q.llama.LlamaConfig;
import dev.e8q.llama.model.DecoderBlock;
import dev.e8q.llama.model.DenseLinear;
import dev.e8q.llama.model.LinearGroup;
import dev.e8q.llama.model.LinearInputObserver;
import dev.e8q.llama.model.LinearKind;
import dev.e8q.llama.model.Rope;
import dev.e8q.simd.Lanes;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The calibration forward pass of one dense decoder block (the same function as
 * {@link DecoderBlock#forwardSequence(float[], int, LinearInputObserver)} without a cache) with every sum in a fixed
 * order, so its outputs are bit-for-bit reproducible: the Vector API's {@code reduceLanes} leaves the order of its
 * additions open (it differs between interpreted and compiled code), which made two runs' activations differ in the
 * last bit. Here vector lanes only accumulate lane-wise (fma) and are then added up in lane order. Every output element
 * is computed by one thread in the same way whatever the thread count. Used for the Hessians, the activation
 * statistics and the block-tuning targets, so that a resumed conversion sees exactly the activations of an
 * uninterrupted one.
 */
final class ExactForward {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();

    private ExactForward() {}

    static void block(DecoderBlock b, float[] x, int T, LinearInputObserver obs) {
        LlamaConfig c = b.config();
        int dim = c.dim(), qDim = c.qDim(), kvDim = c.kvDim(), hidden = c.hiddenDim(), hd = c.headDim(), layer = b.layer();
        float[] xn = new float[T * dim];
        rmsnormRows(xn, x, b.attnNorm(), T, dim, c.normEps());
        if (obs != null) obs.observe(layer, LinearGroup.QKV, xn, T, dim);
        float[] q = matmul(xn, T, b, LinearKind.Q), k = matmul(xn, T, b, LinearKind.K), v = matmul(xn, T, b, LinearKind.V);
        addBias(q, T, b.bias(LinearKind.Q));
        addBias(k, T, b.bias(LinearKind.K));
        addBias(v, T, b.bias(LinearKind.V));
        Rope rope = b.rope();
        int half = hd / 2;
        float[] cos = new float[half], sin = new float[half];
        for (int t = 0; t < T; t++) {
            rope.table(t, cos, sin, 0);
            rope.apply(q, t * qDim, c.nHeads(), cos, sin, 0);
            rope.apply(k, t * kvDim, c.nKvHeads(), cos, sin, 0);
        }
        float[] att = new float[T * qDim];
        int nh = c.nHeads(), group = nh / c.nKvHeads();
        float scale = (float) (1.0 / Math.sqrt(hd));
        Parallel.forRange(T * nh, 4, (i0, i1) -> {
            float[] sc = new float[T];
            for (int i = i0; i < i1; i++) {
                int t = i / nh, h = i % nh, qo = t * qDim + h * hd, ko = (h / group) * hd, first = c.firstAttended(t + 1);
                float max = Float.NEGATIVE_INFINITY;
                for (int s = first; s <= t; s++) {
                    sc[s] = dot(q, qo, k, s * kvDim + ko, hd) * scale;
                    max = Math.max(max, sc[s]);
                }
                float sum = 0;
                for (int s = first; s <= t; s++) {
                    sc[s] = (float) Math.exp(sc[s] - max);
                    sum += sc[s];
                }
                float inv = 1 / sum;
                int ao = t * qDim + h * hd;
                for (int s = first; s <= t; s++) addScaled(att, ao, sc[s] * inv, v, s * kvDim + ko, hd);
            }
        });
        if (obs != null) obs.observe(layer, LinearGroup.O, att, T, qDim);
        float[] o = matmul(att, T, b, LinearKind.O);
        for (int i = 0; i < T * dim; i++) x[i] += o[i];
        rmsnormRows(xn, x, b.ffnNorm(), T, dim, c.normEps());
        if (obs != null) obs.observe(layer, LinearGroup.UPGATE, xn, T, dim);
        float[] g = matmul(xn, T, b, LinearKind.GATE), u = matmul(xn, T, b, LinearKind.UP);
        for (int i = 0; i < T * hidden; i++) g[i] = g[i] / (1f + (float) Math.exp(-g[i])) * u[i];
        if (obs != null) obs.observe(layer, LinearGroup.DOWN, g, T, hidden);
        float[] d = matmul(g, T, b, LinearKind.DOWN);
        for (int i = 0; i < T * dim; i++) x[i] += d[i];
    }

    /** Adds a q/k/v bias (Qwen2) to every row, before RoPE as in {@link DecoderBlock}; nothing when it is null. */
    private static void addBias(float[] y, int T, float[] bias) {
        if (bias == null) return;
        for (int t = 0; t < T; t++) for (int i = 0; i < bias.length; i++) y[t * bias.length + i] += bias[i];
    }

    static void rmsnormRows(float[] out, float[] x, float[] w, int T, int n, float eps) {
        for (int t = 0; t < T; t++) {
            int o = t * n;
            double ss = 0;
            for (int i = 0; i < n; i++) ss += (double) x[o + i] * x[o + i];
            float r = (float) (1.0 / Math.sqrt(ss / n + eps));
            for (int i = 0; i < n; i++) out[o + i] = x[o + i] * r * w[i];
        }
    }

    /** y[yo+j] += p·v[vo+j] for j < n, the product rounded before the add as in the scalar loop. */
    private static void addScaled(float[] y, int yo, float p, float[] v, int vo, int n) {
        int j = 0;
        if (n >= L) {
            FloatVector pv = FloatVector.broadcast(F, p);
            for (int bound = F.loopBound(n); j < bound; j += L)
                FloatVector.fromArray(F, v, vo + j).mul(pv).add(FloatVector.fromArray(F, y, yo + j)).intoArray(y, yo + j);
        }
        for (; j < n; j++) y[yo + j] += p * v[vo + j];
    }

    /** X (T × in) · Wᵀ → T × out, W the block's dense weights of kind k. */
    private static float[] matmul(float[] xs, int T, DecoderBlock b, LinearKind k) {
        DenseLinear lin = (DenseLinear) b.linear(k);
        return matmul(xs, T, lin.weights(), lin.outFeatures(), lin.inFeatures());
    }

    /** Token rows of X kept together so that they stay in the L2 cache while rows of W pass over them. */
    private static final int X_BLOCK_BYTES = 256 << 10;

    /**
     * X (T × in) · Wᵀ (W out × in) → T × out. Every output is {@link #dot}'s value bit for bit: tiles of 4 rows × 4
     * tokens run 16 of its accumulations side by side, which hides the latency of one fma chain and loads each vector
     * of W and X once per 4 fmas.
     */
    static float[] matmul(float[] xs, int T, float[] w, int out, int in) {
        return matmul(xs, T, w, out, in, Math.max(4, X_BLOCK_BYTES / (4 * Math.max(in, 1)) & ~3));
    }

    /** @param tb tokens per block of X (≥ 1) */
    static float[] matmul(float[] xs, int T, float[] w, int out, int in, int tb) {
        float[] y = new float[T * out];
        Parallel.forRange((out + 3) / 4, 2, (a, e) -> {
            int r0 = 4 * a, r1 = Math.min(out, 4 * e);
            for (int t0 = 0; t0 < T; t0 += tb) {
                int t1 = Math.min(T, t0 + tb);
                for (int r = r0; r < r1; r += 4) {
                    int rEnd = Math.min(r + 4, r1), t = t0;
                    if (rEnd - r == 4) for (; t + 4 <= t1; t += 4) tile(w, r, xs, t, in, y, out);
                    for (; t < t1; t++)
                        for (int rr = r; rr < rEnd; rr++) y[t * out + rr] = dot(w, rr * in, xs, t * in, in);
                }
            }
        });
        return y;
    }

    /** The 4 × 4 outputs of rows r..r+3 of W and tokens t..t+3 of X. */
    private static void tile(float[] w, int r, float[] x, int t, int in, float[] y, int out) {
        int w0 = r * in, w1 = w0 + in, w2 = w1 + in, w3 = w2 + in;
        int x0 = t * in, x1 = x0 + in, x2 = x1 + in, x3 = x2 + in;
        FloatVector a00 = FloatVector.zero(F), a01 = a00, a02 = a00, a03 = a00, a10 = a00, a11 = a00, a12 = a00, a13 = a00;
        FloatVector a20 = a00, a21 = a00, a22 = a00, a23 = a00, a30 = a00, a31 = a00, a32 = a00, a33 = a00;
        int i = 0;
        for (int bound = F.loopBound(in); i < bound; i += L) {
            FloatVector u0 = FloatVector.fromArray(F, x, x0 + i), u1 = FloatVector.fromArray(F, x, x1 + i);
            FloatVector u2 = FloatVector.fromArray(F, x, x2 + i), u3 = FloatVector.fromArray(F, x, x3 + i);
            FloatVector v = FloatVector.fromArray(F, w, w0 + i);
            a00 = v.fma(u0, a00);
            a01 = v.fma(u1, a01);
            a02 = v.fma(u2, a02);
            a03 = v.fma(u3, a03);
            v = FloatVector.fromArray(F, w, w1 + i);
            a10 = v.fma(u0, a10);
            a11 = v.fma(u1, a11);
            a12 = v.fma(u2, a12);
            a13 = v.fma(u3, a13);
            v = FloatVector.fromArray(F, w, w2 + i);
            a20 = v.fma(u0, a20);
            a21 = v.fma(u1, a21);
            a22 = v.fma(u2, a22);
            a23 = v.fma(u3, a23);
            v = FloatVector.fromArray(F, w, w3 + i);
            a30 = v.fma(u0, a30);
            a31 = v.fma(u1, a31);
            a32 = v.fma(u2, a32);
            a33 = v.fma(u3, a33);
        }
        int yo = t * out + r;
        y[yo] = finish(a00, w, w0, x, x0, i, in);
        y[yo + out] = finish(a01, w, w0, x, x1, i, in);
        y[yo + 2 * out] = finish(a02, w, w0, x, x2, i, in);
        y[yo + 3 * out] = finish(a03, w, w0, x, x3, i, in);
        y[yo + 1] = finish(a10, w, w1, x, x0, i, in);
        y[yo + 1 + out] = finish(a11, w, w1, x, x1, i, in);
        y[yo + 1 + 2 * out] = finish(a12, w, w1, x, x2, i, in);
        y[yo + 1 + 3 * out] = finish(a13, w, w1, x, x3, i, in);
        y[yo + 2] = finish(a20, w, w2, x, x0, i, in);
        y[yo + 2 + out] = finish(a21, w, w2, x, x1, i, in);
        y[yo + 2 + 2 * out] = finish(a22, w, w2, x, x2, i, in);
        y[yo + 2 + 3 * out] = finish(a23, w, w2, x, x3, i, in);
        y[yo + 3] = finish(a30, w, w3, x, x0, i, in);
        y[yo + 3 + out] = finish(a31, w, w3, x, x1, i, in);
        y[yo + 3 + 2 * out] = finish(a32, w, w3, x, x2, i, in);
        y[yo + 3 + 3 * out] = finish(a33, w, w3, x, x3, i, in);
    }

    /** {@link #dot}'s ending: the lanes in order, then the tail from i. */
    private static float finish(FloatVector acc, float[] a, int ao, float[] b, int bo, int i, int n) {
        float s = Lanes.sum(acc);
        for (; i < n; i++) s = Math.fma(a[ao + i], b[bo + i], s);
        return s;
    }

    /** Σ a·b with lane-wise fma accumulation, then the lanes and the tail added in order. */
    static float dot(float[] a, int ao, float[] b, int bo, int n) {
        int i = 0;
        float s = 0;
        if (n >= L) {
            FloatVector acc = FloatVector.zero(F);
            for (int bound = F.loopBound(n); i < bound; i += L)
                acc = FloatVector.fromArray(F, a, ao + i).fma(FloatVector.fromArray(F, b, bo + i), acc);
            s = Lanes.sum(acc);
        }
        for (; i < n; i++) s = Math.fma(a[ao + i], b[bo + i], s);
        return s;
    }
}
