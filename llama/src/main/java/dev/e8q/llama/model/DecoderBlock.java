package dev.e8q.llama.model;

import dev.e8q.codec.Parallel;
import dev.e8q.llama.Linear;
import dev.e8q.llama.LlamaConfig;
import dev.e8q.simd.Lanes;
import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * One pre-norm decoder block: x += o(attention(rope(q xn), rope(k xn), v xn)) with xn = rmsnorm(x), then
 * x += down(silu(gate xn') ⊙ up xn') with xn' = rmsnorm(x). The seven linears are replaceable
 * ({@link #setLinear}); q/k/v biases (Qwen2) live here, not in the linears, so replacing a linear keeps them.
 */
public final class DecoderBlock {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();
    /** Shorts and ints with F's lane count, for widening FP16 cache entries. */
    private static final VectorSpecies<Short> S16 = VectorSpecies.of(short.class, VectorShape.forBitSize(16 * L));
    private static final VectorSpecies<Integer> I16 = VectorSpecies.of(int.class, F.vectorShape());
    private final int layer;
    private final LlamaConfig c;
    private final Rope rope;
    private final float[] attnNorm, ffnNorm;
    private final float[] qBias, kBias, vBias;
    private final EnumMap<LinearKind, Linear> linears;

    /**
     * @param linears all seven kinds
     * @param qBias   nullable, as kBias and vBias
     */
    public DecoderBlock(int layer, LlamaConfig c, Rope rope, float[] attnNorm, float[] ffnNorm,
            Map<LinearKind, Linear> linears, float[] qBias, float[] kBias, float[] vBias) {
        this.layer = layer;
        this.c = Objects.requireNonNull(c, "config");
        this.rope = Objects.requireNonNull(rope, "rope");
        this.attnNorm = checkLen("attention norm", attnNorm, c.dim());
        this.ffnNorm = checkLen("ffn norm", ffnNorm, c.dim());
        this.qBias = qBias == null ? null : checkLen("q bias", qBias, c.qDim());
        this.kBias = kBias == null ? null : checkLen("k bias", kBias, c.kvDim());
        this.vBias = vBias == null ? null : checkLen("v bias", vBias, c.kvDim());
        this.linears = new EnumMap<>(LinearKind.class);
        for (LinearKind k : LinearKind.values()) {
            Linear l = linears.get(k);
            if (l == null) throw new IllegalArgumentException("layer " + layer + ": missing linear " + k);
            setLinear(k, l);
        }
    }

    private float[] checkLen(String what, float[] a, int n) {
        Objects.requireNonNull(a, what);
        if (a.length != n) throw new IllegalArgumentException("layer " + layer + ": " + what + " has length " + a.length + ", want " + n);
        return a;
    }

    public int layer() {
        return layer;
    }

    public LlamaConfig config() {
        return c;
    }

    public Rope rope() {
        return rope;
    }

    /** Expected (out, in) of a linear of this block. */
    public int[] shape(LinearKind k) {
        return switch (k) {
            case Q -> new int[] {c.qDim(), c.dim()};
            case K, V -> new int[] {c.kvDim(), c.dim()};
            case O -> new int[] {c.dim(), c.qDim()};
            case GATE, UP -> new int[] {c.hiddenDim(), c.dim()};
            case DOWN -> new int[] {c.dim(), c.hiddenDim()};
        };
    }

    public Linear linear(LinearKind k) {
        return linears.get(k);
    }

    /** Swaps in another implementation (e.g. a quantized linear) of the same shape. */
    public void setLinear(LinearKind k, Linear l) {
        Objects.requireNonNull(l, "linear");
        int[] s = shape(k);
        if (l.outFeatures() != s[0] || l.inFeatures() != s[1]) {
            throw new IllegalArgumentException("layer " + layer + " " + k + ": linear is " + l.outFeatures() + "x"
                    + l.inFeatures() + ", want " + s[0] + "x" + s[1]);
        }
        linears.put(k, l);
    }

    /** RMSNorm weight before attention (live array: changes take effect). */
    public float[] attnNorm() {
        return attnNorm;
    }

    /** RMSNorm weight before the MLP (live array). */
    public float[] ffnNorm() {
        return ffnNorm;
    }

    /** Bias of q, k or v, or null (live array). */
    public float[] bias(LinearKind k) {
        return switch (k) {
            case Q -> qBias;
            case K -> kBias;
            case V -> vBias;
            default -> null;
        };
    }

    public long weightBytes() {
        long b = 8L * c.dim();
        for (Linear l : linears.values()) b += l.weightBytes();
        for (float[] a : new float[][] {qBias, kBias, vBias}) if (a != null) b += 4L * a.length;
        return b;
    }

    // ---------------------------------------------------------------- token at a time

    /** One token at position pos; x (length dim) is updated in place; keys/values go into the state's cache. */
    void forwardToken(float[] x, int pos, ModelState s) {
        int dim = c.dim(), hd = c.headDim(), nh = c.nHeads();
        Ops.rmsnorm(s.xb, 0, x, 0, attnNorm, dim, c.normEps());
        linears.get(LinearKind.Q).forward(s.xb, 0, s.q, 0);
        linears.get(LinearKind.K).forward(s.xb, 0, s.k, 0);
        linears.get(LinearKind.V).forward(s.xb, 0, s.v, 0);
        addBias(s.q, 0, qBias);
        addBias(s.k, 0, kBias);
        addBias(s.v, 0, vBias);
        rope.apply(s.q, 0, nh, s.cos, s.sin, 0);
        rope.apply(s.k, 0, c.nKvHeads(), s.cos, s.sin, 0);
        KvCache cache = s.cache;
        cache.put(layer, pos, 1, s.k, 0, s.v, 0);

        int group = nh / c.nKvHeads();
        float scale = (float) (1.0 / Math.sqrt(hd));
        int cap = cache.capacity();
        int n = pos + 1;
        boolean f16 = cache.precision() == KvCache.Precision.F16;
        float[] kc = f16 ? null : cache.keys(layer), vc = f16 ? null : cache.values(layer);
        short[] kc16 = f16 ? cache.keys16(layer) : null, vc16 = f16 ? cache.values16(layer) : null;
        int first = c.firstAttended(n), seen = n - first;
        Parallel.forRange(nh, Math.max(1, (1 << 14) / (seen * hd)), (h0, h1) -> {
            for (int h = h0; h < h1; h++) {
                int kvOff = cache.offset(h / group, first);
                if (f16) attendOneF16(s.q, h * hd, kc16, vc16, kvOff, seen, s.scores, h * cap, s.att, h * hd, scale);
                else attendOne(s.q, h * hd, kc, vc, kvOff, hd, seen, s.scores, h * cap, s.att, h * hd, scale);
            }
        });
        linears.get(LinearKind.O).forward(s.att, 0, s.xb, 0);
        Ops.addInPlace(x, s.xb, dim);

        Ops.rmsnorm(s.xb, 0, x, 0, ffnNorm, dim, c.normEps());
        linears.get(LinearKind.GATE).forward(s.xb, 0, s.hb, 0);
        linears.get(LinearKind.UP).forward(s.xb, 0, s.hb2, 0);
        Ops.swiglu(s.hb, s.hb2, c.hiddenDim());
        linears.get(LinearKind.DOWN).forward(s.hb, 0, s.xb, 0);
        Ops.addInPlace(x, s.xb, dim);
    }

    /**
     * Softmax attention of one query head (q[qOff..+hd)) over positions [0, n) of keys/values whose position t
     * starts at kvOff + t·stride (stride hd in the head-major {@link KvCache}, kvDim in a [pos][kvDim] batch);
     * writes out[oOff..+hd). sc is scratch of length ≥ n.
     */
    private void attendOne(float[] q, int qOff, float[] keys, float[] values, int kvOff, int stride, int n, float[] sc,
            int scOff, float[] out, int oOff, float scale) {
        int hd = c.headDim();
        if (hd > L) {
            for (int t = 0; t < n; t++) sc[scOff + t] = DenseLinear.dotF32(q, qOff, keys, kvOff + t * stride, hd) * scale;
        } else { // the whole head in one (masked) vector
            VectorMask<Float> m = VectorMask.fromLong(F, firstLanes(hd));
            FloatVector qv = FloatVector.fromArray(F, q, qOff, m).mul(scale);
            for (int t = 0; t < n; t++) {
                sc[scOff + t] = Lanes.pairwise(qv.mul(FloatVector.fromArray(F, keys, kvOff + t * stride, m)));
            }
        }
        Ops.softmax(sc, scOff, n);
        for (int i = 0; i < hd; i += L) { // one register accumulator per L-wide slice of the head
            VectorMask<Float> m = VectorMask.fromLong(F, firstLanes(hd - i));
            FloatVector acc = FloatVector.zero(F);
            for (int t = 0; t < n; t++) {
                acc = FloatVector.fromArray(F, values, kvOff + t * stride + i, m).fma(FloatVector.broadcast(F, sc[scOff + t]), acc);
            }
            acc.intoArray(out, oOff + i, m);
        }
    }

    /**
     * The mask bits of the first n lanes (all lanes from 64 on). {@code VectorMask.fromLong} builds the mask from the
     * species alone, where {@code indexInRange} goes through calls on the {@code Vector} interface whose targets C2
     * knows only from a type profile. Compiled before that profile existed, attendOne made those calls virtually and
     * boxed its masks, in some of the processes that generated slowly (docs/runtime.md, "A slow mode of generation";
     * the main cause there was the kernels' accumulators).
     */
    static long firstLanes(int n) {
        return n >= 64 ? -1L : (1L << n) - 1;
    }

    /**
     * {@link #attendOne} over an FP16 cache (head-major, stride hd), widening keys and values in registers as they
     * are read; the widening is {@link DenseLinear#dotF16}'s, written out again for the values because a helper
     * returning a vector is boxed wherever C2 declines to inline it.
     */
    private void attendOneF16(float[] q, int qOff, short[] keys, short[] values, int kvOff, int n, float[] sc, int scOff,
            float[] out, int oOff, float scale) {
        int hd = c.headDim();
        for (int t = 0; t < n; t++) sc[scOff + t] = DenseLinear.dotF16(keys, kvOff + t * hd, q, qOff, hd) * scale;
        Ops.softmax(sc, scOff, n);
        int i = 0;
        for (; i + L <= hd; i += L) { // one register accumulator per L-wide slice of the head
            FloatVector acc = FloatVector.zero(F);
            for (int t = 0; t < n; t++) {
                IntVector h = (IntVector) ShortVector.fromArray(S16, values, kvOff + t * hd + i)
                        .convertShape(VectorOperators.S2I, I16, 0);
                acc = h.lanewise(VectorOperators.LSHL, 13).and(0x8FFFE000).reinterpretAsFloats().mul(0x1p112f)
                        .fma(FloatVector.broadcast(F, sc[scOff + t]), acc);
            }
            acc.intoArray(out, oOff + i);
        }
        for (; i < hd; i++) {
            float a = 0;
            for (int t = 0; t < n; t++) a += DType.fromF16(values[kvOff + t * hd + i]) * sc[scOff + t];
            out[oOff + i] = a;
        }
    }

    private static void addBias(float[] y, int off, float[] b) {
        if (b == null) return;
        for (int i = 0; i < b.length; i++) y[off + i] += b[i];
    }

    // ---------------------------------------------------------------- whole sequence

    /**
     * Runs T positions 0..T-1 (causal, no cache) through the block with the batched linears. x is the T × dim
     * residual stream, updated in place. The observer (nullable) sees each linear group's input batch.
     */
    public void forwardSequence(float[] x, int T, LinearInputObserver obs) {
        forwardSequence(x, T, 0, null, obs);
    }

    /**
     * Runs positions pos0..pos0+T-1. With a cache, the new keys/values are stored there and the queries also
     * attend to the cached positions [0, pos0); without one, pos0 must be 0.
     */
    public void forwardSequence(float[] x, int T, int pos0, KvCache cache, LinearInputObserver obs) {
        int dim = c.dim(), qDim = c.qDim(), kvDim = c.kvDim(), hidden = c.hiddenDim(), hd = c.headDim();
        if ((long) T * dim > x.length) throw new IllegalArgumentException("x holds " + x.length + " < T*dim = " + T + "*" + dim);
        if (cache == null && pos0 != 0) throw new IllegalArgumentException("pos0 " + pos0 + " without a KV cache");
        if (cache != null) cache.checkPosition(pos0, T);
        if (T == 0) return;

        float[] xn = new float[T * dim];
        Ops.rmsnormRows(xn, x, attnNorm, T, dim, c.normEps());
        if (obs != null) obs.observe(layer, LinearGroup.QKV, xn, T, dim);
        float[] q = new float[T * qDim], k = new float[T * kvDim], v = new float[T * kvDim];
        linears.get(LinearKind.Q).forwardBatch(xn, q, T);
        linears.get(LinearKind.K).forwardBatch(xn, k, T);
        linears.get(LinearKind.V).forwardBatch(xn, v, T);
        int half = hd / 2;
        float[] cos = new float[T * half], sin = new float[T * half];
        for (int t = 0; t < T; t++) rope.table(pos0 + t, cos, sin, t * half);
        for (int t = 0; t < T; t++) {
            addBias(q, t * qDim, qBias);
            addBias(k, t * kvDim, kBias);
            addBias(v, t * kvDim, vBias);
            rope.apply(q, t * qDim, c.nHeads(), cos, sin, t * half);
            rope.apply(k, t * kvDim, c.nKvHeads(), cos, sin, t * half);
        }
        // with a cache, attention reads it (head-major, all positions up to each query's); without one, the batch
        if (cache != null) cache.put(layer, pos0, T, k, 0, v, 0);
        boolean f16 = cache != null && cache.precision() == KvCache.Precision.F16;
        float[] keys = cache == null ? k : f16 ? null : cache.keys(layer), values = cache == null ? v : f16 ? null : cache.values(layer);
        short[] keys16 = f16 ? cache.keys16(layer) : null, values16 = f16 ? cache.values16(layer) : null;
        int stride = cache == null ? kvDim : hd;

        float[] att = new float[T * qDim];
        int nh = c.nHeads(), group = nh / c.nKvHeads();
        float scale = (float) (1.0 / Math.sqrt(hd));
        int basePos = cache == null ? 0 : pos0;
        int window = c.slidingWindow() > 0 ? c.slidingWindow() : Integer.MAX_VALUE;
        long avgWork = (long) Math.min(basePos + T / 2 + 1, window) * hd * 2;
        Parallel.forRange(T * nh, (int) Math.max(1, (1 << 15) / avgWork), (i0, i1) -> {
            float[] sc = new float[basePos + T];
            for (int i = i0; i < i1; i++) {
                int t = i / nh, h = i % nh, kvh = h / group;
                int n = basePos + t + 1, first = c.firstAttended(n);
                int kvOff = cache == null ? first * kvDim + kvh * hd : cache.offset(kvh, first);
                if (f16) attendOneF16(q, t * qDim + h * hd, keys16, values16, kvOff, n - first, sc, 0, att, t * qDim + h * hd,
                        scale);
                else attendOne(q, t * qDim + h * hd, keys, values, kvOff, stride, n - first, sc, 0, att,
                        t * qDim + h * hd, scale);
            }
        });
        if (obs != null) obs.observe(layer, LinearGroup.O, att, T, qDim);
        linears.get(LinearKind.O).forwardBatch(att, xn, T);
        Ops.addInPlace(x, xn, T * dim);

        Ops.rmsnormRows(xn, x, ffnNorm, T, dim, c.normEps());
        if (obs != null) obs.observe(layer, LinearGroup.UPGATE, xn, T, dim);
        float[] g = new float[T * hidden], u = new float[T * hidden];
        linears.get(LinearKind.GATE).forwardBatch(xn, g, T);
        linears.get(LinearKind.UP).forwardBatch(xn, u, T);
        Ops.swiglu(g, u, T * hidden);
        if (obs != null) obs.observe(layer, LinearGroup.DOWN, g, T, hidden);
        linears.get(LinearKind.DOWN).forwardBatch(g, xn, T);
        Ops.addInPlace(x, xn, T * dim);
    }
}
