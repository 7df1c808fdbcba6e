package dev.e8q.llama.model;

import dev.e8q.llama.Linear;
import dev.e8q.llama.LlamaConfig;
import dev.e8q.llama.WeightSource;
import java.io.IOException;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Objects;

/**
 * A Llama-class decoder: token embedding (float), decoder blocks, final RMSNorm, lm_head.
 *
 * <p>Two ways to run it: {@link #forward(ModelState, int, int)} one token at a time against a KV cache (generation),
 * and {@link #forwardSequence(int[], LogitsConsumer)} over a whole sequence with the batched linears
 * (perplexity, calibration). The pieces of the latter are public: {@link #embed}, {@link DecoderBlock#forwardSequence},
 * {@link #logitsFromHidden}.
 */
public final class LlamaModel {
    private final LlamaConfig config;
    private final float[] embedding;
    private final List<DecoderBlock> blocks;
    private final float[] finalNorm;
    private final Rope rope;
    private Linear lmHead;

    /** Receives the logits row predicting position pos+1, at logits[off .. off+vocab). Valid during the call only. */
    @FunctionalInterface
    public interface LogitsConsumer {
        void accept(int pos, float[] logits, int off);
    }

    public LlamaModel(LlamaConfig config, float[] embedding, List<DecoderBlock> blocks, float[] finalNorm, Linear lmHead) {
        this.config = Objects.requireNonNull(config, "config");
        if ((long) config.vocabSize() * config.dim() != embedding.length) {
            throw new IllegalArgumentException("embedding length " + embedding.length + " != vocab " + config.vocabSize()
                    + " x dim " + config.dim());
        }
        if (blocks.size() != config.nLayers()) {
            throw new IllegalArgumentException(blocks.size() + " blocks for nLayers=" + config.nLayers());
        }
        if (finalNorm.length != config.dim()) throw new IllegalArgumentException("final norm length " + finalNorm.length);
        this.embedding = embedding;
        this.blocks = List.copyOf(blocks);
        this.finalNorm = finalNorm;
        this.rope = blocks.isEmpty() ? new Rope(config) : blocks.get(0).rope();
        setLmHead(lmHead);
    }

    /**
     * Builds the model from Hugging Face tensor names. Linears are {@link DenseLinear}s in {@code storage};
     * the embedding and norms stay float. Without "lm_head.weight" (tied) the embedding doubles as lm_head; without
     * "model.embed_tokens.weight" lm_head doubles as the embedding.
     */
    public static LlamaModel load(WeightSource ws, DType storage) throws IOException {
        LlamaConfig c = ws.config();
        String embName = "model.embed_tokens.weight", headName = "lm_head.weight";
        float[] emb = read(ws, ws.has(embName) ? embName : headName, c.vocabSize(), c.dim());
        Rope rope = new Rope(c);
        List<DecoderBlock> blocks = new ArrayList<>(c.nLayers());
        for (int l = 0; l < c.nLayers(); l++) {
            String p = "model.layers." + l + ".";
            EnumMap<LinearKind, Linear> lin = new EnumMap<>(LinearKind.class);
            for (LinearKind k : LinearKind.values()) {
                int[] s = expectedShape(c, k);
                lin.put(k, DenseLinear.of(read(ws, k.weightName(l), s[0], s[1]), s[0], s[1], storage));
            }
            float[][] bias = new float[3][];
            LinearKind[] qkv = {LinearKind.Q, LinearKind.K, LinearKind.V};
            for (int i = 0; i < 3; i++) {
                String bn = qkv[i].biasName(l);
                if (ws.has(bn)) bias[i] = read(ws, bn, expectedShape(c, qkv[i])[0], 1);
                else if (c.attentionBias()) throw new IllegalArgumentException("config has attention bias but " + bn + " is missing");
            }
            blocks.add(new DecoderBlock(l, c, rope, read(ws, p + "input_layernorm.weight", c.dim(), 1),
                    read(ws, p + "post_attention_layernorm.weight", c.dim(), 1), lin, bias[0], bias[1], bias[2]));
        }
        float[] norm = read(ws, "model.norm.weight", c.dim(), 1);
        // Tied (or only one of the two stored): lm_head shares the embedding; otherwise its own tensor.
        boolean separate = !c.tiedEmbeddings() && ws.has(headName) && ws.has(embName);
        float[] headW = separate ? read(ws, headName, c.vocabSize(), c.dim()) : emb;
        Linear head = DenseLinear.of(headW, c.vocabSize(), c.dim(), storage);
        return new LlamaModel(c, emb, blocks, norm, head);
    }

