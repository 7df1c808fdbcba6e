package dev.e8q.llama.model;

import dev.e8q.llama.LlamaConfig;
import java.util.Map;
import java.util.function.DoubleUnaryOperator;

/**
 * A plain double-precision Llama forward over a whole sequence, written independently of the model code:
 * returns T × vocab logits. {@code roundLinear} is applied to every linear weight (to mimic 16-bit storage).
 */
final class ReferenceForward {
    private ReferenceForward() {}

    static double[][] logits(LlamaConfig c, Map<String, float[]> w, int[] tokens, DoubleUnaryOperator roundLinear) {
        int T = tokens.length, dim = c.dim(), hd = c.headDim(), nh = c.nHeads(), nkv = c.nKvHeads();
        double[][] x = new double[T][dim];
        float[] emb = w.containsKey("model.embed_tokens.weight") ? w.get("model.embed_tokens.weight") : w.get("lm_head.weight");
        for (int t = 0; t < T; t++) for (int i = 0; i < dim; i++) x[t][i] = emb[tokens[t] * dim + i];
        for (int l = 0; l < c.nLayers(); l++) {
            String p = "model.layers." + l + ".";
            double[][] xn = norm(x, w.get(p + "input_layernorm.weight"), c.normEps());
            double[][] q = lin(xn, w, p + "self_attn.q_proj", roundLinear);
            double[][] k = lin(xn, w, p + "self_attn.k_proj", roundLinear);
            double[][] v = lin(xn, w, p + "self_attn.v_proj", roundLinear);
            for (int t = 0; t < T; t++) {
                rope(c, q[t], nh, t);
                rope(c, k[t], nkv, t);
            }
            double[][] att = new double[T][nh * hd];
            for (int t = 0; t < T; t++) {
                for (int h = 0; h < nh; h++) {
                    int kh = h / (nh / nkv);
                    double[] s = new double[t + 1];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int u = 0; u <= t; u++) {
                        double d = 0;
                        for (int i = 0; i < hd; i++) d += q[t][h * hd + i] * k[u][kh * hd + i];
                        // Hugging Face's sliding-window mask: key u is visible to query t iff u > t - W
                        boolean visible = c.slidingWindow() == 0 || u > t - c.slidingWindow();
                        s[u] = visible ? d / Math.sqrt(hd) : Double.NEGATIVE_INFINITY;
                        max = Math.max(max, s[u]);
                    }
                    double sum = 0;
                    for (int u = 0; u <= t; u++) sum += s[u] = Math.exp(s[u] - max);
                    for (int u = 0; u <= t; u++) for (int i = 0; i < hd; i++) att[t][h * hd + i] += s[u] / sum * v[u][kh * hd + i];
                }
            }
            add(x, lin(att, w, p + "self_attn.o_proj", roundLinear));
            xn = norm(x, w.get(p + "post_attention_layernorm.weight"), c.normEps());
            double[][] g = lin(xn, w, p + "mlp.gate_proj", roundLinear);
            double[][] u = lin(xn, w, p + "mlp.up_proj", roundLinear);
            for (int t = 0; t < T; t++) for (int i = 0; i < g[t].length; i++) g[t][i] = g[t][i] / (1 + Math.exp(-g[t][i])) * u[t][i];
            add(x, lin(g, w, p + "mlp.down_proj", roundLinear));
        }
        double[][] xn = norm(x, w.get("model.norm.weight"), c.normEps());
        String head = w.containsKey("lm_head.weight") ? "lm_head" : "model.embed_tokens";
        return lin(xn, w, head, roundLinear);
    }

    static double[][] norm(double[][] x, float[] g, double eps) {
        double[][] o = new double[x.length][];
        for (int t = 0; t < x.length; t++) {
            double ss = 0;
            for (double v : x[t]) ss += v * v;
            double inv = 1 / Math.sqrt(ss / x[t].length + eps);
            o[t] = new double[x[t].length];
            for (int i = 0; i < x[t].length; i++) o[t][i] = x[t][i] * inv * g[i];
        }
        return o;
    }

    static double[][] lin(double[][] x, Map<String, float[]> w, String module, DoubleUnaryOperator round) {
        float[] W = w.get(module + ".weight");
        float[] b = w.get(module + ".bias");
        int in = x[0].length, out = W.length / in;
        double[][] y = new double[x.length][out];
        for (int t = 0; t < x.length; t++) {
            for (int r = 0; r < out; r++) {
                double s = b == null ? 0 : b[r];
                for (int i = 0; i < in; i++) s += round.applyAsDouble(W[r * in + i]) * x[t][i];
                y[t][r] = s;
            }
        }
        return y;
    }

    static void add(double[][] x, double[][] d) {
        for (int t = 0; t < x.length; t++) for (int i = 0; i < x[t].length; i++) x[t][i] += d[t][i];
    }

    static void rope(LlamaConfig c, double[] v, int heads, int pos) {
        int hd = c.headDim(), half = hd / 2;
        for (int h = 0; h < heads; h++) {
            for (int i = 0; i < half; i++) {
                double f = Math.pow(c.ropeTheta(), -2.0 * i / hd);
                LlamaConfig.RopeScaling s = c.ropeScaling();
                if (s != null) { // Llama 3 scaling, written out again
                    double wl = 2 * Math.PI / f;
                    double lo = s.originalMaxPositions() / (double) s.lowFreqFactor();
                    double hi = s.originalMaxPositions() / (double) s.highFreqFactor();
                    if (wl > lo) f = f / s.factor();
                    else if (wl >= hi) {
                        double sm = (s.originalMaxPositions() / wl - s.lowFreqFactor()) / (s.highFreqFactor() - s.lowFreqFactor());
                        f = (1 - sm) * f / s.factor() + sm * f;
                    }
                }
                double a = pos * f;
                int i0 = c.ropeInterleaved() ? h * hd + 2 * i : h * hd + i;
                int i1 = c.ropeInterleaved() ? i0 + 1 : i0 + half;
                double x0 = v[i0], x1 = v[i1];
                v[i0] = x0 * Math.cos(a) - x1 * Math.sin(a);
                v[i1] = x0 * Math.sin(a) + x1 * Math.cos(a);
            }
        }
    }
}
