package dev.e8q.llama.model;

import dev.e8q.llama.LlamaConfig;

/** One generation stream: the KV cache and the scratch buffers of the token-at-a-time forward pass. */
public final class ModelState {
    final LlamaModel model;
    final KvCache cache;
    final float[] x, xb, q, k, v, att, hb, hb2, scores, logits, cos, sin;

    ModelState(LlamaModel model, int capacity, KvCache.Precision kv) {
        LlamaConfig c = model.config();
        this.model = model;
        int cap = Math.min(capacity, c.maxSeqLen());
        this.cache = new KvCache(c.nLayers(), cap, c.nKvHeads(), c.headDim(), kv);
        x = new float[c.dim()];
        xb = new float[c.dim()];
        q = new float[c.qDim()];
        k = new float[c.kvDim()];
        v = new float[c.kvDim()];
        att = new float[c.qDim()];
        hb = new float[c.hiddenDim()];
        hb2 = new float[c.hiddenDim()];
        scores = new float[c.nHeads() * cap];
        logits = new float[c.vocabSize()];
        cos = new float[c.headDim() / 2];
        sin = new float[c.headDim() / 2];
    }

    public LlamaModel model() {
        return model;
    }

    public KvCache cache() {
        return cache;
    }

    public int capacity() {
        return cache.capacity();
    }

    /** Runs token at position pos (all positions before it must have run) and returns the logits (reused buffer). */
    public float[] forward(int token, int pos) {
        return model.forward(this, token, pos);
    }

    /**
     * Runs tokens at positions pos0.. with the batched kernels, fills the cache, and returns the logits of the
     * last token (reused buffer).
     */
    public float[] prefill(int[] tokens, int pos0) {
        return model.prefill(this, tokens, pos0);
    }
}
