package dev.e8q.finetune;

import dev.e8q.llama.LlamaConfig;

/**
 * The shape and fixed hyper-parameters of one decoder block. RoPE frequencies follow the Llama
 * convention θ^(−2i/headDim) (with Llama 3 frequency scaling when the config has it); the pairs are
 * (2i, 2i+1) when {@code ropeInterleaved} (llama2.c) and (i, i + headDim/2) otherwise (Hugging Face).
 * {@code slidingWindow} is 0 for full causal attention, else W: position t attends to t − W + 1 … t
 * ({@link LlamaConfig#slidingWindow}).
 */
public record BlockShape(int dim, int hiddenDim, int nHeads, int nKvHeads, int headDim, double normEps,
                         boolean ropeInterleaved, double[] invFreq, int slidingWindow) {

    public BlockShape {
        if (dim <= 0 || hiddenDim <= 0 || nHeads <= 0 || nKvHeads <= 0 || headDim <= 0 || headDim % 2 != 0) {
            throw new IllegalArgumentException("bad block shape dim=" + dim + " hidden=" + hiddenDim + " heads="
                    + nHeads + " kvHeads=" + nKvHeads + " headDim=" + headDim);
        }
        if (nHeads % nKvHeads != 0) throw new IllegalArgumentException("nHeads " + nHeads + " not a multiple of nKvHeads " + nKvHeads);
        if (invFreq.length != headDim / 2) throw new IllegalArgumentException("invFreq length " + invFreq.length + " != headDim/2");
        if (slidingWindow < 0) throw new IllegalArgumentException("negative sliding window " + slidingWindow);
    }

    public static BlockShape of(int dim, int hiddenDim, int nHeads, int nKvHeads, int headDim, double normEps,
                                double ropeTheta, boolean ropeInterleaved) {
        return new BlockShape(dim, hiddenDim, nHeads, nKvHeads, headDim, normEps, ropeInterleaved,
                frequencies(headDim, ropeTheta, null), 0);
    }

    /** This shape with a sliding window of w positions (0: full attention). */
    public BlockShape withSlidingWindow(int w) {
        return new BlockShape(dim, hiddenDim, nHeads, nKvHeads, headDim, normEps, ropeInterleaved, invFreq, w);
    }

    /** The first key position that a query seeing positions 0 … n−1 attends to (as {@link LlamaConfig#firstAttended}). */
    public int firstAttended(int n) {
        return LlamaConfig.firstAttended(n, slidingWindow);
    }

    public static BlockShape of(LlamaConfig c) {
        return new BlockShape(c.dim(), c.hiddenDim(), c.nHeads(), c.nKvHeads(), c.headDim(), c.normEps(),
                c.ropeInterleaved(), frequencies(c.headDim(), c.ropeTheta(), c.ropeScaling()), c.slidingWindow());
    }

    static double[] frequencies(int headDim, double theta, LlamaConfig.RopeScaling sc) {
        double[] f = new double[headDim / 2];
        for (int i = 0; i < f.length; i++) {
            // in double, as the llama module's Rope
            f[i] = 1.0 / Math.pow(theta, (2.0 * i) / headDim);
            if (sc != null) {
                double lowWave = sc.originalMaxPositions() / sc.lowFreqFactor();
                double highWave = sc.originalMaxPositions() / sc.highFreqFactor();
                double wave = 2 * Math.PI / f[i];
                if (wave > lowWave) f[i] = f[i] / sc.factor();
                else if (wave >= highWave) {
                    double smooth = (sc.originalMaxPositions() / wave - sc.lowFreqFactor())
                            / (sc.highFreqFactor() - sc.lowFreqFactor());
                    f[i] = (1 - smooth) * f[i] / sc.factor() + smooth * f[i];
                }
            }
        }
        return f;
    }

    public int qDim() { return nHeads * headDim; }

    public int kvDim() { return nKvHeads * headDim; }

    public int qkvDim() { return qDim() + 2 * kvDim(); }
}
