package dev.e8q.llama.model;

/**
 * Keys and values of past positions, per layer, after RoPE for keys. Laid out head-major, [kvHead][position][headDim]:
 * attention reads one head's keys and values position after position, and with the position-major layout
 * ([position][kvDim]) those reads jumped kvDim floats (8 KiB for dim 2048) from one position to the next, so every
 * position cost a new page and the prefetchers stopped at each one.
 */
public final class KvCache {
    private final float[][] keys, values;
    private final int capacity, kvHeads, headDim;

    public KvCache(int nLayers, int capacity, int kvHeads, int headDim) {
        if (capacity <= 0) throw new IllegalArgumentException("KV cache capacity must be positive, got " + capacity);
        if (kvHeads <= 0 || headDim <= 0) throw new IllegalArgumentException("KV heads and head size must be positive, got " + kvHeads + " and " + headDim);
        this.capacity = capacity;
        this.kvHeads = kvHeads;
        this.headDim = headDim;
        int n = Math.multiplyExact(Math.multiplyExact(capacity, kvHeads), headDim);
        keys = new float[nLayers][n];
        values = new float[nLayers][n];
    }

    public int capacity() {
        return capacity;
    }

    public int kvDim() {
        return kvHeads * headDim;
    }

    /** Keys of a layer, [kvHead][position][headDim] ({@link #offset}). */
    public float[] keys(int layer) {
        return keys[layer];
    }

    /** Values of a layer, laid out as {@link #keys}. */
    public float[] values(int layer) {
        return values[layer];
    }

    /** Index of element 0 of kvHead's vector at pos; the next position's starts headDim further. */
    public int offset(int kvHead, int pos) {
        return (kvHead * capacity + pos) * headDim;
    }

    /** Stores count positions' keys and values from rows [pos][kvDim] of k and v (row 0 at kOff and vOff). */
    void put(int layer, int pos, int count, float[] k, int kOff, float[] v, int vOff) {
        checkPosition(pos, count);
        int kvDim = kvDim();
        float[] kc = keys[layer], vc = values[layer];
        for (int t = 0; t < count; t++)
            for (int h = 0; h < kvHeads; h++) {
                int o = offset(h, pos + t), src = t * kvDim + h * headDim;
                System.arraycopy(k, kOff + src, kc, o, headDim);
                System.arraycopy(v, vOff + src, vc, o, headDim);
            }
    }

    public long bytes() {
        return 8L * keys.length * capacity * kvDim();
    }

    void checkPosition(int pos, int count) {
        if (pos < 0 || pos + count > capacity) {
            throw new IllegalArgumentException("positions [" + pos + ", " + (pos + count) + ") exceed the KV cache capacity "
                    + capacity);
        }
    }
}
