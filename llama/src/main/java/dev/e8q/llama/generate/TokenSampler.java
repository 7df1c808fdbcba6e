package dev.e8q.llama.generate;

/** Chooses the next token from the logits of the last one ({@link Sampler}; tests record the logits through it). */
@FunctionalInterface
public interface TokenSampler {
    int sample(float[] logits, int n);
}
