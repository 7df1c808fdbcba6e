package dev.e8q.cuda;

import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;

/**
 * A {@link Device} on Java arrays whose launches go to a {@link KernelLauncher} (the Java replay or the CPU
 * emulation of the CUDA source), so that {@link CudaE8Linear}'s host code runs without a GPU. Tracks live
 * buffers so tests can check that close() frees everything it allocated.
 */
final class ArrayDevice implements Device {
    private final KernelLauncher launcher;
    final Set<Object> live = Collections.newSetFromMap(new IdentityHashMap<>());
    long limitBytes = Long.MAX_VALUE;
    int launches;

    ArrayDevice(KernelLauncher launcher) {
        this.launcher = launcher;
    }

    @Override
    public void launch(String kernel, int gridX, int gridY, int blockX, Object... args) {
        for (Object a : args)
            if (a != null && a.getClass().isArray() && !live.contains(a) && a != packed && a != grid && !bases.contains(a)
                    && a != scratchA && a != scratchB)
                throw new IllegalStateException(kernel + " got a buffer that is not allocated");
        launches++;
        launcher.launch(kernel, gridX, gridY, blockX, args);
    }

    @Override
    public void bind() {}

    @Override
    public void requireMemory(long bytes, String what) {
        if (bytes > limitBytes) throw new CudaUnavailableException("too little GPU memory for " + what);
    }

    private <T> T track(T buffer) {
        live.add(buffer);
        return buffer;
    }

    @Override
    public Object upload(long[] data) {
        return track(data.clone());
    }

    @Override
    public Object upload(float[] data) {
        return track(data.clone());
    }

    @Override
    public Object allocFloats(long count) {
        float[] f = new float[Math.toIntExact(count)];
        java.util.Arrays.fill(f, Float.NaN); // like uninitialized device memory: must be written before read
        return track(f);
    }

    @Override
    public void copyToDevice(Object dst, float[] src, int srcOff, int count) {
        System.arraycopy(src, srcOff, (float[]) dst, 0, count);
    }

    @Override
    public void copyToHost(float[] dst, int dstOff, Object src, int count) {
        System.arraycopy((float[]) src, 0, dst, dstOff, count);
    }

    @Override
    public void release(Object buffer) {
        if (!live.remove(buffer)) throw new IllegalStateException("released a buffer twice or one never allocated");
    }

    private float[] scratchA = new float[0], scratchB = new float[0];

    /** Like the GPU's: grown on demand, and NaN-filled when grown (device memory is uninitialized). */
    @Override
    public synchronized Object[] scratch(long floats) {
        if (floats > scratchA.length) {
            scratchA = new float[Math.toIntExact(floats)];
            scratchB = new float[Math.toIntExact(floats)];
            java.util.Arrays.fill(scratchA, Float.NaN);
            java.util.Arrays.fill(scratchB, Float.NaN);
        }
        return new Object[] {scratchA, scratchB};
    }

    private final int[] packed = GpuTables.packedAbs();
    private final byte[] grid = GpuTables.e81bGrid2();
    private final Set<Object> bases = Collections.newSetFromMap(new IdentityHashMap<>());
    private final java.util.Map<Integer, float[]> baseByK = new java.util.HashMap<>();

    @Override
    public Object packedAbsTable() {
        return packed;
    }

    @Override
    public Object e81bTable() {
        return grid;
    }

    @Override
    public Object baseMatrix(int k) {
        if (k == 1) return null;
        return baseByK.computeIfAbsent(k, kk -> {
            float[] h = GpuTables.hadamardBase(kk);
            bases.add(h);
            return h;
        });
    }
}
