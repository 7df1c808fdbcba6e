package dev.e8q.llama.model;

import java.util.Objects;

/**
 * Keys and values of past positions, per layer, after RoPE for keys. Laid out head-major, [kvHead][position][headDim]:
 * attention reads one head's keys and values position after position, and with the position-major layout
 * ([position][kvDim]) those reads jumped kvDim floats (8 KiB for dim 2048) from one position to the next, so every
 * position cost a new page and the prefetchers stopped at each one.
 *
 * <p>Entries are FP32, or FP16 ({@link Precision#F16}) to halve the cache's memory and the bytes attention reads per
 * token, which at long contexts rival the weights' (llama.cpp keeps its cache in F16 by default). FP16 rounds each key
 * and value to 11 significant bits; attention widens them in registers as it reads them. A key or value beyond FP16's
 * range (|x| > 65504, far above what Llama-class projections produce) is stored as ±infinity and read back as ±65536.
 */
public final class KvCache {
    /** How the entries are stored. */
    public enum Precision {
        F32, F16;

        /** f32 or f16, in either case; otherwise an error that names what was asked for (an option, say) and v. */
        public static Precision parse(String v, String what) {
            for (Precision p : values()) if (p.name().equalsIgnoreCase(v)) return p;
            throw new IllegalArgumentException(what + " must be f32 or f16, got " + v);
        }
    }

    private final Precision precision;
    private final float[][] keys, values;
    private final short[][] keys16, values16;
    private final int capacity, kvHeads, headDim;

    public KvCache(int nLayers, int capacity, int kvHeads, int headDim) {
        this(nLayers, capacity, kvHeads, headDim, Precision.F32);
    }

    public KvCache(int nLayers, int capacity, int kvHeads, int headDim, Precision precision) {
        if (capacity <= 0) throw new IllegalArgumentException("KV cache capacity must be positive, got " + capacity);
        if (kvHeads <= 0 || headDim <= 0) throw new IllegalArgumentException("KV heads and head size must be positive, got " + kvHeads + " and " + headDim);
        this.precision = Objects.requireNonNull(precision, "precision");
        this.capacity = capacity;
        this.kvHeads = kvHeads;
        this.headDim = headDim;
        int n = Math.multiplyExact(Math.multiplyExact(capacity, kvHeads), headDim);
        boolean f16 = precision == Precision.F16;
        keys = f16 ? null : new float[nLayers][n];
        values = f16 ? null : new float[nLayers][n];
        keys16 = f16 ? new short[nLayers][n] : null;
        values16 = f16 ? new short[nLayers][n] : null;
    }

    public Precision precision() {
        return precision;
    }

    public int capacity() {
        return capacity;
    }

    public int kvDim() {
        return kvHeads * headDim;
    }

    /** Keys of a layer, [kvHead][position][headDim] ({@link #offset}); FP32 caches only. */
    public float[] keys(int layer) {
        return f32(keys)[layer];
    }

    /** Values of a layer, laid out as {@link #keys}; FP32 caches only. */
    public float[] values(int layer) {
        return f32(values)[layer];
    }

    private float[][] f32(float[][] a) {
        if (a == null) throw new IllegalStateException("this KV cache holds FP16 entries");
        return a;
    }

    /** Index of element 0 of kvHead's vector at pos; the next position's starts headDim further. */
    public int offset(int kvHead, int pos) {
        return (kvHead * capacity + pos) * headDim;
    }

    /** Stores count positions' keys and values from rows [pos][kvDim] of k and v (row 0 at kOff and vOff). */
    void put(int layer, int pos, int count, float[] k, int kOff, float[] v, int vOff) {
        checkPosition(pos, count);
        int kvDim = kvDim();
        for (int t = 0; t < count; t++)
            for (int h = 0; h < kvHeads; h++) {
                int o = offset(h, pos + t), src = t * kvDim + h * headDim;
                if (precision == Precision.F32) {
                    System.arraycopy(k, kOff + src, keys[layer], o, headDim);
                    System.arraycopy(v, vOff + src, values[layer], o, headDim);
                } else {
                    short[] kc = keys16[layer], vc = values16[layer];
                    for (int i = 0; i < headDim; i++) {
                        kc[o + i] = Float.floatToFloat16(k[kOff + src + i]);
                        vc[o + i] = Float.floatToFloat16(v[vOff + src + i]);
                    }
                }
            }
    }

    /** FP16 keys of a layer (bit patterns), laid out as {@link #keys}; FP16 caches only. */
    short[] keys16(int layer) {
        return f16(keys16)[layer];
    }

    /** FP16 values of a layer, laid out as {@link #keys}; FP16 caches only. */
    short[] values16(int layer) {
        return f16(values16)[layer];
    }

    private short[][] f16(short[][] a) {
        if (a == null) throw new IllegalStateException("this KV cache holds FP32 entries");
        return a;
    }

    public long bytes() {
        return (precision == Precision.F16 ? 4L : 8L) * (keys != null ? keys.length : keys16.length) * capacity * kvDim();
    }

    void checkPosition(int pos, int count) {
        if (pos < 0 || pos + count > capacity) {
            throw new IllegalArgumentException("positions [" + pos + ", " + (pos + count) + ") exceed the KV cache capacity "
                    + capacity);
        }
    }
}
