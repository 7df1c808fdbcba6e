package dev.e8q.finetune;

import dev.e8q.codec.Parallel;
import dev.e8q.llama.model.LlamaModel;
import java.util.List;

/**
 * Soft targets of the original (full-precision) model for end-to-end tuning. Instead of storing
 * T × vocab probabilities per sequence, it keeps the teacher's final-norm output (T × dim, float) and
 * its lm_head, and forms softmax(lm_head · h_t) when asked.
 */
public final class Teacher {
    private final float[][] hidden;
    private final double[] head;
    private final int vocab, dim;

    public Teacher(float[][] normedHidden, float[] head, int vocab, int dim) {
        if (head.length != (long) vocab * dim) throw new IllegalArgumentException("head has " + head.length + " entries, want " + vocab + "×" + dim);
        this.hidden = normedHidden;
        this.head = FromLlama.toDouble(head);
        this.vocab = vocab;
        this.dim = dim;
    }

    /** Runs the teacher model once over every sequence. */
    public static Teacher of(Model teacher, List<int[]> sequences) {
        float[][] h = new float[sequences.size()][];
        Parallel.forRange(sequences.size(), 1, (from, to) -> {
            for (int i = from; i < to; i++) h[i] = toFloat(teacher.normedHidden(sequences.get(i)));
        });
        return new Teacher(h, toFloat(teacher.lmHead().weight().value()), teacher.vocab(), teacher.shape().dim());
    }

    /**
     * Runs the llama module's (float) forward pass of the original model once over every sequence: final
     * norm applied to its last hidden states, lm_head taken from the model (must be dense).
     */
    public static Teacher of(LlamaModel original, List<int[]> sequences) {
        var c = original.config();
        int d = c.dim();
        float[][] h = new float[sequences.size()][];
        float[] fn = original.finalNorm();
        Parallel.forRange(sequences.size(), 1, (from, to) -> {
            for (int i = from; i < to; i++) {
                int[] s = sequences.get(i);
                float[] x = original.hiddenSequence(s, null);
                float[] out = new float[x.length];
                for (int t = 0; t < s.length; t++) {
                    double ss = 0;
                    for (int j = 0; j < d; j++) ss += (double) x[t * d + j] * x[t * d + j];
                    double r = 1 / Math.sqrt(ss / d + c.normEps());
                    for (int j = 0; j < d; j++) out[t * d + j] = (float) (x[t * d + j] * r * fn[j]);
                }
                h[i] = out;
            }
        });
        return new Teacher(h, FromLlama.weights(original.lmHead(), "lm_head"), c.vocabSize(), d);
    }

    public int size() { return hidden.length; }

    public SoftTargets targets(int sequence) {
        return SoftTargets.fromHidden(hidden[sequence], head, vocab, dim);
    }

    static float[] toFloat(double[] a) {
        float[] f = new float[a.length];
        for (int i = 0; i < f.length; i++) f[i] = (float) a[i];
        return f;
    }
}
