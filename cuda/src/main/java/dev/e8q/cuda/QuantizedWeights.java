package dev.e8q.cuda;

import dev.e8q.codec.E8Matrix;

/**
 * What the GPU needs of one quantized linear: the logical shape, the padded {@link QidxsLayout}, the residual
 * scale (3/4-bit), the packed codes and the sign-scale vectors. The layer computes
 * y = (SV ⊙ M_m Ŵr M_nᵀ (SU ⊙ x₀))[0, outFeatures) where x₀ is x zero-padded to the padded width (SPEC §4.1).
 *
 * @param qidxs the Qidxs tensor flattened row-major, {@code layout.totalWords()} words
 * @param su    length {@code layout.cols()} (input side)
 * @param sv    length {@code layout.rows()} (output side)
 */
public record QuantizedWeights(int outFeatures, int inFeatures, QidxsLayout layout, float residScale, long[] qidxs,
                               float[] su, float[] sv) {
    public QuantizedWeights {
        if (outFeatures <= 0 || outFeatures > layout.rows() || inFeatures <= 0 || inFeatures > layout.cols())
            throw new IllegalArgumentException("logical shape " + outFeatures + "x" + inFeatures
                    + " does not fit the padded shape " + layout.rows() + "x" + layout.cols());
        if (qidxs.length != layout.totalWords())
            throw new IllegalArgumentException("Qidxs for " + layout.rows() + "x" + layout.cols() + " at " + layout.bits()
                    + " bits needs " + layout.totalWords() + " words, got " + qidxs.length);
        if (su.length != layout.cols() || sv.length != layout.rows())
            throw new IllegalArgumentException("SU must have " + layout.cols() + " entries and SV " + layout.rows()
                    + ", got " + su.length + " and " + sv.length);
        if (layout.bits() > 2 && !(residScale > 0 && Float.isFinite(residScale)))
            throw new IllegalArgumentException("residual scale must be positive for " + layout.bits() + " bits, got " + residScale);
    }

    /** Bytes on the device: codes, SU, SV. */
    public long deviceBytes() {
        return 8L * qidxs.length + 4L * su.length + 4L * sv.length;
    }

    /** The GPU view of a codec matrix (E8P / RVQ codebooks only; the scalar-grid ablation has no Qidxs). */
    public static QuantizedWeights of(E8Matrix w) {
        if (!w.isE8())
            throw new IllegalArgumentException("the CUDA kernels decode E8P codebooks only, not " + w.codebook());
        return new QuantizedWeights(w.rows(), w.cols(), new QidxsLayout(w.paddedRows(), w.paddedCols(), w.bits()),
                w.bits() == 2 ? 1f : (float) w.residualScale(), w.qidxs(), w.su(), w.sv());
    }
}
