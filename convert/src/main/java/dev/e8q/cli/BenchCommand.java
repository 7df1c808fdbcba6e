package dev.e8q.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.e8q.codec.Parallel;
import dev.e8q.llama.generate.Throughput;
import dev.e8q.llama.model.KvCache;
import dev.e8q.llama.model.LlamaModel;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code e8q bench}: prompt-processing and generation speed of one model on this machine, as llama-bench reports it. */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Measure how fast a model (any format e8q reads, a converted one included) processes a prompt "
                + "(ppN: N tokens through the batched path) and generates (tgN: N tokens one at a time), in tokens/s, "
                + "mean ± standard deviation and median over the repetitions. Random token ids; nothing is sampled."})
public final class BenchCommand implements Callable<Integer> {
    @Mixin
    ModelOptions run = new ModelOptions();

    @Option(names = {"-p", "--prompt-tokens"}, split = ",", defaultValue = "512",
            description = "prompt lengths to test, comma-separated; 0 = none (default: ${DEFAULT-VALUE})")
    List<Integer> promptTokens;

    @Option(names = {"-n", "--gen-tokens"}, split = ",", defaultValue = "128",
            description = "generation lengths to test, comma-separated; 0 = none (default: ${DEFAULT-VALUE})")
    List<Integer> genTokens;

    @Option(names = {"-r", "--repetitions"}, defaultValue = "5", description = "timed runs per test (default: ${DEFAULT-VALUE})")
    int repetitions;

    @Option(names = "--warmup", defaultValue = "1", description = "untimed runs before each test (default: ${DEFAULT-VALUE})")
    int warmup;

    @Mixin
    KvCacheOption kvCache = new KvCacheOption();

    @Option(names = "--json", description = "print the results as JSON instead of a table")
    boolean json;

    @Override
    public Integer call() throws Exception {
        if (repetitions < 1) throw new IllegalArgumentException("--repetitions must be at least 1, got " + repetitions);
        if (warmup < 0) throw new IllegalArgumentException("--warmup must be at least 0, got " + warmup);
        for (int n : promptTokens) if (n < 0) throw new IllegalArgumentException("--prompt-tokens must be 0 or more, got " + n);
        for (int n : genTokens) if (n < 0) throw new IllegalArgumentException("--gen-tokens must be 0 or more, got " + n);
        KvCache.Precision kv = kvCache.precision();
        LlamaModel m = run.load();
        int max = m.config().maxSeqLen();
        for (List<Integer> l : List.of(promptTokens, genTokens)) {
            for (int n : l) if (n > max) throw new IllegalArgumentException(n + " tokens exceed the model's context of " + max);
        }
        List<Throughput.Runs> results = new ArrayList<>();
        long seed = 1;
        for (int n : promptTokens) if (n > 0) results.add(Throughput.prompt(m, kv, n, warmup, repetitions, seed));
        for (int n : genTokens) if (n > 0) results.add(Throughput.generation(m, kv, n, warmup, repetitions, seed));
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        String name = run.modelName();
        double mb = m.weightBytes() / 1e6;
        String device = run.device + (run.int8Activations ? ", int8 activations" : "");
        if (json) {
            ObjectMapper mapper = new ObjectMapper();
            ObjectNode root = mapper.createObjectNode().put("model", name).put("weight_mb", mb).put("threads", Parallel.threads())
                    .put("device", device).put("kv_cache", kvCache.text);
            ArrayNode tests = root.putArray("tests");
            for (Throughput.Runs r : results) {
                ObjectNode t = tests.addObject().put("test", r.test()).put("tokens", r.tokens()).put("mean_tokens_per_second", r.mean())
                        .put("stddev", r.stdDev()).put("median_tokens_per_second", r.median());
                ArrayNode each = t.putArray("runs");
                for (double v : r.tokensPerSecond()) each.add(v);
            }
            out.println(mapper.writerWithDefaultPrettyPrinter().writeValueAsString(root));
            return 0;
        }
        out.printf(Locale.ROOT, "| model | weights MB | threads | device | test | tokens/s | median |%n|---|---:|---:|---|---|---:|---:|%n");
        for (Throughput.Runs r : results) {
            out.printf(Locale.ROOT, "| %s | %.1f | %d | %s | %s | %.2f ± %.2f | %.2f |%n", name, mb, Parallel.threads(), device, r.test(),
                    r.mean(), r.stdDev(), r.median());
        }
        return 0;
    }
}
