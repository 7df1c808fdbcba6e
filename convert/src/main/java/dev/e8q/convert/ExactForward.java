package dev.e8q.convert;

import dev.e8q.codec.Lanes;
import dev.e8q.codec.Parallel;
import dev.e8q.llama.LlamaConfig;
import dev.e8q.llama.model.DecoderBlock;
import dev.e8q.llama.model.DenseLinear;
import dev.e8q.llama.model.LinearGroup;
import dev.e8q.llama.model.LinearInputObserver;
import dev.e8q.llama.model.LinearKind;
import dev.e8q.llama.model.Rope;
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
                int t = i / nh, h = i % nh, qo = t * qDim + h * hd, ko = (h / group) * hd;
                float max = Float.NEGATIVE_INFINITY;
                for (int s = 0; s <= t; s++) {
                    sc[s] = dot(q, qo, k, s * kvDim + ko, hd) * scale;
                    max = Math.max(max, sc[s]);
                }
                float sum = 0;
                for (int s = 0; s <= t; s++) {
                    sc[s] = (float) Math.exp(sc[s] - max);
                    sum += sc[s];
                }
                float inv = 1 / sum;
                int ao = t * qDim + h * hd;
                for (int s = 0; s <= t; s++) {
                    float p = sc[s] * inv;
                    int vo = s * kvDim + ko;
                    for (int j = 0; j < hd; j++) att[ao + j] += p * v[vo + j];
                }
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

    static void rmsnormRows(float[] out, float[] x, float[] w, int T, int n, float eps) {
        for (int t = 0; t < T; t++) {
            int o = t * n;
            double ss = 0;
            for (int i = 0; i < n; i++) ss += (double) x[o + i] * x[o + i];
            float r = (float) (1.0 / Math.sqrt(ss / n + eps));
            for (int i = 0; i < n; i++) out[o + i] = x[o + i] * r * w[i];
        }
    }

    /** X (T × in) · Wᵀ → T × out, W the block's dense weights of kind k. */
    private static float[] matmul(float[] xs, int T, DecoderBlock b, LinearKind k) {
        DenseLinear lin = (DenseLinear) b.linear(k);
        float[] w = lin.weights();
        int out = lin.outFeatures(), in = lin.inFeatures();
        float[] y = new float[T * out];
        Parallel.forRange(out, 8, (r0, r1) -> {
            for (int r = r0; r < r1; r++)
                for (int t = 0; t < T; t++) y[t * out + r] = dot(w, r * in, xs, t * in, in);
        });
        return y;
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
