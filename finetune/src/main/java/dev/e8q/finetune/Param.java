package dev.e8q.finetune;

/**
 * One continuous parameter tensor (flattened, row-major) that fine-tuning may update in place.
 * The {@link Group} decides its learning rate; {@link #trainable} decides whether gradients are formed
 * for it at all (frozen tensors cost nothing in the backward pass beyond what the input gradient needs).
 */
public final class Param {
    /** Learning-rate groups, following SPEC §6. */
    public enum Group {
        /** dense linear weights of a block (stage 1 only) */
        DENSE,
        /** RMSNorm weights (per block and final) */
        NORM,
        /** real-valued sign vectors SU/SV of quantized linears */
        SIGN,
        /** the output classifier (stage 2) */
        HEAD
    }

    private final String name;
    private final double[] value;
    private final Group group;
    private boolean trainable = true;
    int index = -1; // position in the owning ParamSet

    public Param(String name, double[] value, Group group) {
        this.name = name;
        this.value = value;
        this.group = group;
    }

    public String name() { return name; }

    /** The live values (updated in place by the optimizer). */
    public double[] value() { return value; }

    public Group group() { return group; }

    public boolean trainable() { return trainable; }

    public Param trainable(boolean t) {
        trainable = t;
        return this;
    }

    public int size() { return value.length; }

    @Override
    public String toString() {
        return name + "[" + value.length + "," + group + (trainable ? "" : ",frozen") + "]";
    }
}
