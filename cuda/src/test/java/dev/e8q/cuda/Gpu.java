package dev.e8q.cuda;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Test helper: one shared context, or the test is skipped with the reason a GPU cannot be used. */
final class Gpu {
    private Gpu() {}

    private static CudaContext ctx;
    private static String reason;

    /** The shared context; skips the calling test (JUnit assumption) when there is no usable CUDA GPU. */
    static synchronized CudaContext context() {
        if (ctx == null && reason == null) {
            try {
                ctx = CudaContext.open();
            } catch (CudaUnavailableException e) {
                reason = e.getMessage();
            }
        }
        assumeTrue(ctx != null, "SKIPPED: needs a CUDA GPU (compute capability >= 8.0, driver for CUDA >= 12.0); "
                + "here: " + reason);
        return ctx;
    }
}
