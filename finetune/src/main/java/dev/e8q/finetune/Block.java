package dev.e8q.finetune;

import java.util.ArrayList;
import java.util.List;

/**
 * One Llama decoder block with fine-tunable parameters, and its double-precision forward and backward
 * pass (the pure numerical core of the fine-tuning stages):
 * <pre>
 *   h   = x + o(attention(rope(q), rope(k), v)),   [q; k; v] = qkv(rmsnorm(x) ⊙ attnNorm)
 *   out = h + down(silu(gate) ⊙ up),               [up; gate] = upGate(rmsnorm(h) ⊙ ffnNorm)
 * </pre>
 * Attention is causal softmax attention scaled by 1/sqrt(headDim) (within the shape's sliding window, if it has
 * one), with grouped-query attention (KV head g serves query heads g·r … g·r+r−1, r = nHeads/nKvHeads). RoPE
 * positions are 0 … T−1.
 * The q/k/v projection is a list of linears whose outputs, concatenated, are [q; k; v] (three separate
 * linears, one fused [q;k;v] linear, or any split); likewise [up; gate] for the MLP input. A block may add a
 * bias [bq; bk; bv] to those outputs before RoPE (Qwen2); it is a trainable parameter of the NORM group.
 */
public final class Block {
    private final BlockShape shape;
    private final Param attnNorm, ffnNorm;
    private final Param qkvBias; // null when the block has none
    private final List<LinearParam> qkv, upGate;
    private final LinearParam o, down;

    public Block(BlockShape shape, double[] attnNorm, double[] ffnNorm, List<? extends LinearParam> qkv,
                 LinearParam o, List<? extends LinearParam> upGate, LinearParam down) {
        this(shape, attnNorm, ffnNorm, null, qkv, o, upGate, down);
    }

    /** @param qkvBias [bq; bk; bv] (length {@link BlockShape#qkvDim()}), or null for none */
    public Block(BlockShape shape, double[] attnNorm, double[] ffnNorm, double[] qkvBias, List<? extends LinearParam> qkv,
                 LinearParam o, List<? extends LinearParam> upGate, LinearParam down) {
        this(shape, new Param("input_layernorm.weight", attnNorm, Param.Group.NORM),
                new Param("post_attention_layernorm.weight", ffnNorm, Param.Group.NORM),
                qkvBias == null ? null : new Param("self_attn.qkv_bias", qkvBias, Param.Group.NORM), qkv, o, upGate, down);
    }

    private Block(BlockShape shape, Param attnNorm, Param ffnNorm, Param qkvBias, List<? extends LinearParam> qkv,
                  LinearParam o, List<? extends LinearParam> upGate, LinearParam down) {
        this.shape = shape;
        int d = shape.dim();
        if (attnNorm.size() != d || ffnNorm.size() != d) throw new IllegalArgumentException("norm weights must have length " + d);
        if (qkvBias != null && qkvBias.size() != shape.qkvDim()) {
            throw new IllegalArgumentException("q/k/v bias must have length " + shape.qkvDim() + ", got " + qkvBias.size());
        }
        this.attnNorm = attnNorm;
        this.ffnNorm = ffnNorm;
        this.qkvBias = qkvBias;
        this.qkv = List.copyOf(qkv);
        this.upGate = List.copyOf(upGate);
        this.o = o;
        this.down = down;
        check(this.qkv, shape.qkvDim(), d, "q/k/v");
        check(List.of(o), d, shape.qDim(), "o");
        check(this.upGate, 2 * shape.hiddenDim(), d, "up/gate");
        check(List.of(down), d, shape.hiddenDim(), "down");
    }

    private static void check(List<LinearParam> ls, int rows, int cols, String what) {
        int r = 0;
        for (LinearParam l : ls) {
            if (l.cols() != cols) throw new IllegalArgumentException(what + ": linear " + l.name() + " has " + l.cols() + " inputs, want " + cols);
            r += l.rows();
        }
        if (r != rows) throw new IllegalArgumentException(what + ": linears give " + r + " outputs, want " + rows);
    }

    public BlockShape shape() { return shape; }

    public Param attnNorm() { return attnNorm; }

    public Param ffnNorm() { return ffnNorm; }

