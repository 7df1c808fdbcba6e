package dev.e8q.cuda;

/**
 * The CUDA path cannot run here: JCuda's native libraries failed to load, there is no NVIDIA driver or device,
 * the driver or GPU is too old for the kernels, or the device has too little free memory. The message says
 * which, and what to do; callers fall back to the CPU or stop with that message.
 */
public final class CudaUnavailableException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public CudaUnavailableException(String message) {
        super(message);
    }

    public CudaUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
