package dev.e8q.llama.io;

/**
 * Row permutation between llama2.c's interleaved RoPE layout (pairs (2j, 2j+1) of each head rotate
 * together) and Hugging Face's rotate_half layout (pairs (j, j + hd/2)). Permuting the rows of W_q and
 * W_k per head makes q·k identical in both layouts, because the dot product is invariant under the same
 * permutation of both vectors: within each head, new row j ← old row 2j and new row hd/2 + j ← old row
 * 2j+1 (the same as the permute() in Hugging Face's convert_llama_weights_to_hf.py, in the other direction).
 */
public final class RopePermutation {
    private RopePermutation() {}

    /** Source row (within one head) of destination row {@code r} when going interleaved → half. */
    public static int interleavedToHalfSource(int r, int headDim) {
        int half = headDim / 2;
        return r < half ? 2 * r : 2 * (r - half) + 1;
    }

    /** Rows of a [heads·headDim][cols] matrix (or a bias, cols = 1) permuted from interleaved to half layout. */
    public static float[] interleavedToHalf(float[] w, int heads, int headDim, int cols) {
        check(w, heads, headDim, cols);
        float[] out = new float[w.length];
        for (int h = 0; h < heads; h++) {
            for (int r = 0; r < headDim; r++) {
                int src = h * headDim + interleavedToHalfSource(r, headDim);
                System.arraycopy(w, src * cols, out, (h * headDim + r) * cols, cols);
            }
        }
        return out;
    }

    /** Inverse of {@link #interleavedToHalf}. */
    public static float[] halfToInterleaved(float[] w, int heads, int headDim, int cols) {
        check(w, heads, headDim, cols);
        float[] out = new float[w.length];
        for (int h = 0; h < heads; h++) {
            for (int r = 0; r < headDim; r++) {
                int dst = h * headDim + interleavedToHalfSource(r, headDim);
                System.arraycopy(w, (h * headDim + r) * cols, out, dst * cols, cols);
            }
        }
        return out;
    }

    private static void check(float[] w, int heads, int headDim, int cols) {
        if (headDim % 2 != 0) throw new IllegalArgumentException("head dimension " + headDim + " is odd");
        if ((long) heads * headDim * cols != w.length) {
            throw new IllegalArgumentException("matrix of " + w.length + " values is not " + heads + " heads × "
                    + headDim + " rows × " + cols + " columns");
        }
    }
}
