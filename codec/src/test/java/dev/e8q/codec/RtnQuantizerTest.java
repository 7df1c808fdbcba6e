package dev.e8q.codec;

import static org.junit.jupiter.api.Assertions.*;

import dev.e8q.codec.RtnQuantizer.Scheme;
import org.junit.jupiter.api.Test;

class RtnQuantizerTest {
    @Test
    void symmetricPerTensorTwoBitsIsTernary() {
        // absmax 2 → scale 2/1 = 2 (exact in fp16); levels {-2, 0, 2}.
        float[] w = {0.9f, -2f, 1.1f, 0.2f};
        var r = RtnQuantizer.perTensor(Scheme.SYMMETRIC, 2).quantize(w, 1, 4);
        assertArrayEquals(new float[] {0f, -2f, 2f, 0f}, r.dequantized());
        assertEquals(2 + 16.0 / 4, r.bitsPerWeight(), 1e-12);
    }

    @Test
    void symmetricPerChannelFourBits() {
        // row 0: absmax 7 → scale 1; row 1: absmax 0.7 → scale 0.1 (fp16 0.0999755859375).
        float[] w = {7f, -3.4f, 2.6f, 0f, 0.7f, 0.26f, -0.04f, 0.05f};
        var r = RtnQuantizer.perChannel(Scheme.SYMMETRIC, 4).quantize(w, 2, 4);
        float s = Float.float16ToFloat(Float.floatToFloat16(0.1f));
        float[] expect = {7f, -3f, 3f, 0f, 7 * s, 3 * s, 0 * s, 0 * s};
        // 0.05/s = 0.5001 rounds to 1
        expect[7] = 1 * s;
        assertArrayEquals(expect, r.dequantized());
        assertEquals(4 + 2 * 16.0 / 8, r.bitsPerWeight(), 1e-12);
    }

    @Test
    void asymmetricPerGroupTwoBits() {
        // group [0, 3]: min 0 max 3 → scale 1, zero 0, levels 0..3.
        // group [-1, 2]: scale 1, zero 1 → levels -1..2.
        float[] w = {0.4f, 2.6f, -1.2f, 1.6f};
        var r = RtnQuantizer.perGroup(Scheme.ASYMMETRIC, 2, 2).quantize(new float[] {0f, 3f, -1f, 2f}, 1, 4);
        assertArrayEquals(new float[] {0f, 3f, -1f, 2f}, r.dequantized());
        var r2 = RtnQuantizer.perGroup(Scheme.ASYMMETRIC, 2, 2).quantize(w, 1, 4);
        // group 1: range [0, 2.6] → scale 2.6/3 (fp16), zero 0; group 2: [-1.2, 1.6] → scale 2.8/3, zero round(1.2/s)=1
        float s1 = Float.float16ToFloat(Float.floatToFloat16(2.6f / 3));
        float s2 = Float.float16ToFloat(Float.floatToFloat16(2.8f / 3));
        assertArrayEquals(new float[] {0f, 3 * s1, -1 * s2, 2 * s2}, r2.dequantized(), 1e-6f);
        assertEquals(2 + 2 * (16.0 + 2) / 4, r2.bitsPerWeight(), 1e-12);
    }

    @Test
    void eightBitsIsNearlyLossless() {
        float[] w = new float[256];
        java.util.Random rnd = new java.util.Random(1);
        for (int i = 0; i < w.length; i++) w[i] = (float) rnd.nextGaussian();
        var r = RtnQuantizer.perChannel(Scheme.ASYMMETRIC, 8).quantize(w, 4, 64);
        assertTrue(ProxyLoss.relativeError(w, r.dequantized()) < 1e-4);
        var r2 = RtnQuantizer.perChannel(Scheme.ASYMMETRIC, 2).quantize(w, 4, 64);
        assertTrue(ProxyLoss.relativeError(w, r2.dequantized()) > 0.05);
    }

    @Test
    void zeroGroupStaysZeroAndBadInputsAreNamed() {
        var r = RtnQuantizer.perGroup(Scheme.SYMMETRIC, 3, 2).quantize(new float[] {0, 0, 1, -1}, 1, 4);
        // 3 bits symmetric: levels ±3 → scale fp16(1/3) = 0.33325195, so ±1 comes back as ±3·scale.
        float s = Float.float16ToFloat(Float.floatToFloat16(1f / 3));
        assertArrayEquals(new float[] {0, 0, 3 * s, -3 * s}, r.dequantized());
        assertThrows(IllegalArgumentException.class, () -> RtnQuantizer.perTensor(Scheme.SYMMETRIC, 1));
        var e = assertThrows(IllegalArgumentException.class,
                () -> RtnQuantizer.perTensor(Scheme.SYMMETRIC, 4).quantize(new float[5], 2, 3));
        assertTrue(e.getMessage().contains("2x3"), e.getMessage());
    }
}
