package dev.e8q.codec;

/**
 * A quantizer for 8-vectors: what BlockLDLQ calls Q. A combined code (long) covers all stages; stage codes
 * are what {@link E8Matrix} stores. Implementations are stateless and thread-safe.
 */
interface BlockCodebook {
    /** Number of stored code stages (1 for E8P and the scalar grid, 2 for the residual stacks). */
    int stages();

    /** Nearest code for x[off, off+8); writes its reconstruction to recon[rOff, rOff+8). */
    long quantize(float[] x, int off, float[] recon, int rOff);

    /** Reconstruction of a combined code. */
    void decode(long code, float[] out, int off);

    /** The stage code of a combined code. */
    int stageCode(long code, int stage);

    /** Inverse of {@link #stageCode}. */
    long combine(int[] stageCodes);

    /** The ρ that makes the codebook input RMS right for this codebook (SPEC §2). */
    double defaultRho();
}
