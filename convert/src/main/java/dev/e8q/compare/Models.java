package dev.e8q.compare;

import dev.e8q.llama.Linear;
import dev.e8q.llama.model.DecoderBlock;
import dev.e8q.llama.model.LinearKind;
import dev.e8q.llama.model.LlamaModel;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;

/** Small model surgery helpers for the comparison. */
final class Models {
    private Models() {}

    /** Computes a replacement for one decoder linear. */
    @FunctionalInterface
    interface LinearMap {
        Linear apply(int layer, LinearKind kind, Linear original);
    }

    /** A new model with every decoder linear mapped; embedding, norms and lm_head shared with {@code m} (not modified). */
    static LlamaModel withLinears(LlamaModel m, LinearMap f) {
        List<DecoderBlock> blocks = new ArrayList<>();
        for (DecoderBlock b : m.blocks()) {
            EnumMap<LinearKind, Linear> lin = new EnumMap<>(LinearKind.class);
            for (LinearKind k : LinearKind.values()) lin.put(k, f.apply(b.layer(), k, b.linear(k)));
            blocks.add(new DecoderBlock(b.layer(), b.config(), b.rope(), b.attnNorm(), b.ffnNorm(), lin, b.bias(LinearKind.Q),
                    b.bias(LinearKind.K), b.bias(LinearKind.V)));
        }
        return new LlamaModel(m.config(), m.embedding(), blocks, m.finalNorm(), m.lmHead());
    }
}