    /** [bq; bk; bv], or null when the block has no q/k/v bias. */
    public Param qkvBias() { return qkvBias; }

    public List<LinearParam> qkv() { return qkv; }

    public LinearParam o() { return o; }

    public List<LinearParam> upGate() { return upGate; }

    public LinearParam down() { return down; }

    /** All linears in execution order. */
    public List<LinearParam> linears() {
        List<LinearParam> l = new ArrayList<>(qkv);
        l.add(o);
        l.addAll(upGate);
        l.add(down);
        return l;
    }

    /** All parameters (norms first, then the linears' in execution order, then the q/k/v bias if any). */
    public List<Param> params() {
        List<Param> p = new ArrayList<>();
        p.add(attnNorm);
        p.add(ffnNorm);
        for (LinearParam l : linears()) p.addAll(l.params());
        if (qkvBias != null) p.add(qkvBias);
        return p;
    }

    /** A deep copy (parameters are fresh arrays; fixed quantized matrices are shared). */
    public Block copy() {
        Block b = new Block(shape, attnNorm.value().clone(), ffnNorm.value().clone(),
                qkvBias == null ? null : qkvBias.value().clone(), qkv.stream().map(LinearParam::copy).toList(), o.copy(),
                upGate.stream().map(LinearParam::copy).toList(), down.copy());
        b.attnNorm.trainable(attnNorm.trainable());
        b.ffnNorm.trainable(ffnNorm.trainable());
        if (qkvBias != null) b.qkvBias.trainable(qkvBias.trainable());
        return b;
    }

    /** Activations one forward pass keeps for the backward pass. */
    public static final class Cache {
        int T;
        double[] x, xn1, r1, qkvOut, att, h, xn2, r2, ug, act;
        double[] probs; // attention probabilities per head, triangular rows; null when recomputed
        Object[] qkvC, ugC;
        Object oC, downC;
    }

    /** Attention probabilities are kept for the backward pass up to this many doubles per block and sequence. */
    static volatile long maxCachedProbs = 1L << 22; // tests set 0 to exercise recomputation

    static long probDoubles(BlockShape s, int T) {
        return (long) s.nHeads() * T * (T + 1) / 2;
    }

    /** Doubles a {@link Cache} holds for a sequence of T tokens (the input x is not counted). */
    public long cacheDoubles(int T) {
        long n = (long) T * (4L * shape.dim() + 2 + shape.qkvDim() + shape.qDim() + 3L * shape.hiddenDim());
        if (probDoubles(shape, T) <= maxCachedProbs) n += probDoubles(shape, T);
        for (LinearParam l : linears()) n += l.cacheDoubles(T);
        return n;
    }

    /** Forward over one sequence x (T × dim). Fills {@code cache} when it is non-null (then x must stay unchanged). */
    public double[] forward(double[] x, int T, Cache cache) {
        int d = shape.dim(), hd = shape.hiddenDim(), S = shape.qkvDim(), qd = shape.qDim();
        double[] r1 = new double[T], xn1 = new double[T * d];
        rmsNorm(x, T, d, attnNorm.value(), shape.normEps(), xn1, r1);
        double[] qkvOut = new double[T * S];
        Object[] qkvC = new Object[qkv.size()];
        int off = 0;
        for (int i = 0; i < qkv.size(); i++) {
            qkvC[i] = qkv.get(i).forward(xn1, T, qkvOut, S, off);
            off += qkv.get(i).rows();
        }
        if (qkvBias != null) {
            double[] bv = qkvBias.value();
            for (int t = 0; t < T; t++) for (int i = 0; i < S; i++) qkvOut[t * S + i] += bv[i];
        }
        double[][] cs = ropeTable(T);
        rope(qkvOut, T, cs, false);
        double[] att = new double[T * qd];
        double[] probs = cache != null && probDoubles(shape, T) <= maxCachedProbs ? new double[(int) probDoubles(shape, T)] : null;
        attention(qkvOut, T, att, probs);
        double[] h = new double[T * d];
        Object oC = o.forward(att, T, h, d, 0);
        for (int i = 0; i < h.length; i++) h[i] += x[i];
        double[] r2 = new double[T], xn2 = new double[T * d];
        rmsNorm(h, T, d, ffnNorm.value(), shape.normEps(), xn2, r2);
        double[] ug = new double[T * 2 * hd];
        Object[] ugC = new Object[upGate.size()];
        off = 0;
        for (int i = 0; i < upGate.size(); i++) {
            ugC[i] = upGate.get(i).forward(xn2, T, ug, 2 * hd, off);
            off += upGate.get(i).rows();
        }
        double[] act = new double[T * hd];
        for (int t = 0; t < T; t++) {
            int u = t * 2 * hd, g = u + hd;
            for (int j = 0; j < hd; j++) act[t * hd + j] = silu(ug[g + j]) * ug[u + j];
        }
        double[] out = new double[T * d];
        Object downC = down.forward(act, T, out, d, 0);
        for (int i = 0; i < out.length; i++) out[i] += h[i];
        if (cache != null) {
            cache.T = T;
            cache.x = x;
            cache.xn1 = xn1;
            cache.r1 = r1;
            cache.qkvOut = qkvOut;
            cache.qkvC = qkvC;
            cache.att = att;
            cache.probs = probs;
            cache.oC = oC;
            cache.h = h;
            cache.xn2 = xn2;
            cache.r2 = r2;
            cache.ug = ug;
            cache.ugC = ugC;
            cache.act = act;
            cache.downC = downC;
        }
        return out;
    }

