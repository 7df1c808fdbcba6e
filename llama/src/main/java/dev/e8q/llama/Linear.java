package dev.e8q.llama;

/**
 * A linear layer y = W x with W of shape outFeatures × inFeatures. Dense, quantized (E8P) and GPU
 * linears all implement this, so the model code never changes when the weights do.
 */
public interface Linear {
    int inFeatures();

    int outFeatures();

    /** y[yOff .. yOff+out) = W · x[xOff .. xOff+in). Must not keep references to x or y. */
    void forward(float[] x, int xOff, float[] y, int yOff);

    /**
     * Batched product for prefill and calibration: X holds {@code batch} row-major input rows of length
     * in, Y receives {@code batch} rows of length out. Implementations override this when a batched
     * kernel is faster than repeated matrix-vector products.
     */
    default void forwardBatch(float[] x, float[] y, int batch) {
        int in = inFeatures(), out = outFeatures();
        for (int b = 0; b < batch; b++) forward(x, b * in, y, b * out);
    }

    /** Bytes of weight storage this layer holds (for model-size reports). */
    long weightBytes();
}
