package dev.e8q.llama.model;

/** Storage type of dense weights. BF16 and F16 are kept as 16-bit patterns and widened in the kernel. */
public enum DType {
    F32(4),
    BF16(2),
    F16(2);

    private final int bytes;

    DType(int bytes) {
        this.bytes = bytes;
    }

    public int bytes() {
        return bytes;
    }

    /** Parses "f32", "float32", "bf16", "bfloat16", "f16", "float16" (case-insensitive). */
    public static DType parse(String s) {
        return switch (s.toLowerCase(java.util.Locale.ROOT)) {
            case "f32", "float32", "fp32", "float" -> F32;
            case "bf16", "bfloat16" -> BF16;
            case "f16", "float16", "fp16", "half" -> F16;
            default -> throw new IllegalArgumentException("unknown dtype '" + s + "' (want f32, bf16 or f16)");
        };
    }

    /** Rounds a float to the nearest bfloat16 (ties to even); NaN stays NaN. */
    public static short toBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if ((bits & 0x7fffffff) > 0x7f800000) return (short) ((bits >>> 16) | 0x40);
        int rounded = bits + 0x7fff + ((bits >>> 16) & 1);
        return (short) (rounded >>> 16);
    }

    public static float fromBf16(short h) {
        return Float.intBitsToFloat((h & 0xffff) << 16);
    }

    public static short toF16(float f) {
        return Float.floatToFloat16(f);
    }

    public static float fromF16(short h) {
        return Float.float16ToFloat(h);
    }
}
