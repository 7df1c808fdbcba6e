package dev.e8q.cuda;

/**
 * Something that runs the kernels of {@code e8q_kernels.cu}: the GPU ({@link CudaContext}, buffers are
 * {@code CUdeviceptr}) or, in the tests, a CPU emulation of the CUDA source (buffers are Java arrays).
 */
interface KernelLauncher {
    /**
     * Launches {@code kernel} on a gridX × gridY grid of blockX-thread blocks, in order with earlier launches.
     * Arguments: a buffer of this launcher (null = null pointer), Integer or Float, in the kernel's parameter order.
     */
    void launch(String kernel, int gridX, int gridY, int blockX, Object... args);
}
