package dev.e8q.llama.model;

import java.util.Arrays;
import java.util.List;

/**
 * Linears of a block that read the same input: q/k/v read the normed residual, o reads the attention output,
 * gate/up read the normed residual after attention, down reads silu(gate x) ⊙ up x.
 */
public enum LinearGroup {
    QKV,
    O,
    UPGATE,
    DOWN;

    /** The linears reading this group's input, in {@link LinearKind} order. */
    public List<LinearKind> kinds() {
        return Arrays.stream(LinearKind.values()).filter(k -> k.group() == this).toList();
    }
}
