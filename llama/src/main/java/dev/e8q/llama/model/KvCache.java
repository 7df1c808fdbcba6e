package dev.e8q.llama.model;

/** Keys and values of past positions, per layer: [position][kvDim] row-major, after RoPE for keys. */
public final class KvCache {
    private final float[][] keys, values;
    private final int capacity, kvDim;

    public KvCache(int nLayers, int capacity, int kvDim) {
        if (capacity <= 0) throw new IllegalArgumentException("KV cache capacity must be positive, got " + capacity);
        this.capacity = capacity;
        this.kvDim = kvDim;
        keys = new float[nLayers][Math.multiplyExact(capacity, kvDim)];
        values = new float[nLayers][capacity * kvDim];
    }

    public int capacity() {
        return capacity;
    }

    public int kvDim() {
        return kvDim;
    }

    public float[] keys(int layer) {
        return keys[layer];
    }

    public float[] values(int layer) {
        return values[layer];
    }

    public long bytes() {
        return 8L * keys.length * capacity * kvDim;
    }

    void checkPosition(int pos, int count) {
        if (pos < 0 || pos + count > capacity) {
            throw new IllegalArgumentException("positions [" + pos + ", " + (pos + count) + ") exceed the KV cache capacity "
                    + capacity);
        }
    }
}
