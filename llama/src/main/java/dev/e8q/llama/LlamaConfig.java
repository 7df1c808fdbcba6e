package dev.e8q.llama;

/**
 * Shape and hyper-parameters of a Llama-class decoder.
 *
 * @param architecture  e.g. "llama", "mistral", "qwen2", "llama2c"
 * @param ropeInterleaved true for llama2.c's adjacent-pair RoPE (2i, 2i+1); false for Hugging Face's
 *                      rotate_half layout (i, i + headDim/2)
 * @param ropeScaling   null, or Llama 3 style frequency scaling
 * @param attentionBias true when q/k/v projections carry biases (Qwen2)
 * @param slidingWindow 0 for full causal attention; otherwise W &gt; 0, and the query at position i attends to the keys
 *                      at positions i − W + 1 … i only (Mistral's {@code sliding_window}, with Hugging Face's mask)
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
        int eosId,
        int slidingWindow) {

    /** Full causal attention (no sliding window). */
    public LlamaConfig(String architecture, int dim, int hiddenDim, int nLayers, int nHeads, int nKvHeads, int headDim,
            int vocabSize, int maxSeqLen, float normEps, float ropeTheta, RopeScaling ropeScaling, boolean ropeInterleaved,
            boolean tiedEmbeddings, boolean attentionBias, int bosId, int eosId) {
        this(architecture, dim, hiddenDim, nLayers, nHeads, nKvHeads, headDim, vocabSize, maxSeqLen, normEps, ropeTheta,
                ropeScaling, ropeInterleaved, tiedEmbeddings, attentionBias, bosId, eosId, 0);
    }

    /** Llama 3 "rope_type: llama3" scaling parameters. */
    public record RopeScaling(float factor, float lowFreqFactor, float highFreqFactor, int originalMaxPositions) {}

    public int kvDim() {
        return nKvHeads * headDim;
    }

    public int qDim() {
        return nHeads * headDim;
    }

    /**
     * The first key position that a query sees when it sees positions 0 … n−1 causally: 0 for full attention,
     * max(0, n − W) with a sliding window of W.
     */
    public int firstAttended(int n) {
        return firstAttended(n, slidingWindow);
    }

    /** {@link #firstAttended(int)} for a window of w positions (0: full attention): the one definition of the mask. */
    public static int firstAttended(int n, int w) {
        return w > 0 ? Math.max(0, n - w) : 0;
    }

    /** This configuration with another context length (everything else kept). */
    public LlamaConfig withMaxSeqLen(int n) {
        return new LlamaConfig(architecture, dim, hiddenDim, nLayers, nHeads, nKvHeads, headDim, vocabSize, n, normEps,
                ropeTheta, ropeScaling, ropeInterleaved, tiedEmbeddings, attentionBias, bosId, eosId, slidingWindow);
    }

    /** This configuration with the other RoPE pair layout (everything else kept). */
    public LlamaConfig withRopeInterleaved(boolean interleaved) {
        return new LlamaConfig(architecture, dim, hiddenDim, nLayers, nHeads, nKvHeads, headDim, vocabSize, maxSeqLen,
                normEps, ropeTheta, ropeScaling, interleaved, tiedEmbeddings, attentionBias, bosId, eosId, slidingWindow);
    }

    /** This configuration with a sliding window of w positions (0: full attention). */
    public LlamaConfig withSlidingWindow(int w) {
        return new LlamaConfig(architecture, dim, hiddenDim, nLayers, nHeads, nKvHeads, headDim, vocabSize, maxSeqLen,
                normEps, ropeTheta, ropeScaling, ropeInterleaved, tiedEmbeddings, attentionBias, bosId, eosId, w);
    }

    public LlamaConfig {
        if (dim <= 0 || hiddenDim <= 0 || nLayers <= 0 || nHeads <= 0 || nKvHeads <= 0 || headDim <= 0
                || vocabSize <= 0 || maxSeqLen <= 0) {
            throw new IllegalArgumentException("non-positive dimension in config: dim=" + dim + " hiddenDim="
                    + hiddenDim + " nLayers=" + nLayers + " nHeads=" + nHeads + " nKvHeads=" + nKvHeads
                    + " headDim=" + headDim + " vocabSize=" + vocabSize + " maxSeqLen=" + maxSeqLen);
        }
        if (slidingWindow < 0) throw new IllegalArgumentException("negative sliding window " + slidingWindow);
        if (nHeads % nKvHeads != 0) {
            throw new IllegalArgumentException("nHeads " + nHeads + " is not a multiple of nKvHeads " + nKvHeads);
        }
    }
}
