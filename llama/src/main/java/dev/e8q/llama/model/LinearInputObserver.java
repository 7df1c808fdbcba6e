package dev.e8q.llama.model;

/**
 * Sees the input batch of each linear group during {@link DecoderBlock#forwardSequence}, e.g. to accumulate
 * Hessians E[x xᵀ] for quantization. Called on the calling thread, once per group per block call, before the
 * group's linears run.
 */
@FunctionalInterface
public interface LinearInputObserver {
    /**
     * @param layer  block index
     * @param group  which linears read this input
     * @param inputs row-major rows × cols; valid only during the call (the block reuses it), do not modify
     * @param rows   number of token positions
     * @param cols   input features of the group's linears
     */
    void observe(int layer, LinearGroup group, float[] inputs, int rows, int cols);
}
