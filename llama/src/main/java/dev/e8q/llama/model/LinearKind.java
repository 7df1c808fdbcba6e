package dev.e8q.llama.model;

/** The seven linears of a decoder block, with their Hugging Face tensor names. */
public enum LinearKind {
    Q("self_attn.q_proj", LinearGroup.QKV),
    K("self_attn.k_proj", LinearGroup.QKV),
    V("self_attn.v_proj", LinearGroup.QKV),
    O("self_attn.o_proj", LinearGroup.O),
    GATE("mlp.gate_proj", LinearGroup.UPGATE),
    UP("mlp.up_proj", LinearGroup.UPGATE),
    DOWN("mlp.down_proj", LinearGroup.DOWN);

    private final String module;
    private final LinearGroup group;

    LinearKind(String module, LinearGroup group) {
        this.module = module;
        this.group = group;
    }

    /** e.g. "self_attn.q_proj". */
    public String module() {
        return module;
    }

    /** The group whose input this linear reads. */
    public LinearGroup group() {
        return group;
    }

    /** e.g. "model.layers.3.self_attn.q_proj.weight". */
    public String weightName(int layer) {
        return "model.layers." + layer + "." + module + ".weight";
    }

    public String biasName(int layer) {
        return "model.layers." + layer + "." + module + ".bias";
    }
}
