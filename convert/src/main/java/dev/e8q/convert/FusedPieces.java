package dev.e8q.convert;

/**
 * A fused linear's weights as QuIP# quantizes them (SPEC §2, §7): the pieces (e.g. [q; k; v] or [up; gate]) stacked
 * row-wise, each divided by its own RMS, which is kept, rounded to fp16, as that piece's {@code fuse_scales} entry.
 *
 * @param weights rows × cols, row-major
 * @param scales  one fp16-exact scale per piece
 */
public record FusedPieces(float[] weights, int rows, float[] scales) {
    /** Each piece is a row-major (rows_i × cols) matrix. */
    public static FusedPieces stack(float[][] pieces, int cols) {
        int rows = 0;
        for (float[] p : pieces) {
            if (p.length % cols != 0) throw new IllegalArgumentException("piece of " + p.length + " values is not a multiple of " + cols + " columns");
            rows += p.length / cols;
        }
        float[] w = new float[rows * cols];
        float[] scales = new float[pieces.length];
        int off = 0;
        for (int i = 0; i < pieces.length; i++) {
            float[] p = pieces[i];
            double ss = 0;
            for (float v : p) ss += (double) v * v;
            float s = QuipFormat.fp16((float) Math.sqrt(ss / p.length));
            if (s == 0) s = 1; // an all-zero piece: any scale decodes it
            scales[i] = s;
            for (int j = 0; j < p.length; j++) w[off + j] = p[j] / s;
            off += p.length;
        }
        return new FusedPieces(w, rows, scales);
    }
}
