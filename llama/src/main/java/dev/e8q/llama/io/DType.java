package dev.e8q.llama.io;

/** Safetensors element types this project reads and writes, with their header names and sizes. */
public enum DType {
    F64(8), F32(4), F16(2), BF16(2), I64(8), I32(4), I16(2), I8(1), U8(1), BOOL(1);

    private final int bytes;

    DType(int bytes) {
        this.bytes = bytes;
    }

    public int bytes() {
        return bytes;
    }

    /** True for types {@link SafetensorsReader#readFloats} converts to float. */
    public boolean isFloating() {
        return this == F64 || this == F32 || this == F16 || this == BF16;
    }

    /** The type named {@code s} in a safetensors header, or null when unknown. */
    public static DType fromHeader(String s) {
        for (DType d : values()) if (d.name().equals(s)) return d;
        return null;
    }
}
