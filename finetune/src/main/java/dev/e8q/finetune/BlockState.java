package dev.e8q.finetune;

import dev.e8q.codec.E8Matrix;
import dev.e8q.llama.LlamaConfig;
import dev.e8q.llama.model.DecoderBlock;
import dev.e8q.llama.model.LinearKind;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The continuous state of one decoder block in the forms the converter holds: dense weights as
 * {@code float[]} (out × in, row-major), quantized parts as {@link E8Matrix} (+ optional fixed fuse
 * scales), RMSNorm weights as {@code float[]}. Immutable; {@code with…} methods return new states.
 *
 * <p>Each of the seven linears is covered by exactly one {@link Part}: either dense (Q, K, V, O, UP, GATE,
 * DOWN) or quantized, alone or fused (QKV = rows [q; k; v], UPGATE = rows [up; gate], SPEC §7).
 * {@link #toBlock()} builds the fine-tuning {@link Block}; {@link #withTuned(Block)} reads a tuned block
 * back (dense weights, norms, and SU/SV through {@link E8Matrix#withSignVectors}).
 */
public final class BlockState {

    /** What a quantized linear (or fused group) is made of. */
    public enum Part {
        Q(LinearKind.Q), K(LinearKind.K), V(LinearKind.V), QKV(LinearKind.Q, LinearKind.K, LinearKind.V),
        O(LinearKind.O), UP(LinearKind.UP), GATE(LinearKind.GATE), UPGATE(LinearKind.UP, LinearKind.GATE),
        DOWN(LinearKind.DOWN);

        private final List<LinearKind> kinds;

        Part(LinearKind... kinds) {
            this.kinds = List.of(kinds);
        }

        /** The linears this part covers, in row order. */
        public List<LinearKind> kinds() { return kinds; }

        public static Part of(LinearKind k) {
            return valueOf(k.name());
        }
    }

    /**
     * A quantized part: the matrix (its SU/SV are what tuning changes) and fixed per-piece output scales
     * (SPEC §7 fuse_scales: one per kind of the part, e.g. RMS of q, k, v), or null for none.
     */
    public record Quantized(E8Matrix matrix, float[] fuseScales) {
        public Quantized {
            Objects.requireNonNull(matrix, "matrix");
        }
    }

    private final LlamaConfig config;
    private final int layer;
    private final float[] attnNorm, ffnNorm;
    private final EnumMap<LinearKind, float[]> dense;
    private final EnumMap<Part, Quantized> quantized;

    private BlockState(LlamaConfig config, int layer, float[] attnNorm, float[] ffnNorm,
                       EnumMap<LinearKind, float[]> dense, EnumMap<Part, Quantized> quantized) {
        this.config = config;
        this.layer = layer;
        this.attnNorm = attnNorm;
        this.ffnNorm = ffnNorm;
        this.dense = dense;
        this.quantized = quantized;
    }

    /** An all-dense block. {@code weights} must hold all seven kinds. Arrays are not copied. */
    public static BlockState dense(LlamaConfig c, int layer, float[] attnNorm, float[] ffnNorm, Map<LinearKind, float[]> weights) {
        if (c.attentionBias()) {
            throw new UnsupportedOperationException("layer " + layer + ": BlockState has no q/k/v biases (" + c.architecture()
                    + "); build a Block with them instead (FromLlama.denseBlock)");
        }
        check(attnNorm, c.dim(), "input_layernorm");
        check(ffnNorm, c.dim(), "post_attention_layernorm");
        EnumMap<LinearKind, float[]> d = new EnumMap<>(LinearKind.class);
        for (LinearKind k : LinearKind.values()) {
            float[] w = weights.get(k);
            if (w == null) throw new IllegalArgumentException("layer " + layer + ": no weight for " + k);
            int[] s = shape(c, k);
            check(w, s[0] * s[1], k.weightName(layer));
            d.put(k, w);
        }
        return new BlockState(c, layer, attnNorm, ffnNorm, d, new EnumMap<>(Part.class));
    }

    /** The dense state of a DecoderBlock whose seven linears are all dense (weights shared, not copied). */
    public static BlockState of(DecoderBlock b) {
        EnumMap<LinearKind, float[]> w = new EnumMap<>(LinearKind.class);
        for (LinearKind k : LinearKind.values()) w.put(k, FromLlama.weights(b.linear(k), k.weightName(b.layer())));
        return dense(b.config(), b.layer(), b.attnNorm(), b.ffnNorm(), w);
    }

    static int[] shape(LlamaConfig c, LinearKind k) {
        return switch (k) {
            case Q -> new int[] {c.qDim(), c.dim()};
            case K, V -> new int[] {c.kvDim(), c.dim()};
            case O -> new int[] {c.dim(), c.qDim()};
            case GATE, UP -> new int[] {c.hiddenDim(), c.dim()};
            case DOWN -> new int[] {c.dim(), c.hiddenDim()};
        };
    }

    private static void check(float[] a, int n, String what) {
        if (a == null || a.length != n) {
            throw new IllegalArgumentException(what + ": length " + (a == null ? "null" : a.length) + ", want " + n);
        }
    }

    public LlamaConfig config() { return config; }

    public int layer() { return layer; }

    public float[] attnNorm() { return attnNorm; }

    public float[] ffnNorm() { return ffnNorm; }

    /** The dense weight of k, or null when k is part of a quantized part. */
    public float[] dense(LinearKind k) { return dense.get(k); }

    /** The quantized part, or null. */
    public Quantized quantized(Part p) { return quantized.get(p); }

    /** True when k is covered by a quantized part. */
    public boolean isQuantized(LinearKind k) { return !dense.containsKey(k); }

    /** Replaces the dense linears of {@code part} by a quantized matrix (rows = the kinds' rows stacked). */
    public BlockState withQuantized(Part part, E8Matrix m, float[] fuseScales) {
        int rows = 0;
        for (LinearKind k : part.kinds()) {
            if (!dense.containsKey(k)) throw new IllegalStateException("layer " + layer + ": " + k + " is already quantized");
            rows += shape(config, k)[0];
        }
        int cols = shape(config, part.kinds().get(0))[1];
        if (m.rows() != rows || m.cols() != cols) {
            throw new IllegalArgumentException("layer " + layer + " " + part + ": matrix is " + m.rows() + "×" + m.cols() + ", want " + rows + "×" + cols);
        }
        if (fuseScales != null && fuseScales.length != part.kinds().size()) {
            throw new IllegalArgumentException(part + ": " + fuseScales.length + " fuse scales for " + part.kinds().size() + " pieces");
        }
        EnumMap<LinearKind, float[]> d = new EnumMap<>(dense);
        for (LinearKind k : part.kinds()) d.remove(k);
        EnumMap<Part, Quantized> q = new EnumMap<>(quantized);
        q.put(part, new Quantized(m, fuseScales == null ? null : fuseScales.clone()));
        return new BlockState(config, layer, attnNorm, ffnNorm, d, q);
    }

    /** Replaces one dense weight. */
    public BlockState withDense(LinearKind k, float[] w) {
        if (!dense.containsKey(k)) throw new IllegalStateException("layer " + layer + ": " + k + " is quantized");
        int[] s = shape(config, k);
        check(w, s[0] * s[1], k.weightName(layer));
        EnumMap<LinearKind, float[]> d = new EnumMap<>(dense);
        d.put(k, w);
        return new BlockState(config, layer, attnNorm, ffnNorm, d, quantized);
    }

    public BlockState withNorms(float[] attn, float[] ffn) {
        check(attn, config.dim(), "input_layernorm");
        check(ffn, config.dim(), "post_attention_layernorm");
        return new BlockState(config, layer, attn, ffn, dense, quantized);
    }

    /** The parts in the order {@link #toBlock()} lays out the block's linears. */
    List<Part> layout() {
        List<Part> l = new ArrayList<>();
        if (quantized.containsKey(Part.QKV)) l.add(Part.QKV);
        else for (Part p : new Part[] {Part.Q, Part.K, Part.V}) l.add(p);
        l.add(Part.O);
        if (quantized.containsKey(Part.UPGATE)) l.add(Part.UPGATE);
        else for (Part p : new Part[] {Part.UP, Part.GATE}) l.add(p);
        l.add(Part.DOWN);
        return l;
    }

    private LinearParam linear(Part p) {
        String name = "model.layers." + layer + "." + (p == Part.QKV ? "self_attn.qkv_proj" : p == Part.UPGATE ? "mlp.upgate_proj" : p.kinds().get(0).module());
        Quantized q = quantized.get(p);
        if (q == null) {
            LinearKind k = p.kinds().get(0);
            int[] s = shape(config, k);
            return DenseLinear.of(name, s[0], s[1], dense.get(k));
        }
        int[] rows = new int[p.kinds().size()];
        for (int i = 0; i < rows.length; i++) rows[i] = shape(config, p.kinds().get(i))[0];
        return QuantLinear.of(name, q.matrix(), q.fuseScales(), q.fuseScales() == null ? null : rows);
    }

    /** The fine-tuning block (fresh double copies of every parameter). */
    public Block toBlock() {
        List<Part> lay = layout();
        List<LinearParam> qkv = new ArrayList<>(), ug = new ArrayList<>();
        LinearParam o = null, down = null;
        for (Part p : lay) {
            LinearParam l = linear(p);
            switch (p) {
                case Q, K, V, QKV -> qkv.add(l);
                case O -> o = l;
                case UP, GATE, UPGATE -> ug.add(l);
                case DOWN -> down = l;
            }
        }
        return new Block(BlockShape.of(config), FromLlama.toDouble(attnNorm), FromLlama.toDouble(ffnNorm), qkv, o, ug, down);
    }

    /** This state with the values of a tuned block built by {@link #toBlock()} (same layout). */
    public BlockState withTuned(Block b) {
        List<Part> lay = layout();
        List<LinearParam> lin = b.linears();
        if (lin.size() != lay.size()) throw new IllegalArgumentException("block has " + lin.size() + " linears, state layout " + lay);
        EnumMap<LinearKind, float[]> d = new EnumMap<>(LinearKind.class);
        EnumMap<Part, Quantized> q = new EnumMap<>(Part.class);
        for (int i = 0; i < lay.size(); i++) {
            Part p = lay.get(i);
            LinearParam l = lin.get(i);
            Quantized old = quantized.get(p);
            if (old == null) {
                if (!(l instanceof DenseLinear dl)) throw new IllegalArgumentException(p + " should be dense");
                d.put(p.kinds().get(0), dl.weightAsFloat());
            } else {
                if (!(l instanceof QuantLinear ql)) throw new IllegalArgumentException(p + " should be quantized");
                q.put(p, new Quantized(ql.applyTo(old.matrix()), old.fuseScales()));
            }
        }
        return new BlockState(config, layer, Teacher.toFloat(b.attnNorm().value()), Teacher.toFloat(b.ffnNorm().value()), d, q);
    }
}
