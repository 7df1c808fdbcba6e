package dev.e8q.cli;

import dev.e8q.llama.model.KvCache;
import picocli.CommandLine.Option;

/** {@code --kv-cache} of the commands that generate (picocli mixin). */
final class KvCacheOption {
    @Option(names = "--kv-cache", defaultValue = "f32",
            description = "KV cache entries: f32, or f16, which halves the cache and what attention reads per token (default: ${DEFAULT-VALUE})")
    String text;

    /** The precision, or an error naming the option. */
    KvCache.Precision precision() {
        return KvCache.Precision.parse(text, "--kv-cache");
    }
}
