package dev.e8q.llama.model;

import dev.e8q.llama.LlamaConfig;
import dev.e8q.llama.WeightSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/** An in-memory checkpoint with random weights under Hugging Face names. */
final class MapWeightSource implements WeightSource {
    final LlamaConfig config;
    final Map<String, float[]> tensors = new LinkedHashMap<>();
    final Map<String, long[]> shapes = new LinkedHashMap<>();

    MapWeightSource(LlamaConfig c, long seed) {
        this.config = c;
        SplittableRandom r = new SplittableRandom(seed);
        put("model.embed_tokens.weight", r, 1.0, c.vocabSize(), c.dim());
        for (int l = 0; l < c.nLayers(); l++) {
            String p = "model.layers." + l + ".";
            norm(p + "input_layernorm.weight", r, c.dim());
            norm(p + "post_attention_layernorm.weight", r, c.dim());
            for (LinearKind k : LinearKind.values()) {
                int[] s = LlamaModel.expectedShape(c, k);
                put(k.weightName(l), r, 1.0 / Math.sqrt(s[1]), s[0], s[1]);
                if (c.attentionBias() && k.group() == LinearGroup.QKV) put(k.biasName(l), r, 0.5, s[0]);
            }
        }
        norm("model.norm.weight", r, c.dim());
        if (!c.tiedEmbeddings()) put("lm_head.weight", r, 1.0 / Math.sqrt(c.dim()), c.vocabSize(), c.dim());
    }

    private void norm(String name, SplittableRandom r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (1 + 0.3 * (r.nextDouble() * 2 - 1));
        tensors.put(name, a);
        shapes.put(name, new long[] {n});
    }

    private void put(String name, SplittableRandom r, double scale, int... shape) {
        int n = 1;
        for (int d : shape) n *= d;
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (scale * Math.sqrt(3) * (r.nextDouble() * 2 - 1));
        tensors.put(name, a);
        long[] s = new long[shape.length];
        for (int i = 0; i < shape.length; i++) s[i] = shape[i];
        shapes.put(name, s);
    }

    @Override
    public LlamaConfig config() {
        return config;
    }

    @Override
    public List<String> names() {
        return new ArrayList<>(tensors.keySet());
    }

    @Override
    public boolean has(String name) {
        return tensors.containsKey(name);
    }

    @Override
    public long[] shape(String name) {
        if (!has(name)) throw new IllegalArgumentException("no tensor " + name);
        return shapes.get(name).clone();
    }

    @Override
    public float[] read(String name) {
        if (!has(name)) throw new IllegalArgumentException("no tensor " + name);
        return tensors.get(name).clone();
    }

    @Override
    public void close() {}
}
