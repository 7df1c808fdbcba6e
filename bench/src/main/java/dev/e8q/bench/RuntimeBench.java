package dev.e8q.bench;

import dev.e8q.codec.Parallel;
import dev.e8q.llama.Linear;
import dev.e8q.llama.LlamaConfig;
import dev.e8q.llama.WeightSource;
import dev.e8q.llama.generate.Generator;
import dev.e8q.llama.generate.Sampler;
import dev.e8q.llama.io.Checkpoints;
import dev.e8q.llama.model.DType;
import dev.e8q.llama.model.DecoderBlock;
import dev.e8q.llama.model.DenseLinear;
import dev.e8q.llama.model.LinearKind;
import dev.e8q.llama.model.LlamaModel;
import dev.e8q.llama.model.Rope;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Dense runtime figures: generation tokens/s (token-at-a-time with KV cache) and batched whole-sequence forward
 * tokens/s, for stories260K and a synthetic random-weight Llama of about 134M parameters (dim 768, hidden 2048,
 * 12 layers, 12 heads, vocab 32000, untied lm_head) in F32 and BF16, with the heap in use.
 *
 * <pre>java --add-modules jdk.incubator.vector -cp bench/target/benchmarks.jar dev.e8q.bench.RuntimeBench [data dir]</pre>
 */
public final class RuntimeBench {
    public static void main(String[] args) throws Exception {
        Path data = args.length > 0 ? Path.of(args[0]) : findData();
        int genTokens = Integer.getInteger("bench.gen", 64), seqLen = Integer.getInteger("bench.seq", 256);
        System.out.printf(Locale.ROOT, "threads=%d, vector=%s, gen=%d tokens, seq=%d tokens%n", Parallel.threads(),
                jdk.incubator.vector.FloatVector.SPECIES_PREFERRED, genTokens, seqLen);
        System.out.println("| model | storage | params | weights MiB | heap MiB | generate tok/s | generate tok/CPU-s "
                + "| batched forward tok/s | batched tok/CPU-s |");
        System.out.println("|---|---|---:|---:|---:|---:|---:|---:|---:|");
        if (data != null) {
            try (WeightSource ws = Checkpoints.open(data.resolve("stories260K/stories260K.bin"))) {
                run("stories260K", LlamaModel.load(ws, DType.F32), "f32", 256, 512);
            }
        }
        for (DType d : new DType[] {DType.F32, DType.BF16}) {
            LlamaModel m = synthetic(d, 42);
            run("synthetic-134M", m, d.name().toLowerCase(Locale.ROOT), genTokens, seqLen);
            m = null;
            System.gc();
        }
    }

    static void run(String name, LlamaModel m, String storage, int genTokens, int seqLen) {
        LlamaConfig c = m.config();
        Generator g = new Generator(m);
        int[] prompt = {c.bosId()};
        int[] seq = new SplittableRandom(1).ints(Math.min(seqLen, c.maxSeqLen()), 0, c.vocabSize()).toArray();
        // warm-up (JIT)
        g.generate(prompt, Math.min(16, genTokens), Sampler.greedy(), null);
        m.forwardSequence(seq, (p, l, o) -> {});
        double bestGen = 0, bestSeq = 0, cpuGen = 0, cpuSeq = 0;
        for (int rep = 0; rep < 3; rep++) {
            long c0 = cpu(), t0 = System.nanoTime();
            Generator.Result r = g.generate(prompt, genTokens, new Sampler(1f, 1f, rep), null);
            long c1 = cpu(), t1 = System.nanoTime();
            m.forwardSequence(seq, (p, l, o) -> {});
            long c2 = cpu(), t2 = System.nanoTime();
            int n = r.generated().length;
            bestGen = Math.max(bestGen, n / ((t1 - t0) / 1e9));
            cpuGen = Math.max(cpuGen, n / ((c1 - c0) / 1e9));
            bestSeq = Math.max(bestSeq, seq.length / ((t2 - t1) / 1e9));
            cpuSeq = Math.max(cpuSeq, seq.length / ((c2 - c1) / 1e9));
        }
        System.gc();
        Runtime rt = Runtime.getRuntime();
        long heap = rt.totalMemory() - rt.freeMemory();
        System.out.printf(Locale.ROOT, "| %s | %s | %.2fM | %.1f | %.0f | %.1f | %.1f | %.1f | %.1f |%n", name, storage, params(c) / 1e6,
                m.weightBytes() / 1048576.0, heap / 1048576.0, bestGen, cpuGen, bestSeq, cpuSeq);
    }

    /** CPU time of the whole process (all threads), ns: a figure that does not depend on other load. */
    static long cpu() {
        var os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        return os instanceof com.sun.management.OperatingSystemMXBean o ? o.getProcessCpuTime() : System.nanoTime();
    }

    static long params(LlamaConfig c) {
        long perLayer = 2L * c.dim() + (long) c.qDim() * c.dim() * 2 + 2L * c.kvDim() * c.dim() + 3L * c.hiddenDim() * c.dim();
        return (long) c.vocabSize() * c.dim() * (c.tiedEmbeddings() ? 1 : 2) + c.nLayers() * perLayer + c.dim();
    }

    /** dim 768, hidden 2048, 12 layers, 12 heads (head 64), vocab 32000, untied, uniform random weights ~ 1/sqrt(in). */
    public static LlamaModel synthetic(DType storage, long seed) {
        LlamaConfig c = new LlamaConfig("llama", 768, 2048, 12, 12, 12, 64, 32000, 1024, 1e-5f, 10000f, null, false, false,
                false, 1, 2);
        SplittableRandom r = new SplittableRandom(seed);
        Rope rope = new Rope(c);
        List<DecoderBlock> blocks = new ArrayList<>();
        for (int l = 0; l < c.nLayers(); l++) {
            EnumMap<LinearKind, Linear> lin = new EnumMap<>(LinearKind.class);
            for (LinearKind k : LinearKind.values()) {
                int out = switch (k) {
                    case Q, K, V, O -> 768;
                    case GATE, UP -> 2048;
                    case DOWN -> 768;
                };
                int in = k == LinearKind.DOWN ? 2048 : 768;
                lin.put(k, DenseLinear.of(random(r, out * in, 1 / Math.sqrt(in)), out, in, storage));
            }
            blocks.add(new DecoderBlock(l, c, rope, ones(768), ones(768), lin, null, null, null));
        }
        return new LlamaModel(c, random(r, 32000 * 768, 1), blocks, ones(768),
                DenseLinear.of(random(r, 32000 * 768, 1 / Math.sqrt(768)), 32000, 768, storage));
    }

    static float[] random(SplittableRandom r, int n, double scale) {
        float[] a = new float[n];
        double s = scale * Math.sqrt(3);
        for (int i = 0; i < n; i++) a[i] = (float) (s * (2 * r.nextDouble() - 1));
        return a;
    }

    static float[] ones(int n) {
        float[] a = new float[n];
        java.util.Arrays.fill(a, 1f);
        return a;
    }

    static Path findData() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            Path d = p.resolve("shared").resolve("data");
            if (Files.isDirectory(d)) return d;
        }
        return null;
    }
}
