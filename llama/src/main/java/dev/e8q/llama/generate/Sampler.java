package dev.e8q.llama.generate;

import dev.e8q.llama.model.Ops;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Picks the next token from logits: argmax at temperature 0; otherwise softmax(logits / temperature), drawn with a
 * seeded {@link SplittableRandom} from the tokens that survive, in this order: the {@code topK} most likely; of those,
 * the smallest most-likely set whose probability reaches {@code topP} of theirs (nucleus sampling); of those, the ones
 * at least {@code minP} times as likely as the most likely. Each filter is off at its neutral value (0, 1, 0). With
 * only temperature and top-p the draws are those of llama2.c's sampler. Not thread-safe (holds scratch and the random
 * stream).
 */
public final class Sampler implements TokenSampler {
    /**
     * @param temperature 0 = greedy
     * @param topK        keep the k most likely tokens; 0 = all
     * @param topP        nucleus threshold in (0, 1]; 1 = off
     * @param minP        keep tokens at least this fraction of the most likely one's probability, in [0, 1); 0 = off
     */
    public record Settings(float temperature, int topK, float topP, float minP) {
        public Settings {
            if (!(temperature >= 0) || Float.isInfinite(temperature)) throw new IllegalArgumentException("temperature must be >= 0, got " + temperature);
            if (topK < 0) throw new IllegalArgumentException("top-k must be >= 0, got " + topK);
            if (!(topP > 0 && topP <= 1)) throw new IllegalArgumentException("top-p must be in (0, 1], got " + topP);
            if (!(minP >= 0 && minP < 1)) throw new IllegalArgumentException("min-p must be in [0, 1), got " + minP);
        }
    }

    private final float temperature, topP, minP;
    private final int topK;
    private final SplittableRandom random;
    private double[] probs;
    private int[] order;

    public Sampler(float temperature, float topP, long seed) {
        this(new Settings(temperature, 0, topP, 0), seed);
    }

    public Sampler(Settings s, long seed) {
        this.temperature = s.temperature();
        this.topK = s.topK();
        this.topP = s.topP();
        this.minP = s.minP();
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

    public Settings settings() {
        return new Settings(temperature, topK, topP, minP);
    }

    /** A token id in [0, n) from logits[0..n); logits are not modified. */
    @Override
    public int sample(float[] logits, int n) {
        if (temperature == 0f || topK == 1) return Ops.argmax(logits, 0, n);
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
        if (topP < 1f || topK > 0 && topK < n || minP > 0) return filtered(n, r);
        double c = 0;
        for (int i = 0; i < n; i++) {
            c += probs[i];
            if (r < c) return i;
        }
        return lastNonZero(n);
    }

    /** Top-k, then top-p over what top-k kept, then min-p; draws with {@code r}. Top-p alone is llama2.c's nucleus. */
    private int filtered(int n, double r) {
        int m;
        if (topK > 0 && topK < n) m = mostLikely(n, topK);
        else {
            // Without top-k, min-p's bar and top-p's can go first: nothing below them survives. No token but the
            // most likely can be in the nucleus below (1 - topP) / (n - 1) (as llama2.c), so those are not sorted; the
            // most likely one is always in it, and can be below that bar when topP < 1 / n. With top-p alone this is
            // llama2.c's sampler, draw for draw.
            double pmax = 0;
            for (int i = 0; i < n; i++) pmax = Math.max(pmax, probs[i]);
            double bar = Math.min(Math.max(minP * pmax, topP < 1f ? (1.0 - topP) / Math.max(1, n - 1) : 0), pmax);
            m = 0;
            for (int i = 0; i < n; i++) if (probs[i] >= bar && probs[i] > 0) order[m++] = i;
        }
        Integer[] kept = new Integer[m];
        for (int i = 0; i < m; i++) kept[i] = order[i];
        Arrays.sort(kept, (a, b) -> Double.compare(probs[b], probs[a]));
        // Top-p over the kept tokens' own mass: all of it without top-k (the rest is below the bar), theirs with it.
        double mass = 1;
        if (topK > 0 && topK < n) {
            mass = 0;
            for (int i = 0; i < m; i++) mass += probs[kept[i]];
        }
        int last = m - 1;
        if (topP < 1f) {
            double cum = 0;
            for (int i = 0; i < m; i++) {
                cum += probs[kept[i]];
                if (cum >= topP * mass) {
                    last = i;
                    break;
                }
            }
        }
        double bar = minP * probs[kept[0]];
        while (last > 0 && probs[kept[last]] < bar) last--;
        double total = 0;
        for (int i = 0; i <= last; i++) total += probs[kept[i]];
        double target = r * total, c = 0;
        for (int i = 0; i <= last; i++) {
            c += probs[kept[i]];
            if (target < c) return kept[i];
        }
        return kept[last];
    }

    /** Puts the k most likely token ids into order[0..k) (in no particular order) with a min-heap; returns k. */
    private int mostLikely(int n, int k) {
        for (int i = 0; i < k; i++) {
            order[i] = i;
            siftUp(i);
        }
        for (int i = k; i < n; i++) {
            if (probs[i] > probs[order[0]]) {
                order[0] = i;
                siftDown(0, k);
            }
        }
        return k;
    }

    private void siftUp(int i) {
        while (i > 0) {
            int parent = (i - 1) / 2;
            if (probs[order[parent]] <= probs[order[i]]) return;
            swap(parent, i);
            i = parent;
        }
    }

    private void siftDown(int i, int size) {
        while (true) {
            int l = 2 * i + 1, smallest = i;
            if (l < size && probs[order[l]] < probs[order[smallest]]) smallest = l;
            if (l + 1 < size && probs[order[l + 1]] < probs[order[smallest]]) smallest = l + 1;
            if (smallest == i) return;
            swap(i, smallest);
            i = smallest;
        }
    }

    private void swap(int a, int b) {
        int t = order[a];
        order[a] = order[b];
        order[b] = t;
    }

    private int lastNonZero(int n) {
        for (int i = n - 1; i >= 0; i--) if (probs[i] > 0) return i;
        return 0;
    }
}
