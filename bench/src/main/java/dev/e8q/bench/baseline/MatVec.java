package dev.e8q.bench.baseline;

/**
 * A weight matrix W (rows × cols, row-major semantics) in some storage format, with its matrix-vector
 * and batched kernels. The benchmark harness times every format through this one interface.
 */
public interface MatVec {
    /** Short format name used in reports, e.g. {@code Q4_0}. */
    String format();

    int rows();

    int cols();

    /** Bytes of weight storage the kernel streams per product (scales included). */
    long weightBytes();

    /** y[0..rows) = W · x[0..cols). Rows are split over {@link dev.e8q.codec.Parallel}. */
    void matvec(float[] x, float[] y);

    /**
     * Batched product: x holds {@code batch} row-major vectors of length cols, y receives {@code batch}
     * row-major vectors of length rows (Y = X · Wᵀ, i.e. each y_b = W x_b).
     */
    default void matmul(float[] x, float[] y, int batch) {
        float[] xb = new float[cols()], yb = new float[rows()];
        for (int b = 0; b < batch; b++) {
            System.arraycopy(x, b * cols(), xb, 0, cols());
            matvec(xb, yb);
            System.arraycopy(yb, 0, y, b * rows(), rows());
        }
    }

    /** Decodes row r into out[0..cols) (reference path for tests and batched kernels). */
    void decodeRow(int r, float[] out);
}
