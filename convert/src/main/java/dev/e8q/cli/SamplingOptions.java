package dev.e8q.cli;

import dev.e8q.llama.generate.Penalties;
import dev.e8q.llama.generate.Sampler;
import dev.e8q.llama.generate.TokenSampler;
import picocli.CommandLine.Option;

/**
 * How the commands that generate choose tokens (picocli mixin), all but the temperature, whose default differs: plain
 * text samples at 1, chat at 0.7. Every filter and penalty is off by default.
 */
final class SamplingOptions {
    @Option(names = "--top-p", defaultValue = "0.9", description = "nucleus sampling threshold, 1 = off (default: ${DEFAULT-VALUE})")
    float topP;

    @Option(names = "--top-k", defaultValue = "0", description = "sample from the k most likely tokens, 0 = off (default: ${DEFAULT-VALUE})")
    int topK;

    @Option(names = "--min-p", defaultValue = "0",
            description = "drop tokens less likely than this fraction of the most likely, 0 = off (default: ${DEFAULT-VALUE})")
    float minP;

    @Option(names = "--repeat-penalty", defaultValue = "1",
            description = "divide the logits of recently generated tokens by this (multiply when negative), 1 = off (default: ${DEFAULT-VALUE})")
    float repeatPenalty;

    @Option(names = "--presence-penalty", defaultValue = "0",
            description = "subtract this from the logits of recently generated tokens, -2..2 (default: ${DEFAULT-VALUE})")
    float presencePenalty;

    @Option(names = "--frequency-penalty", defaultValue = "0",
            description = "subtract this times its count from a recently generated token's logit, -2..2 (default: ${DEFAULT-VALUE})")
    float frequencyPenalty;

    @Option(names = "--repeat-last-n", defaultValue = "" + Penalties.DEFAULT_LAST_N,
            description = "how many of the latest generated tokens the penalties look at (default: ${DEFAULT-VALUE})")
    int repeatLastN;

    @Option(names = "--seed", description = "random seed (default: from the clock)")
    Long seed;

    /** The sampler at this temperature; options out of range, penalties included, fail here, before a model is loaded. */
    Sampler sampler(float temperature) {
        penalties();
        return new Sampler(new Sampler.Settings(temperature, topK, topP, minP), seed != null ? seed : System.nanoTime());
    }

    Penalties penalties() {
        return new Penalties(repeatPenalty, presencePenalty, frequencyPenalty, repeatLastN);
    }

    /** What one reply samples with: the sampler, behind the penalties if any (they count that reply's tokens). */
    TokenSampler forReply(Sampler sampler) {
        return penalties().apply(sampler);
    }
}
