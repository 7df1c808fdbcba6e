package dev.e8q.serve;

import java.util.List;

/**
 * How to generate, as an OpenAI-style request asks it.
 *
 * @param maxTokens    the most tokens to generate; null: until the context fills
 * @param temperature  0 = greedy
 * @param topP         nucleus sampling threshold, 1 = off
 * @param seed         null: from the clock
 * @param stops        strings that end the text (not included)
 * @param stream       answer as server-sent events, a piece of text per event
 * @param includeUsage streaming only: send the token counts in a last event
 */
public record GenerationParams(Integer maxTokens, float temperature, float topP, Long seed, List<String> stops, boolean stream,
        boolean includeUsage) {
    public GenerationParams {
        stops = List.copyOf(stops);
    }
}
