package dev.e8q.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The committed PTX exists, has every kernel the host code launches, and was generated from the current .cu. */
class PtxResourceTest {
    static final List<String> ENTRIES = List.of("e8q_matvec2", "e8q_matvec3", "e8q_matvec4", "e8q_matmul2_b8",
            "e8q_matmul3_b8", "e8q_matmul4_b8", "e8q_mma2", "e8q_mma3", "e8q_mma4", "e8q_fwht_pass", "e8q_hadk",
            "e8q_f32_to_f16");

    static String ptx() throws Exception {
        try (InputStream in = CudaContext.class.getResourceAsStream(CudaContext.PTX_RESOURCE)) {
            assertNotNull(in, "resource dev/e8q/cuda/" + CudaContext.PTX_RESOURCE + " is missing");
            return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
        }
    }

    @Test
    void ptxHasEveryEntryPointForSm80AtIsa80() throws Exception {
        String ptx = ptx();
        for (String e : ENTRIES) assertTrue(ptx.contains(".visible .entry " + e + "("), "PTX lacks .entry " + e);
        assertTrue(ptx.contains("\n.version 8.0\n"), "PTX ISA must be lowered to 8.0 so CUDA 12.x drivers accept it");
        assertTrue(ptx.contains("\n.target sm_80\n"), "PTX must target sm_80");
        assertTrue(ptx.contains("\n.address_size 64\n"));
    }

    @Test
    void ptxWasGeneratedFromTheCurrentSource() throws Exception {
        Path cu = Path.of("src/main/cuda/e8q_kernels.cu");
        if (!Files.exists(cu)) cu = Path.of("cuda/src/main/cuda/e8q_kernels.cu"); // run from the repository root
        assertTrue(Files.exists(cu), "cannot find e8q_kernels.cu from " + Path.of("").toAbsolutePath());
        String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(cu)));
        String first = ptx().lines().findFirst().orElse("");
        assertEquals("// e8q-source-sha256: " + sha, first,
                "the committed PTX is stale: run cuda/gen-ptx.sh (needs nvcc) and commit the .ptx");
    }

    /** Every kernel name the host code launches is an entry of the PTX. */
    @Test
    void hostLaunchesOnlyKernelsThatExist() throws Exception {
        List<String> launched = new java.util.ArrayList<>(List.of(LayerLaunches.FWHT_KERNEL, LayerLaunches.HADK_KERNEL,
                CudaFp16Linear.TO_HALF_KERNEL));
        for (int bits = 2; bits <= 4; bits++) {
            launched.add(LayerLaunches.matvecKernel(bits, false));
            launched.add(LayerLaunches.matvecKernel(bits, true));
            launched.add(LayerLaunches.tensorCoreKernel(bits));
        }
        String ptx = ptx();
        for (String k : launched) assertTrue(ptx.contains(".visible .entry " + k + "("), "PTX lacks launched kernel " + k);
        assertTrue(launched.containsAll(ENTRIES) && ENTRIES.containsAll(launched), launched + " vs " + ENTRIES);
    }
}
