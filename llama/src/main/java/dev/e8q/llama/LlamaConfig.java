package dev.e8q.llama;

/**
 * Shape and hyper-parameters of a Llama-class decoder.
 *
 * @param architecture  e.g. "llama", "mistral", "qwen2", "llama2c"
 * @param ropeInterleaved true for llama2.c's adjacent-pair RoPE (2i, 2i+1); false for Hugging Face's
 *                      rotate_half layout (i, i + headDim/2)
 * @param ropeScaling   null, or Llama 3 style frequency scaling
 * @param attentionBias true when q/k/v projections carry biases (Qwen2)
 */
public record LlamaConfig(
        String architecture,
        int dim,
        int hiddenDim,
        int nLayers,
        int nHeads,
        int nKvHeads,
        int headDim,
        int vocabSize,
        int maxSeqLen,
        float normEps,
        float ropeTheta,
        RopeScaling ropeScaling,
        boolean ropeInterleaved,
        boolean tiedEmbeddings,
        boolean attentionBias,
        int bosId,
        int eosId) {

    /** Llama 3 "rope_type: llama3" scaling parameters. */
    public record RopeScaling(float factor, float lowFreqFactor, float highFreqFactor, int originalMaxPositions) {}

    public int kvDim() {
        return nKvHeads * headDim;
    }

    public int qDim() {
        return nHeads * headDim;
    }

    public LlamaConfig {
        if (dim <= 0 || hiddenDim <= 0 || nLayers <= 0 || nHeads <= 0 || nKvHeads <= 0 || headDim <= 0
                || vocabSize <= 0 || maxSeqLen <= 0) {
            throw new IllegalArgumentException("non-positive dimension in config: dim=" + dim + " hiddenDim="
                    + hiddenDim + " nLayers=" + nLayers + " nHeads=" + nHeads + " nKvHeads=" + nKvHeads
                    + " headDim=" + headDim + " vocabSize=" + vocabSize + " maxSeqLen=" + maxSeqLen);
        }
        if (nHeads % nKvHeads != 0) {
            throw new IllegalArgumentException("nHeads " + nHeads + " is not a multiple of nKvHeads " + nKvHeads);
        }
    }
}
