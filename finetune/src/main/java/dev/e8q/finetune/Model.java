package dev.e8q.finetune;

import java.util.ArrayList;
import java.util.List;

/**
 * A whole Llama model for end-to-end fine-tuning: frozen token embedding, {@link Block}s, final RMSNorm
 * and a dense lm_head (vocab × dim, group {@link Param.Group#HEAD}). The lm_head is always a separate
 * tensor here, even when the checkpoint ties it to the embedding (tuning it unties the two).
 */
public final class Model {
    private final BlockShape shape;
    private final int vocab;
    private final float[] embedding;
    private final List<Block> blocks;
    private final Param finalNorm;
    private final DenseLinear lmHead;

    public Model(BlockShape shape, int vocab, float[] embedding, List<Block> blocks, double[] finalNorm, double[] lmHead) {
        this.shape = shape;
        this.vocab = vocab;
        int d = shape.dim();
        if (embedding.length != (long) vocab * d) throw new IllegalArgumentException("embedding has " + embedding.length + " entries, want " + vocab + "×" + d);
        if (finalNorm.length != d) throw new IllegalArgumentException("final norm has length " + finalNorm.length + ", want " + d);
        this.embedding = embedding;
        this.blocks = List.copyOf(blocks);
        for (Block b : blocks) if (b.shape().dim() != d) throw new IllegalArgumentException("block dim mismatch");
        this.finalNorm = new Param("model.norm.weight", finalNorm, Param.Group.NORM);
        this.lmHead = new DenseLinear("lm_head", vocab, d, lmHead, Param.Group.HEAD);
    }

    public BlockShape shape() { return shape; }

    public int vocab() { return vocab; }

    public float[] embedding() { return embedding; }

    public List<Block> blocks() { return blocks; }

    public Param finalNorm() { return finalNorm; }

    public DenseLinear lmHead() { return lmHead; }

    public List<Param> params() {
        List<Param> p = new ArrayList<>();
        for (Block b : blocks) p.addAll(b.params());
        p.add(finalNorm);
        p.add(lmHead.weight());
        return p;
    }

    public Model copy() {
        Model m = new Model(shape, vocab, embedding, blocks.stream().map(Block::copy).toList(),
                finalNorm.value().clone(), lmHead.weight().value().clone());
        m.finalNorm.trainable(finalNorm.trainable());
        m.lmHead.weight().trainable(lmHead.weight().trainable());
        return m;
    }

    double[] embed(int[] tokens) {
        int d = shape.dim();
        double[] x = new double[tokens.length * d];
        for (int t = 0; t < tokens.length; t++) {
            int tok = tokens[t];
            if (tok < 0 || tok >= vocab) throw new IllegalArgumentException("token " + tok + " at position " + t + " outside vocabulary of " + vocab);
            for (int i = 0; i < d; i++) x[t * d + i] = embedding[tok * d + i];
        }
        return x;
    }

    /** The final-norm output (T × dim) of the model for one sequence; no caches kept. */
    public double[] normedHidden(int[] tokens) {
        int T = tokens.length, d = shape.dim();
        double[] x = embed(tokens);
        for (Block b : blocks) x = b.forward(x, T, null);
        double[] out = new double[T * d];
        Block.rmsNorm(x, T, d, finalNorm.value(), shape.normEps(), out, new double[T]);
        return out;
    }

    /** Logits (T × vocab) for one sequence. */
    public double[] logits(int[] tokens) {
        double[] hn = normedHidden(tokens);
        double[] out = new double[tokens.length * vocab];
        lmHead.forward(hn, tokens.length, out, vocab, 0);
        return out;
    }

    /** Doubles the activation caches of one sequence of T tokens take when every block keeps its cache. */
    public long fullCacheDoubles(int T) {
        long n = 2L * T * shape.dim();
        for (Block b : blocks) n += b.cacheDoubles(T) + (long) T * shape.dim();
        return n;
    }

