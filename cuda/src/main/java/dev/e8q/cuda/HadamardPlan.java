package dev.e8q.cuda;

import dev.e8q.hadamard.Hadamard;
import java.util.ArrayList;
import java.util.List;

/**
 * How the GPU applies M_n = (hadK ⊗ H_L)/√n (SPEC §4.1, n = K·L) to a batch of vectors: a list of kernel
 * launches, computed once per layer on the host and shared by {@link CudaE8Linear} (which launches them) and
 * {@link KernelSim} (which replays them in Java for the tests).
 *
 * <p>H_L is split into passes of {@code e8q_fwht_pass}, each a Sylvester transform of length {@code len} along
 * the middle axis of the data viewed as [A][len][B]: H_L = H_{L/len₁} ⊗ H_{len₁}, so the first pass runs on
 * contiguous runs (B = 1) and later passes on strided ones (B = product of the earlier lengths), and every pass
 * fits {@value #TILE} floats of shared memory. The base factor is one {@code e8q_hadk} launch (K·n
 * multiply-adds). The 1/√n scale goes into the first launch; the input side's SU ⊙ into the first launch and
 * the output side's SV ⊙ into the last.
 */
public record HadamardPlan(int n, int baseK, boolean transposed, List<Op> ops) {
    /** Floats of shared memory per FWHT block; equals E8Q_FWHT_TILE in the .cu. */
    public static final int TILE = 4096;

    /** One kernel launch. pre / post: multiply by the sign-scale vector before / after; alpha: scalar factor. */
    public sealed interface Op permits Fwht, BaseFactor {
        boolean pre();

        boolean post();

        float alpha();
    }

    /**
     * {@code e8q_fwht_pass}: H_len along the middle axis of [groups·batch][len][b]; a block covers ta consecutive
     * groups by tb consecutive b, ta·len·tb ≤ {@value #TILE}.
     */
    public record Fwht(int groups, int len, int b, int tb, int ta, boolean pre, boolean post, float alpha)
            implements Op {
        /** Blocks to launch for {@code batch} vectors. */
        public int blocks(int batch) {
            return (groups * batch + ta - 1) / ta * (b / tb);
        }

        /**
         * Threads per block: one per butterfly of a stage (ta·len·tb/2), between 64 and 1024, so that a 4096-long
         * transform (one block at batch 1) spends 2 butterflies per thread and stage, not 8.
         */
        public int threads() {
            return Math.clamp(ta * len * tb / 2, 64, 1024);
        }
    }

    /** {@code e8q_hadk}: hadK (or its transpose) across the K segments of length l. */
    public record BaseFactor(int k, int l, boolean transposed, boolean pre, boolean post, float alpha) implements Op {}

    /** u = M_nᵀ (SU ⊙ x): the input side of a quantized linear. */
    public static HadamardPlan input(int n) {
        return build(n, true, true, false);
    }

    /** y = SV ⊙ (M_m z): the output side. */
    public static HadamardPlan output(int m) {
        return build(m, false, false, true);
    }

    static HadamardPlan build(int n, boolean transposed, boolean preScale, boolean postScale) {
        int k = Hadamard.baseSize(n); // throws with a clear message for unsupported n
        int l = n / k;
        record Shape(int len, int b) {}
        List<Shape> passes = new ArrayList<>();
        int b = 1;
        for (int remaining = l; remaining > 1; ) {
            int len = Math.min(remaining, TILE / Math.min(b, 32));
            passes.add(new Shape(len, b));
            b *= len;
            remaining /= len;
        }
        int count = passes.size() + (k > 1 ? 1 : 0);
        float alpha = (float) (1.0 / Math.sqrt(n));
        List<Op> ops = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            boolean first = i == 0, last = i == count - 1;
            boolean pre = first && preScale, post = last && postScale;
            float a = first ? alpha : 1f;
            if (i < passes.size()) {
                Shape s = passes.get(i);
                int tb = Math.min(s.b(), TILE / s.len());
                int groups = n / (s.len() * s.b());
                int ta = Math.min(TILE / (s.len() * tb), Integer.highestOneBit(groups)); // short runs: several per block
                ops.add(new Fwht(groups, s.len(), s.b(), tb, ta, pre, post, a));
            } else {
                ops.add(new BaseFactor(k, l, transposed, pre, post, a));
            }
        }
        return new HadamardPlan(n, k, transposed, List.copyOf(ops));
    }
}
