package dev.e8q.finetune;

import dev.e8q.codec.Parallel;
import java.util.List;

/**
 * Soft targets of the original (full-precision) model for end-to-end tuning. Instead of storing
 * T × vocab probabilities per sequence, it keeps the teacher's final-norm output (T × dim, float) and
 * its lm_head, and forms softmax(lm_head · h_t) when asked.
 */
public final class Teacher {
    private final float[][] hidden;
    private final float[] head;
    private final int vocab, dim;

    public Teacher(float[][] normedHidden, float[] head, int vocab, int dim) {
        if (head.length != (long) vocab * dim) throw new IllegalArgumentException("head has " + head.length + " entries, want " + vocab + "×" + dim);
        this.hidden = normedHidden;
        this.head = head;
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
