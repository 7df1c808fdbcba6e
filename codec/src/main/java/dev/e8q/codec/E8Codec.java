package dev.e8q.codec;

import org.ejml.data.FMatrixRMaj;

/** Entry point: E8P lattice quantization of one matrix (QuIP#). See {@link E8Encoder} for the options. */
public final class E8Codec {
    private E8Codec() {}

    /** Encodes with nearest rounding (no Hessian), seed 0, default ρ. */
    public static E8Matrix encode(FMatrixRMaj w, int bits) {
        return encoder().bits(bits).encode(w);
    }

    public static E8Matrix encode(float[] rowMajor, int rows, int cols, int bits) {
        return encoder().bits(bits).encode(rowMajor, rows, cols);
    }

    public static E8Encoder encoder() {
        return new E8Encoder();
    }
}
