package dev.e8q.finetune;

/**
 * The teacher's next-token distribution at each position of one sequence (SPEC §6 stage 2: the original
 * model's softmax).
 */
@FunctionalInterface
public interface SoftTargets {
    /** Writes the distribution at position t (length vocab, sums to 1) into {@code out}. */
    void probabilities(int t, double[] out);

    /** Explicit probabilities, T × vocab row-major. */
    static SoftTargets of(double[] probs, int vocab) {
        return (t, out) -> System.arraycopy(probs, t * vocab, out, 0, vocab);
    }

    /**
     * softmax(head · hidden_t): the teacher's logits formed on the fly from its final-norm output
     * (T × dim) and its lm_head (vocab × dim), so the T × vocab probabilities never need storing.
     */
    static SoftTargets fromHidden(float[] normedHidden, float[] head, int vocab, int dim) {
        double[] h = new double[head.length];
        for (int i = 0; i < h.length; i++) h[i] = head[i];
        return fromHidden(normedHidden, h, vocab, dim);
    }

    /** As {@link #fromHidden(float[], float[], int, int)} with the head already in double (shared, not copied). */
    static SoftTargets fromHidden(float[] normedHidden, double[] head, int vocab, int dim) {
        return (t, out) -> {
            double[] x = new double[dim];
            for (int i = 0; i < dim; i++) x[i] = normedHidden[t * dim + i];
            double max = Double.NEGATIVE_INFINITY;
            for (int v = 0; v < vocab; v++) {
                double s = LinearParam.dot(head, v * dim, x, 0, dim);
                out[v] = s;
                if (s > max) max = s;
            }
            double sum = 0;
            for (int v = 0; v < vocab; v++) {
                double e = Math.exp(out[v] - max);
                out[v] = e;
                sum += e;
            }
            double inv = 1 / sum;
            for (int v = 0; v < vocab; v++) out[v] *= inv;
        };
    }
}