    static int[] expectedShape(LlamaConfig c, LinearKind k) {
        return switch (k) {
            case Q -> new int[] {c.qDim(), c.dim()};
            case K, V -> new int[] {c.kvDim(), c.dim()};
            case O -> new int[] {c.dim(), c.qDim()};
            case GATE, UP -> new int[] {c.hiddenDim(), c.dim()};
            case DOWN -> new int[] {c.dim(), c.hiddenDim()};
        };
    }

    private static float[] read(WeightSource ws, String name, int rows, int cols) throws IOException {
        if (!ws.has(name)) throw new IllegalArgumentException("checkpoint has no tensor " + name);
        float[] a = ws.read(name);
        if ((long) rows * cols != a.length) {
            throw new IllegalArgumentException("tensor " + name + " has " + a.length + " values, want " + rows + "x" + cols);
        }
        return a;
    }

    public LlamaConfig config() {
        return config;
    }

    /** vocab × dim, row-major (live array). */
    public float[] embedding() {
        return embedding;
    }

    public List<DecoderBlock> blocks() {
        return blocks;
    }

    public DecoderBlock block(int layer) {
        return blocks.get(layer);
    }

    /** Final RMSNorm weight (live array). */
    public float[] finalNorm() {
        return finalNorm;
    }

    public Rope rope() {
        return rope;
    }

    public Linear lmHead() {
        return lmHead;
    }

    public void setLmHead(Linear head) {
        Objects.requireNonNull(head, "lmHead");
        if (head.outFeatures() != config.vocabSize() || head.inFeatures() != config.dim()) {
            throw new IllegalArgumentException("lm_head is " + head.outFeatures() + "x" + head.inFeatures() + ", want "
                    + config.vocabSize() + "x" + config.dim());
        }
        this.lmHead = head;
    }

    /** Bytes of parameters held (embedding and norms as float, linears as stored; a tied head counted again). */
    public long weightBytes() {
        long b = 4L * embedding.length + 4L * finalNorm.length + lmHead.weightBytes();
        for (DecoderBlock blk : blocks) b += blk.weightBytes();
        return b;
    }

    // ---------------------------------------------------------------- token at a time

    /** A fresh stream whose FP32 KV cache holds min(capacity, maxSeqLen) positions. */
    public ModelState newState(int capacity) {
        return newState(capacity, KvCache.Precision.F32);
    }

    /** A fresh stream whose KV cache holds min(capacity, maxSeqLen) positions at the given precision. */
    public ModelState newState(int capacity, KvCache.Precision kv) {
        return new ModelState(this, capacity, kv);
    }

    public ModelState newState() {
        return newState(config.maxSeqLen());
    }

    /** Logits (the state's reused buffer) after running token at position pos. */
    public float[] forward(ModelState s, int token, int pos) {
        checkToken(token);
        s.cache.checkPosition(pos, 1);
        int dim = config.dim();
        System.arraycopy(embedding, token * dim, s.x, 0, dim);
        rope.table(pos, s.cos, s.sin, 0);
        for (DecoderBlock b : blocks) b.forwardToken(s.x, pos, s);
        Ops.rmsnorm(s.xb, 0, s.x, 0, finalNorm, dim, config.normEps());
        lmHead.forward(s.xb, 0, s.logits, 0);
        return s.logits;
    }

