package dev.e8q.llama.generate;

/**
 * Penalties on tokens the reply has already used, over its last {@code lastN} tokens: a token seen c > 0 times there
 * has its logit l divided by {@code repeat} when positive and multiplied by it when not (CTRL's and llama.cpp's
 * repetition penalty), then lowered by {@code presence + frequency · c} (OpenAI's presence and frequency penalties).
 *
 * @param repeat    > 0; 1 = off
 * @param presence  in [-2, 2]; 0 = off
 * @param frequency in [-2, 2]; 0 = off
 * @param lastN     how many of the latest tokens count, at least 1
 */
public record Penalties(float repeat, float presence, float frequency, int lastN) {
    public static final int DEFAULT_LAST_N = 64;
    public static final Penalties NONE = new Penalties(1, 0, 0, DEFAULT_LAST_N);

    public Penalties {
        if (!(repeat > 0) || Float.isInfinite(repeat)) throw new IllegalArgumentException("repeat penalty must be > 0, got " + repeat);
        if (!(presence >= -2 && presence <= 2)) throw new IllegalArgumentException("presence penalty must be in [-2, 2], got " + presence);
        if (!(frequency >= -2 && frequency <= 2)) throw new IllegalArgumentException("frequency penalty must be in [-2, 2], got " + frequency);
        if (lastN < 1) throw new IllegalArgumentException("the penalty window must be at least 1 token, got " + lastN);
    }

    public boolean active() {
        return repeat != 1 || presence != 0 || frequency != 0;
    }

    /** {@code sampler} itself when nothing is penalized, else a fresh wrapper (one per reply: it counts what it sampled). */
    public TokenSampler apply(TokenSampler sampler) {
        return active() ? new PenalizedSampler(sampler, this) : sampler;
    }
}
