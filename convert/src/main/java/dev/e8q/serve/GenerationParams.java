package dev.e8q.serve;

import dev.e8q.llama.generate.Penalties;
import dev.e8q.llama.generate.Sampler;
import java.util.List;

/**
 * How to generate, as an OpenAI-style request asks it.
 *
 * @param maxTokens    the most tokens to generate; null: until the context fills
 * @param sampling     temperature (0 = greedy), top-k, top-p, min-p
 * @param penalties    repetition, presence and frequency penalties over the reply's latest tokens
 * @param seed         null: from the clock
 * @param stops        strings that end the text (not included)
 * @param stream       answer as server-sent events, a piece of text per event
 * @param includeUsage streaming only: send the token counts in a last event
 */
public record GenerationParams(Integer maxTokens, Sampler.Settings sampling, Penalties penalties, Long seed, List<String> stops,
        boolean stream, boolean includeUsage) {
    public GenerationParams {
        stops = List.copyOf(stops);
    }
}