    /**
     * Backward through the block whose forward filled {@code c}: accumulates parameter gradients into
     * {@code grads} (indexed by {@link Param} index in the active {@link ParamSet}) and returns dL/dx
     * (or null when {@code needDx} is false).
     */
    public double[] backward(Cache c, double[] dOut, double[][] grads, boolean needDx) {
        int T = c.T, d = shape.dim(), hd = shape.hiddenDim(), S = shape.qkvDim(), qd = shape.qDim();
        double[] dh = dOut.clone();
        // MLP
        double[] dact = new double[T * hd];
        down.backward(c.act, T, dOut, d, 0, c.downC, dact, grads);
        double[] dug = new double[T * 2 * hd];
        for (int t = 0; t < T; t++) {
            int u = t * 2 * hd, g = u + hd, a = t * hd;
            for (int j = 0; j < hd; j++) {
                double gv = c.ug[g + j], uv = c.ug[u + j], da = dact[a + j];
                double sig = 1 / (1 + Math.exp(-gv));
                dug[u + j] = da * gv * sig;
                dug[g + j] = da * uv * sig * (1 + gv * (1 - sig));
            }
        }
        double[] dxn2 = new double[T * d];
        int off = 0;
        for (int i = 0; i < upGate.size(); i++) {
            upGate.get(i).backward(c.xn2, T, dug, 2 * hd, off, c.ugC[i], dxn2, grads);
            off += upGate.get(i).rows();
        }
        rmsNormBackward(c.h, T, d, ffnNorm, c.r2, dxn2, dh, grads);
        // attention
        double[] datt = new double[T * qd];
        o.backward(c.att, T, dh, d, 0, c.oC, datt, grads);
        double[] dqkv = new double[T * S];
        attentionBackward(c.qkvOut, T, datt, dqkv, c.probs);
        rope(dqkv, T, ropeTable(T), true);
        if (qkvBias != null && qkvBias.trainable()) {
            double[] gb = grads[qkvBias.index];
            for (int t = 0; t < T; t++) for (int i = 0; i < S; i++) gb[i] += dqkv[t * S + i];
        }
        double[] dxn1 = new double[T * d];
        off = 0;
        boolean needXn1 = needDx || attnNorm.trainable();
        for (int i = 0; i < qkv.size(); i++) {
            qkv.get(i).backward(c.xn1, T, dqkv, S, off, c.qkvC[i], needXn1 ? dxn1 : null, grads);
            off += qkv.get(i).rows();
        }
        if (!needDx) {
            if (attnNorm.trainable()) rmsNormBackward(c.x, T, d, attnNorm, c.r1, dxn1, null, grads);
            return null;
        }
        rmsNormBackward(c.x, T, d, attnNorm, c.r1, dxn1, dh, grads);
        return dh; // dx = dh (residual) + norm path
    }

