package dev.e8q.llama.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class DenseLinearTest {
    /** forward and forwardBatch equal a double-precision product with the stored (rounded) weights. */
    @Test
    void matchesDoubleProductForAllStoragesAndShapes() {
        qt().withExamples(60).forAll(integers().between(1, 70), integers().between(1, 150), integers().between(1, 9),
                longs().all()).checkAssert((out, in, batch, seed) -> {
            SplittableRandom r = new SplittableRandom(seed);
            float[] w = new float[out * in], x = new float[batch * in], bias = new float[out];
            for (int i = 0; i < w.length; i++) w[i] = (float) r.nextGaussian();
            for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
            for (int i = 0; i < out; i++) bias[i] = (float) r.nextGaussian();
            for (DType d : DType.values()) {
                boolean withBias = r.nextBoolean();
                DenseLinear lin = DenseLinear.of(w.clone(), out, in, d, withBias ? bias : null);
                float[] wq = lin.weights();
                float[] yb = new float[batch * out];
                lin.forwardBatch(x, yb, batch);
                for (int b = 0; b < batch; b++) {
                    float[] y1 = new float[out + 3];
                    float[] xs = new float[in + 2];
                    System.arraycopy(x, b * in, xs, 2, in);
                    lin.forward(xs, 2, y1, 3);
                    for (int o = 0; o < out; o++) {
                        double ref = withBias ? bias[o] : 0, mag = 0;
                        for (int i = 0; i < in; i++) {
                            ref += (double) wq[o * in + i] * x[b * in + i];
                            mag += Math.abs((double) wq[o * in + i] * x[b * in + i]);
                        }
                        double tol = 1e-6 * (mag + 1) * 4;
                        assertEquals(ref, y1[3 + o], tol, d + " forward " + out + "x" + in);
                        assertEquals(ref, yb[b * out + o], tol, d + " batch " + out + "x" + in + " b=" + b);
                    }
                }
            }
        });
    }

    /** Rows long enough for the eight-row kernels, with row counts that leave tails, against a double product. */
    @Test
    void longRowsMatchDoubleProductForAllStorages() {
        qt().withExamples(8).forAll(integers().between(1, 21), integers().between(DenseLinear.EIGHT_ROWS_FROM, DenseLinear.EIGHT_ROWS_FROM + 40),
                longs().all()).checkAssert((out, in, seed) -> {
            SplittableRandom r = new SplittableRandom(seed);
            float[] w = new float[out * in], x = new float[in + 5], bias = new float[out];
            for (int i = 0; i < w.length; i++) w[i] = (float) r.nextGaussian();
            for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
            for (int i = 0; i < out; i++) bias[i] = (float) r.nextGaussian();
            for (DType d : DType.values()) {
                DenseLinear lin = DenseLinear.of(w.clone(), out, in, d, bias);
                float[] wq = lin.weights(), y = new float[out + 2];
                int xo = (int) (seed & 1) * 5;
                lin.forward(x, xo, y, 2);
                for (int o = 0; o < out; o++) {
                    double ref = bias[o], mag = Math.abs(bias[o]);
                    for (int i = 0; i < in; i++) {
                        ref += (double) wq[o * in + i] * x[xo + i];
                        mag += Math.abs((double) wq[o * in + i] * x[xo + i]);
                    }
                    assertEquals(ref, y[2 + o], 1e-6 * mag * 4, d + " row " + o + " of " + out + "x" + in);
                }
            }
        });
    }

    @Test
    void sixteenBitWeightsAreRoundedToNearest() {
        float[] w = {1f, -2.5f, 1.00390625f /* 1 + 2^-8: bf16 tie -> 1 */, 3.1415927f, 1e-7f, -65504f, 6e-8f, 0f};
        DenseLinear b = DenseLinear.of(w, 1, w.length, DType.BF16);
        DenseLinear h = DenseLinear.of(w, 1, w.length, DType.F16);
        float[] bw = b.weights(), hw = h.weights();
        for (int i = 0; i < w.length; i++) {
            assertEquals(Float.intBitsToFloat((Float.floatToIntBits(w[i]) + 0x7fff + ((Float.floatToIntBits(w[i]) >>> 16) & 1)) & 0xffff0000), bw[i]);
            assertEquals(Float.float16ToFloat(Float.floatToFloat16(w[i])), hw[i]);
        }
        assertEquals(1f, bw[2]);
        assertEquals(2L * w.length, b.weightBytes());
        // the vector f16 path on subnormal and negative values equals the scalar conversion
        float[] x = new float[w.length];
        for (int i = 0; i < x.length; i++) {
            java.util.Arrays.fill(x, 0f);
            x[i] = 1f;
            float[] y = new float[1];
            float[] xs = new float[64];
            System.arraycopy(x, 0, xs, 0, x.length);
            h.forward(x, 0, y, 0);
            assertEquals(hw[i], y[0], "f16 weight " + i);
        }
        assertThrows(IllegalArgumentException.class, () -> DenseLinear.of(new float[] {1e6f}, 1, 1, DType.F16));
        assertThrows(IllegalArgumentException.class, () -> DenseLinear.of(new float[3], 2, 2, DType.F32));
    }

    @Test
    void vectorF16ConversionEqualsScalarForEveryFiniteHalf() {
        int L = DenseLinear.F.length();
        short[] all = new short[65536];
        int n = 0;
        for (int i = 0; i < 65536; i++) if (((i >> 10) & 0x1f) != 0x1f) all[n++] = (short) i;
        n -= n % L;
        float[] dst = new float[n];
        DenseLinear.widen(all, 0, dst, 0, n, DType.F16);
        for (int i = 0; i < n; i++) {
            assertEquals(Float.floatToIntBits(Float.float16ToFloat(all[i])), Float.floatToIntBits(dst[i]), "half 0x" + Integer.toHexString(all[i] & 0xffff));
        }
    }
}
