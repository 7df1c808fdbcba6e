package dev.e8q.bench.kernels;

import dev.e8q.bench.baseline.MatVec;
import dev.e8q.codec.Parallel;
import dev.e8q.codec.kernel.E8Kernel;
import dev.e8q.hadamard.Hadamard;

/**
 * A whole e8q linear as the runtime computes it: {@code y = SV ⊙ M_m · Ŵr · M_nᵀ (SU ⊙ x)}, with the fused
 * {@link E8Kernel} for Ŵr and the fast Hadamard transforms around it. Shapes must be Hadamard sizes (no padding).
 */
public final class E8qMatVec implements MatVec {
    private final E8Kernel k;
    private final float[] su, sv;
    private final int rows, cols, bits;
    private final boolean int8;

    /** int8: products round the activations to int8 ({@link E8Kernel#multiplyInt8}, {@link E8Kernel#int8Activations}). */
    public E8qMatVec(E8Kernel k, float[] su, float[] sv, boolean int8) {
        this.k = k;
        this.int8 = int8;
        this.su = su;
        this.sv = sv;
        this.rows = k.rows();
        this.cols = k.cols();
        this.bits = k.bits();
        if (!Hadamard.supports(rows) || !Hadamard.supports(cols)) throw new IllegalArgumentException("not a Hadamard shape: " + rows + "x" + cols);
    }

    public E8Kernel kernel() { return k; }
    @Override public String format() { return "E8Q" + bits + (int8 ? "_A8" : ""); }
    @Override public int rows() { return rows; }
    @Override public int cols() { return cols; }
    /** Codes plus SU/SV as fp16, as stored. */
    @Override public long weightBytes() { return k.codeBytes() + 2L * (rows + cols); }

    @Override
    public void matvec(float[] x, float[] y) {
        float[] u = new float[cols];
        for (int i = 0; i < cols; i++) u[i] = su[i] * x[i];
        Hadamard.transformTransposed(u, 0, cols);
        if (int8) k.multiplyInt8(u, 0, y, 0);
        else k.multiply(u, 0, y, 0);
        Hadamard.transform(y, 0, rows);
        for (int i = 0; i < rows; i++) y[i] *= sv[i];
    }

    @Override
    public void matmul(float[] x, float[] y, int batch) {
        float[] u = new float[batch * cols];
        Parallel.forRange(batch, 1, (b0, b1) -> {
            for (int b = b0; b < b1; b++) {
                for (int i = 0; i < cols; i++) u[b * cols + i] = su[i] * x[b * cols + i];
                Hadamard.transformTransposed(u, b * cols, cols);
            }
        });
        // the batched path `e8q generate|eval --int8-activations` takes, chosen per call
        k.multiplyBatch(u, 0, cols, y, 0, rows, batch, int8);
        Parallel.forRange(batch, 1, (b0, b1) -> {
            for (int b = b0; b < b1; b++) {
                Hadamard.transform(y, b * rows, rows);
                for (int i = 0; i < rows; i++) y[b * rows + i] *= sv[i];
            }
        });
    }

    @Override
    public void decodeRow(int r, float[] out) {
        throw new UnsupportedOperationException("e8q rows are not stored; see E8Matrix.decodeRowMajor");
    }
}
