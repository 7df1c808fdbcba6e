package dev.e8q.llama.model;

import dev.e8q.llama.LlamaConfig;

/**
 * Rotary position embedding. Frequencies {@code theta^(-2i/headDim)} (with Llama 3 scaling when configured)
 * are computed in double; cos/sin tables are filled per position. Two layouts: llama2.c's adjacent pairs
 * (2i, 2i+1) and Hugging Face's rotate_half pairs (i, i + headDim/2).
 */
public final class Rope {
    private final int headDim;
    private final boolean interleaved;
    private final double[] invFreq;

    public Rope(LlamaConfig c) {
        this(c.headDim(), c.ropeTheta(), c.ropeScaling(), c.ropeInterleaved());
    }

    public Rope(int headDim, double theta, LlamaConfig.RopeScaling scaling, boolean interleaved) {
        if (headDim % 2 != 0) throw new IllegalArgumentException("RoPE needs an even head dim, got " + headDim);
        this.headDim = headDim;
        this.interleaved = interleaved;
        int half = headDim / 2;
        invFreq = new double[half];
        for (int i = 0; i < half; i++) {
            double f = 1.0 / Math.pow(theta, (2.0 * i) / headDim);
            invFreq[i] = scaling == null ? f : llama3Scale(f, scaling);
        }
    }

    /** Llama 3 "rope_type: llama3" frequency scaling, as in Hugging Face's _compute_llama3_parameters. */
    static double llama3Scale(double freq, LlamaConfig.RopeScaling s) {
        double lowWavelen = s.originalMaxPositions() / (double) s.lowFreqFactor();
        double highWavelen = s.originalMaxPositions() / (double) s.highFreqFactor();
        double wavelen = 2 * Math.PI / freq;
        if (wavelen < highWavelen) return freq;
        if (wavelen > lowWavelen) return freq / s.factor();
        double smooth = (s.originalMaxPositions() / wavelen - s.lowFreqFactor()) / (s.highFreqFactor() - s.lowFreqFactor());
        return (1 - smooth) * freq / s.factor() + smooth * freq;
    }

    public int half() {
        return headDim / 2;
    }

    public double invFreq(int i) {
        return invFreq[i];
    }

    /** Fills cos[off..off+headDim/2) and sin[...] for one position. */
    public void table(int pos, float[] cos, float[] sin, int off) {
        for (int i = 0; i < invFreq.length; i++) {
            double a = pos * invFreq[i];
            cos[off + i] = (float) Math.cos(a);
            sin[off + i] = (float) Math.sin(a);
        }
    }

    /** Rotates {@code nHeads} consecutive heads of v starting at vOff, using a table filled by {@link #table}. */
    public void apply(float[] v, int vOff, int nHeads, float[] cos, float[] sin, int tOff) {
        int half = headDim / 2;
        for (int h = 0; h < nHeads; h++) {
            int base = vOff + h * headDim;
            for (int i = 0; i < half; i++) {
                int a = interleaved ? base + 2 * i : base + i;
                int b = interleaved ? a + 1 : a + half;
                float c = cos[tOff + i], s = sin[tOff + i];
                float x0 = v[a], x1 = v[b];
                v[a] = x0 * c - x1 * s;
                v[b] = x0 * s + x1 * c;
            }
        }
    }
}
