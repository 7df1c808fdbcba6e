package dev.e8q.cli;

import dev.e8q.llama.generate.GenerationDefaults;
import dev.e8q.llama.generate.Penalties;
import dev.e8q.llama.generate.Sampler;
import dev.e8q.llama.generate.TokenSampler;
import picocli.CommandLine.Option;

/**
 * How the commands that generate choose tokens (picocli mixin). An option not given takes the value the model's
 * generation_config.json recommends, if any, else the command's default: plain text samples at temperature 1, chat at
 * 0.7; top-p 0.9; every other filter and penalty off.
 */
final class SamplingOptions {
    static final float TOP_P = 0.9f;

    @Option(names = "--temperature", description = "0 = greedy (default: the model's generation_config.json, else 1.0 "
            + "for generate and 0.7 for chat)")
    Float temperature;

    @Option(names = "--top-p", description = "nucleus sampling threshold, 1 = off (default: generation_config.json, else 0.9)")
    Float topP;

    @Option(names = "--top-k", description = "sample from the k most likely tokens, 0 = off (default: generation_config.json, else 0)")
    Integer topK;

    @Option(names = "--min-p", description = "drop tokens less likely than this fraction of the most likely, 0 = off "
            + "(default: generation_config.json, else 0)")
    Float minP;

    @Option(names = "--repeat-penalty", description = "divide the logits of recently generated tokens by this (multiply when "
            + "negative), 1 = off (default: generation_config.json's repetition_penalty, else 1)")
    Float repeatPenalty;

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

    /** What one command samples with: the options given, then the model's defaults, then the command's. */
    record Resolved(Sampler sampler, Penalties penalties) {
        /** What one reply samples with: the sampler, behind the penalties if any (they count that reply's tokens). */
        TokenSampler forReply() {
            return penalties.apply(sampler);
        }
    }

    /** Options out of range fail here, before a model is loaded. */
    Resolved resolve(GenerationDefaults model, float commandTemperature) {
        Sampler.Settings s = model.sampling(temperature, topK, topP, minP, new Sampler.Settings(commandTemperature, 0, TOP_P, 0));
        Penalties p = new Penalties(model.repeat(repeatPenalty), presencePenalty, frequencyPenalty, repeatLastN);
        if (model.any()) System.err.println("(sampling defaults from " + model.source() + ": " + model.describe() + ")");
        return new Resolved(new Sampler(s, seed != null ? seed : System.nanoTime()), p);
    }
}
