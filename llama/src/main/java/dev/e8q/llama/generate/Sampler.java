package dev.e8q.llama.generate;

import dev.e8q.llama.model.Ops;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Picks the next token from logits: argmax at temperature 0; otherwise softmax(logits / temperature), optionally
 * restricted to the smallest set of most likely tokens whose probability reaches topP (nucleus sampling), drawn
 * with a seeded {@link SplittableRandom}. Not thread-safe (holds scratch and the random stream).
 */
public final class Sampler implements TokenSampler {
    private final float temperature, topP;
    private final SplittableRandom random;
    private double[] probs;
    private int[] order;

    public Sampler(float temperature, float topP, long seed) {
        if (!(temperature >= 0) || Float.isInfinite(temperature)) throw new IllegalArgumentException("temperature must be >= 0, got " + temperature);
        if (!(topP > 0 && topP <= 1)) throw new IllegalArgumentException("top-p must be in (0, 1], got " + topP);
        this.temperature = temperature;
        this.topP = topP;
        this.random = new SplittableRandom(seed);
    }

    public static Sampler greedy() {
        return new Sampler(0f, 1f, 0);
    }

    public float temperature() {
        return temperature;
    }

    public float topP() {
        return topP;
    }

    /** A token id in [0, n) from logits[0..n); logits are not modified. */
    @Override
    public int sample(float[] logits, int n) {
        if (temperature == 0f) return Ops.argmax(logits, 0, n);
        if (probs == null || probs.length < n) {
            probs = new double[n];
            order = new int[n];
        }
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) max = Math.max(max, logits[i]);
        double sum = 0;
        for (int i = 0; i < n; i++) {
            probs[i] = Math.exp((logits[i] - max) / (double) temperature);
            sum += probs[i];
        }
        for (int i = 0; i < n; i++) probs[i] /= sum;
        double r = random.nextDouble();
        if (topP >= 1f) {
            double c = 0;
            for (int i = 0; i < n; i++) {
                c += probs[i];
                if (r < c) return i;
            }
            return lastNonZero(n);
        }
        // Nucleus: tokens below (1 - topP) / (n - 1) can never be in the nucleus (as llama2.c), so skip sorting them.
        double cutoff = (1.0 - topP) / Math.max(1, n - 1);
        int m = 0;
        for (int i = 0; i < n; i++) if (probs[i] >= cutoff) order[m++] = i;
        Integer[] boxed = new Integer[m];
        for (int i = 0; i < m; i++) boxed[i] = order[i];
        Arrays.sort(boxed, (a, b) -> Double.compare(probs[b], probs[a]));
        double cum = 0;
        int last = m - 1;
        for (int i = 0; i < m; i++) {
            cum += probs[boxed[i]];
            if (cum >= topP) {
                last = i;
                break;
            }
        }
        double target = r * cum, c = 0;
        for (int i = 0; i <= last; i++) {
            c += probs[boxed[i]];
            if (target < c) return boxed[i];
        }
        return boxed[last];
    }

    private int lastNonZero(int n) {
        for (int i = n - 1; i >= 0; i--) if (probs[i] > 0) return i;
        return 0;
    }
}
