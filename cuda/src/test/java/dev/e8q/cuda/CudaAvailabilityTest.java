package dev.e8q.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * Without an NVIDIA driver, every entry point fails with a {@link CudaUnavailableException} whose message says
 * why, never with an {@link UnsatisfiedLinkError}. (On a GPU machine this test is skipped; {@link CudaGpuTest}
 * covers that side.)
 */
class CudaAvailabilityTest {
    /** An NVIDIA kernel driver is loaded (independent of JCuda and of the code under test). */
    static boolean nvidiaDriverPresent() {
        return Files.exists(Path.of("/proc/driver/nvidia/version")) || Files.exists(Path.of("/dev/nvidia0"));
    }

    @Test
    void withoutDriverOpeningFailsWithAClearMessage() {
        assumeFalse(nvidiaDriverPresent(), "skipped: this machine has an NVIDIA driver; the no-GPU path is not testable here");
        CudaUnavailableException e = assertThrows(CudaUnavailableException.class, CudaContext::open);
        assertNotNull(e.getMessage());
        assertTrue(e.getMessage().contains("driver") || e.getMessage().contains("device"), e.getMessage());
        assertTrue(e.getMessage().lines().count() == 1, "one line, not JCuda's page of stack traces: " + e.getMessage());
        // the failure is remembered: a second attempt gives the same message, not NoClassDefFoundError
        CudaUnavailableException again = assertThrows(CudaUnavailableException.class, () -> CudaContext.open(0));
        assertEquals(e.getMessage(), again.getMessage());
        assertEquals(e.getMessage(), CudaContext.unavailableReason());
        assertThrows(CudaUnavailableException.class, CudaContext::deviceCount);
    }

    @Test
    void badDeviceOrdinalPropertyIsReported() {
        String old = System.getProperty("e8q.cuda.device");
        System.setProperty("e8q.cuda.device", "gpu-one");
        try {
            CudaUnavailableException e = assertThrows(CudaUnavailableException.class, CudaContext::open);
            assertTrue(e.getMessage().contains("gpu-one"), e.getMessage());
        } finally {
            if (old == null) System.clearProperty("e8q.cuda.device");
            else System.setProperty("e8q.cuda.device", old);
        }
    }

    @Test
    void jcudaLinkErrorsAreCondensedToOneLine() {
        var missingDriver = new UnsatisfiedLinkError("Error while loading native library \"JCudaDriver\"\nStack trace ...\n"
                + "/tmp/libJCudaDriver.so: libcuda.so.1: cannot open shared object file: No such file or directory\n...");
        assertEquals("libcuda.so.1, the NVIDIA driver library, was not found", CudaContext.linkFailure(missingDriver));
        var cublas = new UnsatisfiedLinkError("Error while loading native library \"JCublas2\"\n"
                + "/tmp/libJCublas2.so: libcublas.so.12: cannot open shared object file: No such file or directory");
        assertEquals("libcublas.so.12 was not found", CudaContext.linkFailure(cublas));
        var other = new UnsatisfiedLinkError("no JCudaDriver in java.library.path\nmore lines");
        assertEquals("UnsatisfiedLinkError: no JCudaDriver in java.library.path", CudaContext.linkFailure(other));
    }
}