    /** Doubles the activations take with per-block recomputation (block inputs plus one block's cache). */
    public long checkpointCacheDoubles(int T) {
        long n = 2L * T * shape.dim() + (long) blocks.size() * T * shape.dim();
        long max = 0;
        for (Block b : blocks) max = Math.max(max, b.cacheDoubles(T));
        return n + max;
    }

    /**
     * Cross-entropy of the model's next-token distribution against soft targets, summed over positions
     * 0 … T−2, and its gradient (times {@code scale}) accumulated into {@code grads}.
     *
     * @param recompute true: keep only block inputs and recompute each block's activations in the backward
     *                  pass (gradient checkpointing); false: keep every block's cache
     * @return the summed loss (not scaled)
     */
    public double lossAndGrad(int[] tokens, SoftTargets targets, double scale, double[][] grads, boolean recompute) {
        int T = tokens.length, d = shape.dim(), L = blocks.size();
        if (T < 2) return 0;
        double[][] inputs = new double[L + 1][];
        Block.Cache[] caches = new Block.Cache[L];
        inputs[0] = embed(tokens);
        for (int l = 0; l < L; l++) {
            Block.Cache c = recompute ? null : new Block.Cache();
            inputs[l + 1] = blocks.get(l).forward(inputs[l], T, c);
            caches[l] = c;
        }
        double[] hfin = inputs[L];
        double[] r = new double[T], hn = new double[T * d];
        Block.rmsNorm(hfin, T, d, finalNorm.value(), shape.normEps(), hn, r);
        int n = T - 1;
        double[] dhn = new double[T * d];
        double[] logits = new double[vocab], q = new double[vocab];
        double[] w = lmHead.weight().value();
        double[] gw = lmHead.weight().trainable() ? grads[lmHead.weight().index] : null;
        double loss = 0;
        for (int t = 0; t < n; t++) {
            lmHead.forwardRow(hn, t * d, logits);
            targets.probabilities(t, q);
            double max = Double.NEGATIVE_INFINITY;
            for (double v : logits) max = Math.max(max, v);
            double sum = 0;
            for (int v = 0; v < vocab; v++) sum += Math.exp(logits[v] - max);
            double lse = max + Math.log(sum);
            for (int v = 0; v < vocab; v++) {
                double lp = logits[v] - lse;
                if (q[v] > 0) loss -= q[v] * lp;
                double g = (Math.exp(lp) - q[v]) * scale; // dL/dlogit
                if (g == 0) continue;
                LinearParam.axpy(g, w, v * d, dhn, t * d, d);
                if (gw != null) LinearParam.axpy(g, hn, t * d, gw, v * d, d);
            }
        }
        double[] dx = new double[T * d];
        Block.rmsNormBackward(hfin, T, d, finalNorm, r, dhn, dx, grads);
        for (int l = L - 1; l >= 0; l--) {
            Block b = blocks.get(l);
            Block.Cache c = caches[l];
            if (c == null) {
                c = new Block.Cache();
                b.forward(inputs[l], T, c);
            }
            caches[l] = null;
            inputs[l + 1] = null;
            dx = b.backward(c, dx, grads, l > 0);
        }
        return loss;
    }

    /** Summed cross-entropy over positions 0 … T−2 without gradients. */
    public double loss(int[] tokens, SoftTargets targets) {
        int T = tokens.length;
        if (T < 2) return 0;
        double[] hn = normedHidden(tokens);
        int d = shape.dim();
        double[] logits = new double[vocab], q = new double[vocab];
        double loss = 0;
        for (int t = 0; t < T - 1; t++) {
            lmHead.forwardRow(hn, t * d, logits);
            targets.probabilities(t, q);
            double max = Double.NEGATIVE_INFINITY;
            for (double v : logits) max = Math.max(max, v);
            double sum = 0;
            for (int v = 0; v < vocab; v++) sum += Math.exp(logits[v] - max);
            double lse = max + Math.log(sum);
            for (int v = 0; v < vocab; v++) if (q[v] > 0) loss -= q[v] * (logits[v] - lse);
        }
        return loss;
    }
}
