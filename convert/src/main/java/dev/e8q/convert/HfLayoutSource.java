package dev.e8q.convert;

import dev.e8q.llama.LlamaConfig;
import dev.e8q.llama.WeightSource;
import dev.e8q.llama.io.RopePermutation;
import java.io.IOException;
import java.util.List;

/**
 * The source checkpoint as the converter sees it: always in Hugging Face rotate_half RoPE layout (a llama2.c
 * model's q/k rows are permuted per head with {@link RopePermutation}, which leaves every q·k, hence the model's
 * outputs, unchanged), and every tensor checked for NaN/Inf on read, with an error naming the tensor.
 */
final class HfLayoutSource implements WeightSource {
    private final WeightSource src;
    private final LlamaConfig config;
    private final boolean permute;

    HfLayoutSource(WeightSource src) {
        this.src = src;
        LlamaConfig c = src.config();
        this.permute = c.ropeInterleaved();
        this.config = c.withRopeInterleaved(false);
    }

    /** True when the source used llama2.c's interleaved RoPE and q/k rows are being permuted. */
    boolean permuted() {
        return permute;
    }

    @Override
    public LlamaConfig config() {
        return config;
    }

    @Override
    public List<String> names() {
        return src.names();
    }

    @Override
    public boolean has(String name) {
        return src.has(name);
    }

    @Override
    public long[] shape(String name) {
        return src.shape(name);
    }

    @Override
    public float[] read(String name) throws IOException {
        float[] v = src.read(name);
        for (int i = 0; i < v.length; i++) {
            if (!Float.isFinite(v[i])) {
                throw new IllegalArgumentException("tensor " + name + " holds a non-finite value (" + v[i] + ") at flat index " + i
                        + "; refusing to quantize a broken checkpoint");
            }
        }
        if (!permute) return v;
        boolean q = name.endsWith("self_attn.q_proj.weight") || name.endsWith("self_attn.q_proj.bias");
        boolean k = name.endsWith("self_attn.k_proj.weight") || name.endsWith("self_attn.k_proj.bias");
        if (!q && !k) return v;
        int heads = q ? config.nHeads() : config.nKvHeads();
        return RopePermutation.interleavedToHalf(v, heads, config.headDim(), v.length / (heads * config.headDim()));
    }

    @Override
    public void close() throws IOException {
        src.close();
    }
}
