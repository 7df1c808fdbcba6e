package dev.e8q.finetune;

import dev.e8q.llama.LlamaConfig;
import dev.e8q.llama.model.DecoderBlock;
import dev.e8q.llama.model.LlamaModel;
import java.util.ArrayList;
import java.util.List;

/**
 * The continuous state of a whole model in the converter's forms: frozen token embedding, one
 * {@link BlockState} per layer, final RMSNorm weight and lm_head (vocab × dim; a separate array even when
 * the checkpoint ties it to the embedding: after e2e tuning it is no longer equal to it, so write
 * {@code lm_head.weight} and {@code tie_word_embeddings=false}). Immutable.
 */
public final class ModelState {
    private final LlamaConfig config;
    private final float[] embedding, finalNorm, lmHead;
    private final List<BlockState> blocks;

    public ModelState(LlamaConfig config, float[] embedding, List<BlockState> blocks, float[] finalNorm, float[] lmHead) {
        int d = config.dim(), v = config.vocabSize();
        if (embedding.length != (long) v * d) throw new IllegalArgumentException("embedding length " + embedding.length + ", want " + v + "×" + d);
        if (lmHead.length != (long) v * d) throw new IllegalArgumentException("lm_head length " + lmHead.length + ", want " + v + "×" + d);
        if (finalNorm.length != d) throw new IllegalArgumentException("final norm length " + finalNorm.length + ", want " + d);
        if (blocks.size() != config.nLayers()) throw new IllegalArgumentException(blocks.size() + " blocks for " + config.nLayers() + " layers");
        this.config = config;
        this.embedding = embedding;
        this.blocks = List.copyOf(blocks);
        this.finalNorm = finalNorm;
        this.lmHead = lmHead;
    }

    /** The dense state of an all-dense LlamaModel (arrays shared, not copied). */
    public static ModelState of(LlamaModel m) {
        List<BlockState> b = new ArrayList<>();
        for (DecoderBlock db : m.blocks()) b.add(BlockState.of(db));
        return new ModelState(m.config(), m.embedding(), b, m.finalNorm(), FromLlama.weights(m.lmHead(), "lm_head"));
    }

    public LlamaConfig config() { return config; }

    public float[] embedding() { return embedding; }

    public List<BlockState> blocks() { return blocks; }

    public BlockState block(int i) { return blocks.get(i); }

    public float[] finalNorm() { return finalNorm; }

    public float[] lmHead() { return lmHead; }

    public ModelState withBlock(int i, BlockState b) {
        List<BlockState> l = new ArrayList<>(blocks);
        l.set(i, b);
        return new ModelState(config, embedding, l, finalNorm, lmHead);
    }

    public ModelState withHead(float[] finalNorm, float[] lmHead) {
        return new ModelState(config, embedding, blocks, finalNorm, lmHead);
    }

    /** The fine-tuning model (fresh double copies of the trainable values; the embedding is shared). */
    public Model toModel() {
        List<Block> b = new ArrayList<>();
        for (BlockState s : blocks) b.add(s.toBlock());
        return new Model(BlockShape.of(config), config.vocabSize(), embedding, b, FromLlama.toDouble(finalNorm), FromLlama.toDouble(lmHead));
    }

    /** This state with the values of a tuned model built by {@link #toModel()}. */
    public ModelState withTuned(Model m) {
        List<BlockState> b = new ArrayList<>();
        for (int i = 0; i < blocks.size(); i++) b.add(blocks.get(i).withTuned(m.blocks().get(i)));
        return new ModelState(config, embedding, b, Teacher.toFloat(m.finalNorm().value()), Teacher.toFloat(m.lmHead().weight().value()));
    }
}
