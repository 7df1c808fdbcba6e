package dev.e8q.cuda;

/**
 * What {@link CudaE8Linear} needs of a device: memory, copies, the shared tables and kernel launches. The GPU
 * implementation is {@link CudaContext} (handles are {@code CUdeviceptr}); the tests run the same host code on
 * Java arrays through the kernels' Java replay or the CPU emulation of the CUDA source.
 */
interface Device extends KernelLauncher {
    /** Makes the device current on the calling thread. */
    void bind();

    /** Throws {@link CudaUnavailableException} when {@code bytes} cannot be allocated. */
    void requireMemory(long bytes, String what);

    Object upload(long[] data);

    Object upload(float[] data);

    /** Room for {@code count} floats. */
    Object allocFloats(long count);

    void copyToDevice(Object dst, float[] src, int srcOff, int count);

    void copyToHost(float[] dst, int dstOff, Object src, int count);

    void release(Object buffer);

    /**
     * Two activation buffers of at least {@code floats} floats each, owned by the device and shared by all its
     * layers (grown on demand; one layer's buffers would cost every layer the largest batch). Callers hold the
     * device's monitor ({@code synchronized (device)}) from this call until they are done with the buffers.
     */
    Object[] scratch(long floats);

    /** §1.4 packed-abs table, E81B table, hadK (null for K = 1): uploaded once per device. */
    Object packedAbsTable();

    Object e81bTable();

    Object baseMatrix(int k);
}
