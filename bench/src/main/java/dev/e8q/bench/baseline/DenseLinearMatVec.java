package dev.e8q.bench.baseline;

import dev.e8q.llama.model.DType;
import dev.e8q.llama.model.DenseLinear;

/** The runtime's {@link DenseLinear} (FP32 / BF16 / F16 Vector API kernels) seen as a {@link MatVec}. */
public final class DenseLinearMatVec implements MatVec {
    private final DenseLinear lin;
    private final float[] w;
    private final short[] h;

    public DenseLinearMatVec(DenseLinear lin, float[] w, short[] h) {
        this.lin = lin;
        this.w = w;
        this.h = h;
    }

    public static DenseLinearMatVec f32(float[] w, int rows, int cols) {
        return new DenseLinearMatVec(DenseLinear.of(w, rows, cols, DType.F32), w, null);
    }

    public static DenseLinearMatVec half(short[] bits, int rows, int cols, DType t) {
        return new DenseLinearMatVec(DenseLinear.ofBits(bits, rows, cols, t, null), null, bits);
    }

    @Override public String format() { return lin.dtype() == DType.F32 ? "FP32" : lin.dtype().name(); }
    @Override public int rows() { return lin.outFeatures(); }
    @Override public int cols() { return lin.inFeatures(); }
    @Override public long weightBytes() { return lin.weightBytes(); }
    @Override public void matvec(float[] x, float[] y) { lin.forward(x, 0, y, 0); }
    @Override public void matmul(float[] x, float[] y, int batch) { lin.forwardBatch(x, y, batch); }

    @Override
    public void decodeRow(int r, float[] out) {
        int n = cols();
        for (int i = 0; i < n; i++) {
            if (w != null) out[i] = w[r * n + i];
            else out[i] = lin.dtype() == DType.BF16 ? Float.intBitsToFloat(h[r * n + i] << 16) : Float.float16ToFloat(h[r * n + i]);
        }
    }
}
