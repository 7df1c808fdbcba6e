package dev.e8q.llama.generate;

import java.util.Arrays;

/**
 * A sampler that applies {@link Penalties} to the tokens it has itself returned, then lets another sampler choose. It
 * counts one reply: make a new one for each.
 */
public final class PenalizedSampler implements TokenSampler {
    private final TokenSampler inner;
    private final Penalties penalties;
    /** The last lastN sampled ids, a ring; filled up to {@link #seen}. */
    private final int[] window;
    private int seen;
    private int[] counts = new int[0];
    private float[] adjusted = new float[0];

    public PenalizedSampler(TokenSampler inner, Penalties penalties) {
        this.inner = inner;
        this.penalties = penalties;
        this.window = new int[penalties.lastN()];
    }

    /** Logits are not modified; the penalized copy is what {@code inner} sees. */
    @Override
    public int sample(float[] logits, int n) {
        if (counts.length < n) {
            counts = Arrays.copyOf(counts, n);
            adjusted = new float[n];
        }
        System.arraycopy(logits, 0, adjusted, 0, n);
        int held = Math.min(seen, window.length);
        for (int j = 0; j < held; j++) {
            int t = window[j];
            // Each distinct id once: penalize it when its count is read the first time, then mark it done.
            if (t >= n || counts[t] <= 0) continue;
            int c = counts[t];
            float l = adjusted[t];
            if (penalties.repeat() != 1) l = l > 0 ? l / penalties.repeat() : l * penalties.repeat();
            adjusted[t] = l - penalties.presence() - penalties.frequency() * c;
            counts[t] = -c;
        }
        for (int j = 0; j < held; j++) if (window[j] < n && counts[window[j]] < 0) counts[window[j]] = -counts[window[j]];
        int id = inner.sample(adjusted, n);
        if (id >= counts.length) counts = Arrays.copyOf(counts, id + 1);
        int slot = seen % window.length;
        if (seen >= window.length) counts[window[slot]]--;
        window[slot] = id;
        counts[id]++;
        seen++;
        return id;
    }
}
