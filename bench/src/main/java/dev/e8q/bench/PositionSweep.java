package dev.e8q.bench;

import dev.e8q.codec.Parallel;
import dev.e8q.llama.LlamaConfig;
import dev.e8q.llama.model.KvCache;
import dev.e8q.llama.model.LlamaModel;
import dev.e8q.llama.model.ModelState;

import java.util.Locale;

/**
 * Generation speed against the position in the sequence: single-token forwards of {@link E2eBench}'s synthetic model
 * from position 0 to the end of its context, twice (the first pass also warms up the JIT), printing tokens/s per span
 * of 16 positions. Attention reads the whole KV cache every token, so its share grows with the position.
 *
 * <pre>java -Xmx16g [-De8q.threads=1] --add-modules jdk.incubator.vector -cp bench/target-bench/benchmarks.jar
 *     dev.e8q.bench.PositionSweep [110M|1B] [F32|BF16|E8Q2|E8Q3|E8Q4] [f32|f16 (KV cache)] [context]</pre>
 * The context (default: the model's 512) sets how far the sweep goes; the synthetic weights do not depend on it.
 */
public final class PositionSweep {
    private PositionSweep() {}

    public static void main(String[] a) {
        String size = a.length > 0 ? a[0] : "1B", storage = a.length > 1 ? a[1] : "E8Q2";
        String kvName = a.length > 2 ? a[2] : "f32";
        LlamaConfig c;
        KvCache.Precision kv;
        try {
            c = E2eBench.config(size);
            if (a.length > 3) {
                int ctx = Integer.parseInt(a[3]);
                c = c.withMaxSeqLen(ctx);
            }
            if (!java.util.List.of("F32", "BF16", "E8Q2", "E8Q3", "E8Q4").contains(storage))
                throw new IllegalArgumentException("storage must be F32, BF16, E8Q2, E8Q3 or E8Q4, got " + storage);
            kv = KvCache.Precision.parse(kvName, "KV cache");
        } catch (IllegalArgumentException e) {
            System.err.println("PositionSweep: " + e.getMessage());
            System.exit(2);
            return;
        }
        LlamaModel m = E2eBench.build(c, storage, 42);
        int span = 16, spans = c.maxSeqLen() / span;
        System.out.printf(Locale.ROOT, "%s %s, %s KV cache, %d thread(s): tokens/s per %d positions, from position 0 to %d%n", size,
                storage, kvName, Parallel.threads(), span, spans * span);
        for (int pass = 1; pass <= 2; pass++) {
            ModelState s = m.newState(c.maxSeqLen(), kv);
            StringBuilder line = new StringBuilder("pass " + pass + ":");
            for (int k = 0; k < spans; k++) {
                long t0 = System.nanoTime();
                for (int p = k * span; p < (k + 1) * span; p++) s.forward(1 + p % (c.vocabSize() - 1), p);
                line.append(String.format(Locale.ROOT, " %.1f", span / ((System.nanoTime() - t0) / 1e9)));
            }
            System.out.println(line);
        }
    }
}