    static double silu(double g) {
        return g / (1 + Math.exp(-g));
    }

    static void rmsNorm(double[] x, int T, int d, double[] w, double eps, double[] out, double[] r) {
        for (int t = 0; t < T; t++) {
            int o = t * d;
            double ss = LinearParam.dot(x, o, x, o, d);
            double ri = 1 / Math.sqrt(ss / d + eps);
            r[t] = ri;
            for (int i = 0; i < d; i++) out[o + i] = x[o + i] * ri * w[i];
        }
    }

    /** dx += backward of rmsNorm; dw accumulated when the weight is trainable. dx may be null. */
    static void rmsNormBackward(double[] x, int T, int d, Param w, double[] r, double[] dy, double[] dx, double[][] grads) {
        double[] wv = w.value();
        double[] gw = w.trainable() ? grads[w.index] : null;
        for (int t = 0; t < T; t++) {
            int o = t * d;
            double ri = r[t];
            if (gw != null) for (int i = 0; i < d; i++) gw[i] += dy[o + i] * x[o + i] * ri;
            if (dx == null) continue;
            double s = 0;
            for (int i = 0; i < d; i++) s += dy[o + i] * wv[i] * x[o + i];
            double k = ri * ri * ri * s / d;
            for (int i = 0; i < d; i++) dx[o + i] += ri * wv[i] * dy[o + i] - k * x[o + i];
        }
    }

    double[][] ropeTable(int T) {
        int half = shape.headDim() / 2;
        double[] cos = new double[T * half], sin = new double[T * half];
        double[] f = shape.invFreq();
        for (int t = 0; t < T; t++) {
            for (int i = 0; i < half; i++) {
                double a = t * f[i];
                cos[t * half + i] = Math.cos(a);
                sin[t * half + i] = Math.sin(a);
            }
        }
        return new double[][] {cos, sin};
    }

    /** Rotates the q and k parts of the fused [q;k;v] rows in place; {@code inverse} applies the transpose. */
    void rope(double[] qkvOut, int T, double[][] cs, boolean inverse) {
        int hdim = shape.headDim(), half = hdim / 2, S = shape.qkvDim();
        int heads = shape.nHeads() + shape.nKvHeads(); // q heads then k heads are contiguous
        boolean inter = shape.ropeInterleaved();
        double sign = inverse ? -1 : 1;
        for (int t = 0; t < T; t++) {
            for (int h = 0; h < heads; h++) {
                int base = t * S + h * hdim;
                for (int i = 0; i < half; i++) {
                    double c = cs[0][t * half + i], s = sign * cs[1][t * half + i];
                    int ia = inter ? base + 2 * i : base + i;
                    int ib = inter ? ia + 1 : ia + half;
                    double a = qkvOut[ia], b = qkvOut[ib];
                    qkvOut[ia] = a * c - b * s;
                    qkvOut[ib] = a * s + b * c;
                }
            }
        }
    }

    /** Keys or values of one KV head transposed: out[d*T + j] = qkvOut[j*S + off + d]. */
    private static double[] transposed(double[] qkvOut, int T, int S, int off, int hdim) {
        double[] out = new double[hdim * T];
        for (int j = 0; j < T; j++) for (int d = 0; d < hdim; d++) out[d * T + j] = qkvOut[j * S + off + d];
        return out;
    }

    /**
     * Causal attention, per KV head with transposed keys and values so that every inner loop runs over
     * key positions (long contiguous vectors even for small head dimensions).
     */
    void attention(double[] qkvOut, int T, double[] att, double[] probs) {
        long tri = (long) T * (T + 1) / 2;
        int hdim = shape.headDim(), S = shape.qkvDim(), qd = shape.qDim(), kvd = shape.kvDim();
        int group = shape.nHeads() / shape.nKvHeads();
        double scale = 1 / Math.sqrt(hdim);
        double[] p = new double[T];
        for (int kh = 0; kh < shape.nKvHeads(); kh++) {
            double[] kt = transposed(qkvOut, T, S, qd + kh * hdim, hdim);
            double[] vt = transposed(qkvOut, T, S, qd + kvd + kh * hdim, hdim);
            for (int h = kh * group; h < (kh + 1) * group; h++) {
                for (int t = 0; t < T; t++) {
                    probabilities(qkvOut, t * S + h * hdim, kt, T, t, shape.firstAttended(t + 1), hdim, scale, p);
                    if (probs != null) System.arraycopy(p, 0, probs, (int) (h * tri + (long) t * (t + 1) / 2), t + 1);
                    int ao = t * qd + h * hdim;
                    for (int d = 0; d < hdim; d++) att[ao + d] = LinearParam.dot(p, 0, vt, d * T, t + 1);
                }
            }
        }
    }

