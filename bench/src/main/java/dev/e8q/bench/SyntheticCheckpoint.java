package dev.e8q.bench;

import dev.e8q.llama.LlamaConfig;
import dev.e8q.llama.WeightSource;
import dev.e8q.llama.io.ExportHf;
import dev.e8q.llama.tokenizer.Llama2cToHf;
import dev.e8q.llama.tokenizer.Llama2cTokenizer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Writes a Hugging Face Llama directory (config.json, F32 model.safetensors) with random weights, for measuring
 * conversion and inference on shapes the test models do not have: linear weights and embeddings N(0, 0.02²) like a
 * freshly initialized Llama, norms 1. Each tensor is drawn from its own seed (the run's seed and the tensor's name), so
 * the same arguments write the same bytes, and only one tensor is in memory at a time.
 *
 * <pre>java -cp bench/target-bench/benchmarks.jar dev.e8q.bench.SyntheticCheckpoint OUT_DIR
 *     [--dim 768] [--hidden 2048] [--layers 6] [--heads 12] [--kv-heads HEADS] [--vocab 32000] [--seed 7]
 *     [--tokenizer tokenizer.bin (llama2.c; copied in and converted to tokenizer.json)]</pre>
 */
public final class SyntheticCheckpoint {
    private SyntheticCheckpoint() {}

    public static void main(String[] a) throws IOException {
        Map<String, String> opt = new LinkedHashMap<>(Map.of("--dim", "768", "--hidden", "2048", "--layers", "6", "--heads", "12",
                "--vocab", "32000", "--seed", "7"));
        Path out = null, tokenizer = null;
        LlamaConfig c;
        long seed;
        try {
            for (int i = 0; i < a.length; i++) {
                if (a[i].equals("--tokenizer") && i + 1 < a.length) tokenizer = Path.of(a[++i]);
                else if ((opt.containsKey(a[i]) || a[i].equals("--kv-heads")) && i + 1 < a.length) opt.put(a[i], a[++i]);
                else if (!a[i].startsWith("--") && out == null) out = Path.of(a[i]);
                else throw new IllegalArgumentException("unknown or incomplete argument '" + a[i] + "'");
            }
            if (out == null) throw new IllegalArgumentException("no output directory given");
            int dim = positive(opt, "--dim"), hidden = positive(opt, "--hidden"), layers = positive(opt, "--layers");
            int heads = positive(opt, "--heads"), kv = opt.containsKey("--kv-heads") ? positive(opt, "--kv-heads") : heads;
            if (dim % heads != 0 || heads % kv != 0)
                throw new IllegalArgumentException("--dim must be a multiple of --heads, and --heads of --kv-heads");
            seed = Long.parseLong(opt.get("--seed"));
            c = new LlamaConfig("llama", dim, hidden, layers, heads, kv, dim / heads, positive(opt, "--vocab"), 2048, 1e-5f, 10000f,
                    null, false, false, false, 1, 2);
        } catch (IllegalArgumentException e) {
            System.err.println("SyntheticCheckpoint: " + e.getMessage());
            System.err.println("usage: SyntheticCheckpoint OUT_DIR [--dim N] [--hidden N] [--layers N] [--heads N] [--kv-heads N]"
                    + " [--vocab N] [--seed S] [--tokenizer llama2c-tokenizer.bin]");
            System.exit(2);
            return;
        }
        ExportHf.export(new RandomWeights(c, seed), out);
        if (tokenizer != null) {
            Llama2cTokenizer tok = Llama2cTokenizer.load(tokenizer);
            ExportHf.copyTokenizer(tokenizer, out, "tokenizer.bin");
            Llama2cToHf.write(tok, out);
        }
        long params = 0;
        RandomWeights w = new RandomWeights(c, seed);
        for (String n : w.names()) {
            long p = 1;
            for (long s : w.shape(n)) p *= s;
            params += p;
        }
        System.out.printf("wrote %s: dim %d, hidden %d, %d layers, %d/%d heads, vocab %d, %.1f M parameters%n", out, c.dim(),
                c.hiddenDim(), c.nLayers(), c.nHeads(), c.nKvHeads(), c.vocabSize(), params / 1e6);
    }

    private static int positive(Map<String, String> opt, String key) {
        int v;
        try {
            v = Integer.parseInt(opt.get(key));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " must be an integer, got '" + opt.get(key) + "'");
        }
        if (v <= 0) throw new IllegalArgumentException(key + " must be positive, got " + v);
        return v;
    }

    /** Every tensor of an untied Llama in the Hugging Face layout, drawn on demand. */
    private record RandomWeights(LlamaConfig c, long seed) implements WeightSource {
        @Override
        public LlamaConfig config() {
            return c;
        }

        @Override
        public List<String> names() {
            List<String> n = new ArrayList<>(List.of("model.embed_tokens.weight"));
            for (int i = 0; i < c.nLayers(); i++)
                for (String t : List.of("input_layernorm", "self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj",
                        "post_attention_layernorm", "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj"))
                    n.add("model.layers." + i + "." + t + ".weight");
            n.add("model.norm.weight");
            n.add("lm_head.weight");
            return n;
        }

        @Override
        public boolean has(String name) {
            return names().contains(name);
        }

        @Override
        public long[] shape(String name) {
            long d = c.dim(), q = c.qDim(), kv = c.kvDim(), h = c.hiddenDim();
            if (name.endsWith("layernorm.weight") || name.equals("model.norm.weight")) return new long[] {d};
            if (name.equals("model.embed_tokens.weight") || name.equals("lm_head.weight")) return new long[] {c.vocabSize(), d};
            if (name.endsWith("q_proj.weight")) return new long[] {q, d};
            if (name.endsWith("k_proj.weight") || name.endsWith("v_proj.weight")) return new long[] {kv, d};
            if (name.endsWith("o_proj.weight")) return new long[] {d, q};
            if (name.endsWith("gate_proj.weight") || name.endsWith("up_proj.weight")) return new long[] {h, d};
            if (name.endsWith("down_proj.weight")) return new long[] {d, h};
            throw new IllegalArgumentException("no tensor " + name);
        }

        @Override
        public float[] read(String name) {
            long[] s = shape(name);
            float[] v = new float[Math.toIntExact(s.length == 1 ? s[0] : s[0] * s[1])];
            if (s.length == 1) {
                java.util.Arrays.fill(v, 1f);
                return v;
            }
            SplittableRandom r = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + name.hashCode());
            for (int i = 0; i < v.length; i++) v[i] = (float) (0.02 * r.nextGaussian());
            return v;
        }

        @Override
        public void close() {}
    }
}
