package dev.e8q.bench;

import dev.e8q.codec.E8Matrix;
import dev.e8q.codec.Parallel;
import dev.e8q.codec.kernel.E8Kernel;
import dev.e8q.convert.QuantizedLinear;
import dev.e8q.llama.Linear;
import dev.e8q.llama.LlamaConfig;
import dev.e8q.llama.generate.Generator;
import dev.e8q.llama.generate.Sampler;
import dev.e8q.llama.model.DType;
import dev.e8q.llama.model.DecoderBlock;
import dev.e8q.llama.model.DenseLinear;
import dev.e8q.llama.model.KvCache;
import dev.e8q.llama.model.LinearKind;
import dev.e8q.llama.model.LlamaModel;
import dev.e8q.llama.model.Rope;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * End-to-end generation speed of synthetic random-weight Llamas with every linear of the decoder blocks in
 * FP32, BF16 or e8q 2/3/4 bits (random codes; speed does not depend on the values). Embeddings and the
 * output layer stay dense: FP32 for the FP32 model, BF16 otherwise (vocab 32000 is no Hadamard size, and
 * QuIP# keeps lm_head in 16 bits too). {@code E8Qb_A8} runs the b-bit model with int8 activations
 * ({@link E8Kernel#int8Activations(boolean)}).
 *
 * <p>Every (model, storage) runs in its own child JVM ({@link ChildJvm}): run one after another in one JVM, the
 * e8q rows came out lower and noisier than in fresh JVMs. {@code --in-process} runs them all here instead.
 *
 * <p>Before measuring, each row repeats a generation and a prefill for at least {@code --warmup-seconds} (5 by
 * default). With one round, as before the twelfth session, C2 was still compiling the quantized path's glue
 * (QuantizedLinear, E8Kernel.multiply, Parallel.forRange; {@code -XX:+PrintCompilation}) during the measured rounds.
 * The longer warm-up does not remove the slow mode some rows fall into (docs/kernels.md, "End to end").
 *
 * <pre>java -Xmx16g --add-modules jdk.incubator.vector -cp bench/target-bench/benchmarks.jar dev.e8q.bench.E2eBench [110M|1B ...] [--tokens 32] [--storages F32,BF16,E8Q2,E8Q3,E8Q4,E8Q2_A8,...] [--warmup-seconds 5] [--kv-cache f32|f16] [--in-process]</pre>
 */
public final class E2eBench {
    public static void main(String[] args) throws Exception {
        List<String> sizes = new ArrayList<>();
        int tokens = 32;
        double warmupSeconds = 5;
        KvCache.Precision kv = KvCache.Precision.F32;
        List<String> storages = List.of("F32", "BF16", "E8Q2", "E8Q3", "E8Q4");
        boolean inProcess = false, child = false;
        try {
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--tokens" -> {
                        double t = number(args, ++i);
                        if (t != Math.rint(t) || t < 1 || t > 1_000_000)
                            throw new IllegalArgumentException("--tokens needs a whole number from 1 to 1000000, got " + args[i]);
                        tokens = (int) t;
                    }
                    case "--warmup-seconds" -> warmupSeconds = number(args, ++i);
                    case "--storages" -> storages = Arrays.asList(value(args, ++i).split(","));
                    case "--kv-cache" -> kv = KvCache.Precision.parse(value(args, ++i), "--kv-cache");
                    case "--in-process" -> inProcess = true;
                    case "--child" -> child = true;
                    default -> sizes.add(args[i]);
                }
            }
            if (!(warmupSeconds >= 0) || Double.isInfinite(warmupSeconds))
                throw new IllegalArgumentException("--warmup-seconds must be 0 or more, got " + warmupSeconds);
        } catch (IllegalArgumentException e) {
            System.err.println("E2eBench: " + e.getMessage());
            System.exit(2);
        }
        if (sizes.isEmpty()) sizes = List.of("110M", "1B");
        try {
            for (String size : sizes) config(size); // reject a bad size before any run
        } catch (IllegalArgumentException e) {
            System.err.println("E2eBench: " + e.getMessage());
            System.exit(2);
        }
        if (!child) {
            System.out.printf(Locale.ROOT, "threads=%d, %d generated tokens, %s KV cache, best of 3 after %s s of warm-up, %s%n",
                    Parallel.threads(), tokens, kv.name().toLowerCase(Locale.ROOT), fmt(warmupSeconds), inProcess ? "all in this JVM" : "one child JVM per row");
            System.out.println("| model | linears | lm_head | params | weight MiB | generate tok/s (best) | median | prefill 64 tok/s (best) |");
            System.out.println("|---|---|---|---:|---:|---:|---:|---:|");
        }
        for (String size : sizes) {
            LlamaConfig c = config(size);
            for (String st : storages) {
                if (!inProcess && !child) {
                    ChildJvm.run(E2eBench.class, List.of(size, "--tokens", String.valueOf(tokens), "--storages", st,
                                    "--warmup-seconds", fmt(warmupSeconds), "--kv-cache", kv.name(), "--child"),
                            size + " " + st, l -> {
                                if (!l.startsWith("WARNING")) System.out.println(l);
                            });
                    continue;
                }
                LlamaModel m = build(c, st, 42);
                // E8Qb_A8: the same b-bit model with int8 activations in its matrix-vector products
                E8Kernel.int8Activations(st.endsWith("_A8"));
                try {
                    run(size, st, m, tokens, warmupSeconds, kv);
                } finally {
                    E8Kernel.int8Activations(false);
                }
                m = null;
                System.gc();
            }
        }
    }

    static LlamaConfig config(String size) {
        return switch (size) {
            // llama2.c-style 110M: dim 768, hidden 2048, 12 layers, 12 heads, vocab 32000
            case "110M" -> new LlamaConfig("llama", 768, 2048, 12, 12, 12, 64, 32000, 512, 1e-5f, 10000f, null, false, false, false, 1, 2);
            // ~0.94B: dim 2048, hidden 5504 (= 172·32, a Hadamard size), 16 layers, 16 heads, vocab 32000
            case "1B" -> new LlamaConfig("llama", 2048, 5504, 16, 16, 16, 128, 32000, 512, 1e-5f, 10000f, null, false, false, false, 1, 2);
            default -> throw new IllegalArgumentException("size must be 110M or 1B, got " + size);
        };
    }

    static LlamaModel build(LlamaConfig c, String storage, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        Rope rope = new Rope(c);
        int d = c.dim(), h = c.hiddenDim();
        DType head = storage.equals("F32") ? DType.F32 : DType.BF16;
        List<DecoderBlock> blocks = new ArrayList<>();
        for (int l = 0; l < c.nLayers(); l++) {
            EnumMap<LinearKind, Linear> lin = new EnumMap<>(LinearKind.class);
            for (LinearKind k : LinearKind.values()) {
                int out = switch (k) {
                    case Q -> c.qDim();
                    case K, V -> c.kvDim();
                    case O, DOWN -> d;
                    case GATE, UP -> h;
                };
                int in = switch (k) {
                    case O -> c.qDim();
                    case DOWN -> h;
                    default -> d;
                };
                lin.put(k, linear(storage, out, in, r));
            }
            blocks.add(new DecoderBlock(l, c, rope, ones(d), ones(d), lin, null, null, null));
        }
        return new LlamaModel(c, random(r, c.vocabSize() * d, 1), blocks, ones(d),
                DenseLinear.of(random(r, c.vocabSize() * d, 1 / Math.sqrt(d)), c.vocabSize(), d, head));
    }

    static Linear linear(String storage, int out, int in, SplittableRandom r) {
        return switch (storage) {
            case "F32" -> DenseLinear.of(random(r, out * in, 1 / Math.sqrt(in)), out, in, DType.F32);
            case "BF16" -> DenseLinear.of(random(r, out * in, 1 / Math.sqrt(in)), out, in, DType.BF16);
            case "E8Q2", "E8Q3", "E8Q4", "E8Q2_A8", "E8Q3_A8", "E8Q4_A8" -> {
                int bits = storage.charAt(3) - '0';
                long[] q = new long[Math.toIntExact((long) out * (in / 32) * bits / 2)];
                for (int i = 0; i < q.length; i++) q[i] = r.nextLong();
                float[] su = new float[in], sv = new float[out];
                for (int i = 0; i < in; i++) su[i] = r.nextBoolean() ? 1f : -1f;
                // Ŵr entries are O(1) codebook units; scale rows so that outputs stay O(1)
                float s = (float) (1 / Math.sqrt(in));
                for (int i = 0; i < out; i++) sv[i] = r.nextBoolean() ? s : -s;
                yield QuantizedLinear.of(E8Matrix.fromQidxs(out, in, bits, q, su, sv, 0));
            }
            default -> throw new IllegalArgumentException("storage " + storage);
        };
    }

    private static String value(String[] args, int i) {
        if (i >= args.length) throw new IllegalArgumentException(args[i - 1] + " needs a value");
        return args[i];
    }

    private static double number(String[] args, int i) {
        String v = value(args, i);
        try {
            return Double.parseDouble(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(args[i - 1] + " needs a number, got " + v);
        }
    }

    private static String fmt(double v) {
        return v == Math.rint(v) ? String.valueOf((long) v) : String.valueOf(v);
    }

    static void run(String size, String storage, LlamaModel m, int tokens, double warmupSeconds, KvCache.Precision kv) {
        LlamaConfig c = m.config();
        Generator g = new Generator(m, kv);
        int[] prompt = {c.bosId()};
        int[] seq = new SplittableRandom(1).ints(64, 0, c.vocabSize()).toArray();
        // JIT warm-up of both paths, for a minimum time and at least once: in a fresh JVM a first prefill ran mostly
        // before its batched kernels were compiled, and after a single round C2 was still compiling the glue of the
        // quantized path
        long warmEnd = System.nanoTime() + (long) (warmupSeconds * 1e9);
        do {
            g.generate(prompt, tokens, Sampler.greedy(), null);
            m.forwardSequence(seq, (p, l, o) -> {});
        } while (System.nanoTime() < warmEnd);
        double[] gen = new double[3];
        double bestSeq = 0;
        for (int rep = 0; rep < 3; rep++) {
            long t0 = System.nanoTime();
            Generator.Result res = g.generate(prompt, tokens, new Sampler(1f, 1f, rep), null);
            long t1 = System.nanoTime();
            gen[rep] = res.generated().length / ((t1 - t0) / 1e9);
            long s0 = System.nanoTime();
            m.forwardSequence(seq, (p, l, o) -> {});
            bestSeq = Math.max(bestSeq, seq.length / ((System.nanoTime() - s0) / 1e9));
        }
        Arrays.sort(gen);
        System.out.printf(Locale.ROOT, "| %s | %s | %s | %.0fM | %.0f | %.1f | %.1f | %.1f |%n", size, storage,
                storage.equals("F32") ? "FP32" : "BF16", params(c) / 1e6, m.weightBytes() / 1048576.0, gen[2], gen[1], bestSeq);
    }

    static long params(LlamaConfig c) {
        long perLayer = (long) c.qDim() * c.dim() * 2 + 2L * c.kvDim() * c.dim() + 3L * c.hiddenDim() * c.dim();
        return 2L * c.vocabSize() * c.dim() + c.nLayers() * perLayer;
    }

    static float[] random(SplittableRandom r, int n, double scale) {
        float[] a = new float[n];
        double s = scale * Math.sqrt(3);
        for (int i = 0; i < n; i++) a[i] = (float) (s * (2 * r.nextDouble() - 1));
        return a;
    }

    static float[] ones(int n) {
        float[] a = new float[n];
        Arrays.fill(a, 1f);
        return a;
    }
}