    /**
     * p[0..t] = softmax_j(scale · q·k_j) over first ≤ j ≤ t, and p_j = 0 for j &lt; first (outside a sliding window). The
     * zeros keep every later loop over 0..t exact: they add nothing to the output and receive no gradient.
     */
    private static void probabilities(double[] qkvOut, int qo, double[] kt, int T, int t, int first, int hdim, double scale,
                                      double[] p) {
        int n = t + 1;
        java.util.Arrays.fill(p, 0, n, 0);
        for (int d = 0; d < hdim; d++) LinearParam.axpy(qkvOut[qo + d] * scale, kt, d * T, p, 0, n);
        double max = Double.NEGATIVE_INFINITY;
        for (int j = first; j < n; j++) if (p[j] > max) max = p[j];
        double sum = 0;
        for (int j = first; j < n; j++) {
            double e = Math.exp(p[j] - max);
            p[j] = e;
            sum += e;
        }
        double inv = 1 / sum;
        java.util.Arrays.fill(p, 0, first, 0);
        for (int j = first; j < n; j++) p[j] *= inv;
    }

    /** dqkv (post-RoPE q, k and v gradients) from datt; recomputes the attention probabilities. */
    void attentionBackward(double[] qkvOut, int T, double[] datt, double[] dqkv, double[] probs) {
        long tri = (long) T * (T + 1) / 2;
        int hdim = shape.headDim(), S = shape.qkvDim(), qd = shape.qDim(), kvd = shape.kvDim();
        int group = shape.nHeads() / shape.nKvHeads();
        double scale = 1 / Math.sqrt(hdim);
        double[] p = new double[T], dp = new double[T];
        for (int kh = 0; kh < shape.nKvHeads(); kh++) {
            int ko = qd + kh * hdim, vo = qd + kvd + kh * hdim;
            double[] kt = transposed(qkvOut, T, S, ko, hdim);
            double[] vt = transposed(qkvOut, T, S, vo, hdim);
            double[] dkt = new double[hdim * T], dvt = new double[hdim * T];
            for (int h = kh * group; h < (kh + 1) * group; h++) {
                for (int t = 0; t < T; t++) {
                    int qo = t * S + h * hdim, ao = t * qd + h * hdim, n = t + 1;
                    if (probs != null) System.arraycopy(probs, (int) (h * tri + (long) t * (t + 1) / 2), p, 0, n);
                    else probabilities(qkvOut, qo, kt, T, t, shape.firstAttended(t + 1), hdim, scale, p);
                    java.util.Arrays.fill(dp, 0, n, 0);
                    for (int d = 0; d < hdim; d++) {
                        double g = datt[ao + d];
                        LinearParam.axpy(g, vt, d * T, dp, 0, n);    // dp_j = datt·v_j
                        LinearParam.axpy(g, p, 0, dvt, d * T, n);    // dv_j += p_j datt
                    }
                    double sum = LinearParam.dot(p, 0, dp, 0, n);
                    for (int j = 0; j < n; j++) dp[j] = p[j] * (dp[j] - sum) * scale; // ds_j
                    for (int d = 0; d < hdim; d++) {
                        dqkv[qo + d] += LinearParam.dot(dp, 0, kt, d * T, n);       // dq += Σ ds_j k_j
                        LinearParam.axpy(qkvOut[qo + d], dp, 0, dkt, d * T, n);      // dk_j += ds_j q
                    }
                }
            }
            for (int j = 0; j < T; j++) {
                for (int d = 0; d < hdim; d++) {
                    dqkv[j * S + ko + d] += dkt[d * T + j];
                    dqkv[j * S + vo + d] += dvt[d * T + j];
                }
            }
        }
    }
}
