package dev.e8q.finetune;

import dev.e8q.llama.Linear;
import dev.e8q.llama.LlamaConfig;
import dev.e8q.llama.model.DecoderBlock;
import dev.e8q.llama.model.LinearKind;
import dev.e8q.llama.model.LlamaModel;
import java.util.ArrayList;
import java.util.List;

/** Builds fine-tuning {@link Block}s and {@link Model}s from the llama module's dense forward-pass objects. */
public final class FromLlama {
    private FromLlama() {}

    static double[] toDouble(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < d.length; i++) d[i] = f[i];
        return d;
    }

    static float[] weights(Linear l, String what) {
        if (l instanceof dev.e8q.llama.model.DenseLinear d) {
            if (d.bias() != null) throw new UnsupportedOperationException(what + ": biases are not supported by fine-tuning");
            return d.weights();
        }
        throw new IllegalArgumentException(what + " is a " + l.getClass().getSimpleName() + ", not a dense linear");
    }

    /** A block with seven dense linears (q, k, v, o, up, gate, down) copied from an all-dense DecoderBlock. */
    public static Block denseBlock(DecoderBlock b) {
        BlockShape s = BlockShape.of(b.config());
        int l = b.layer();
        List<LinearParam> qkv = new ArrayList<>();
        for (LinearKind k : new LinearKind[] {LinearKind.Q, LinearKind.K, LinearKind.V}) qkv.add(dense(b, k, l));
        List<LinearParam> ug = List.of(dense(b, LinearKind.UP, l), dense(b, LinearKind.GATE, l));
        return new Block(s, toDouble(b.attnNorm()), toDouble(b.ffnNorm()), qkvBias(b), qkv, dense(b, LinearKind.O, l), ug,
                dense(b, LinearKind.DOWN, l));
    }

    /** [bq; bk; bv] of a block with q/k/v biases (Qwen2), or null when it has none. */
    public static double[] qkvBias(DecoderBlock b) {
        return qkvBias(b.config(), b.bias(LinearKind.Q), b.bias(LinearKind.K), b.bias(LinearKind.V));
    }

    /** [q; k; v] of separate biases (a missing one counts as zeros), or null when all three are missing. */
    public static double[] qkvBias(LlamaConfig c, float[] q, float[] k, float[] v) {
        if (q == null && k == null && v == null) return null;
        double[] out = new double[c.qDim() + 2 * c.kvDim()];
        if (q != null) for (int i = 0; i < q.length; i++) out[i] = q[i];
        if (k != null) for (int i = 0; i < k.length; i++) out[c.qDim() + i] = k[i];
        if (v != null) for (int i = 0; i < v.length; i++) out[c.qDim() + c.kvDim() + i] = v[i];
        return out;
    }

    private static DenseLinear dense(DecoderBlock b, LinearKind k, int layer) {
        int[] sh = b.shape(k);
        return DenseLinear.of(k.weightName(layer).replace(".weight", ""), sh[0], sh[1], weights(b.linear(k), k.weightName(layer)));
    }

    /** An all-dense fine-tuning model (lm_head copied, so tuning it unties it from the embedding). */
    public static Model denseModel(LlamaModel m) {
        List<Block> blocks = new ArrayList<>();
        for (DecoderBlock b : m.blocks()) blocks.add(denseBlock(b));
        return new Model(BlockShape.of(m.config()), m.config().vocabSize(), m.embedding(), blocks,
                toDouble(m.finalNorm()), toDouble(weights(m.lmHead(), "lm_head")));
    }
}
