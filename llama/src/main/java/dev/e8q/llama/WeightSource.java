package dev.e8q.llama;

import java.io.IOException;
import java.util.List;

/**
 * Read access to a checkpoint's tensors under Hugging Face Llama names
 * ("model.embed_tokens.weight", "model.layers.3.self_attn.q_proj.weight", "model.norm.weight",
 * "lm_head.weight", ...). Readers of other formats (llama2.c) translate their names to these.
 * Tensors are converted to float on access; the source may be memory-mapped and lazy.
 */
public interface WeightSource extends AutoCloseable {
    LlamaConfig config();

    List<String> names();

    boolean has(String name);

    /** Shape, outermost dimension first. Throws {@link IllegalArgumentException} naming a missing tensor. */
    long[] shape(String name);

    /** The whole tensor as float, row-major. */
    float[] read(String name) throws IOException;

    @Override
    void close() throws IOException;
}