    /** Runs tokens at pos0.. with the batched path into the state's cache; logits of the last one. */
    public float[] prefill(ModelState s, int[] tokens, int pos0) {
        if (tokens.length == 0) throw new IllegalArgumentException("nothing to prefill");
        s.cache.checkPosition(pos0, tokens.length);
        int T = tokens.length, dim = config.dim();
        float[] x = hiddenThroughCache(tokens, pos0, s.cache);
        Ops.rmsnorm(s.xb, 0, x, (T - 1) * dim, finalNorm, dim, config.normEps());
        lmHead.forward(s.xb, 0, s.logits, 0);
        return s.logits;
    }

    private void checkToken(int token) {
        if (token < 0 || token >= config.vocabSize()) {
            throw new IllegalArgumentException("token id " + token + " outside [0, " + config.vocabSize() + ")");
        }
    }

    // ---------------------------------------------------------------- whole sequence

    /** The T × dim residual stream at the input of block 0. */
    public float[] embed(int[] tokens) {
        int dim = config.dim();
        float[] x = new float[Math.multiplyExact(tokens.length, dim)];
        for (int t = 0; t < tokens.length; t++) {
            checkToken(tokens[t]);
            System.arraycopy(embedding, tokens[t] * dim, x, t * dim, dim);
        }
        return x;
    }

    /** Runs all blocks over positions 0..T-1; returns the T × dim hidden states before the final norm. */
    public float[] hiddenSequence(int[] tokens, LinearInputObserver obs) {
        float[] x = embed(tokens);
        for (DecoderBlock b : blocks) b.forwardSequence(x, tokens.length, obs);
        return x;
    }

    /**
     * {@link #hiddenSequence(int[], LinearInputObserver)} through a fresh KV cache of the given precision: each position
     * attends to the cached (for F16, rounded) keys and values, as in generation after a prefill. This is how the
     * cache's rounding shows in perplexity.
     */
    public float[] hiddenSequenceThroughCache(int[] tokens, KvCache.Precision cachePrecision) {
        KvCache cache = new KvCache(config.nLayers(), Math.max(1, tokens.length), config.nKvHeads(), config.headDim(), cachePrecision);
        return hiddenThroughCache(tokens, 0, cache);
    }

    /** The hidden states of tokens at positions pos0.., their keys and values stored in (and attention reading) cache. */
    private float[] hiddenThroughCache(int[] tokens, int pos0, KvCache cache) {
        float[] x = embed(tokens);
        for (DecoderBlock b : blocks) b.forwardSequence(x, tokens.length, pos0, cache, null);
        return x;
    }

    /**
     * Final norm and lm_head over rows [from, to) of T × dim hidden states (not modified); writes (to-from) × vocab
     * logits into out starting at 0.
     */
    public void logitsFromHidden(float[] hidden, int from, int to, float[] out) {
        int dim = config.dim(), n = to - from;
        float[] xn = new float[n * dim];
        for (int t = 0; t < n; t++) Ops.rmsnorm(xn, t * dim, hidden, (from + t) * dim, finalNorm, dim, config.normEps());
        lmHead.forwardBatch(xn, out, n);
    }

    /** The T × vocab logits of the whole sequence (row t predicts token t+1). Memory T × vocab floats. */
    public float[] forwardSequence(int[] tokens) {
        int V = config.vocabSize();
        float[] all = new float[Math.multiplyExact(tokens.length, V)];
        forwardSequence(tokens, (pos, logits, off) -> System.arraycopy(logits, off, all, pos * V, V));
        return all;
    }

    /** As {@link #forwardSequence(int[])} but hands the logits out in chunks of rows, never holding T × vocab. */
    public void forwardSequence(int[] tokens, LogitsConsumer consumer) {
        float[] hidden = hiddenSequence(tokens, null);
        int V = config.vocabSize(), T = tokens.length;
        int chunk = Math.clamp((64L << 20) / (4L * V), 1, 64);
        float[] buf = new float[Math.min(chunk, Math.max(T, 1)) * V];
        for (int t0 = 0; t0 < T; t0 += chunk) {
            int t1 = Math.min(T, t0 + chunk);
            logitsFromHidden(hidden, t0, t1, buf);
            for (int t = t0; t < t1; t++) consumer.accept(t, buf, (t - t0) * V);
        }
    }
}
