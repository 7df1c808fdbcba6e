package dev.e8q.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.e8q.codec.E8Matrix;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link CudaE8Linear}'s own host code (padding, offsets, batch chunking, buffer growth, freeing) on an
 * array-backed device whose kernels are the Java replay, against the codec's CPU multiply. No GPU needed.
 */
class CudaE8LinearHostTest {
    @Test
    void forwardWithOffsetsAndPaddingEqualsCpu() {
        Random rnd = new Random(31);
        for (int bits = 2; bits <= 4; bits++) {
            E8Matrix m = CudaGpuTest.randomMatrix(new int[] {100, 200, 112, 256}, bits, rnd);
            ArrayDevice dev = new ArrayDevice(new KernelSim());
            try (CudaE8Linear g = new CudaE8Linear(dev, QuantizedWeights.of(m), false)) {
                float[] x = CudaGpuTest.gaussian(7 + 200, rnd), want = new float[5 + 100], got = new float[5 + 100];
                m.multiply(x, 7, want, 5);
                g.forward(x, 7, got, 5);
                KernelSimTest.assertClose(want, got, 1e-5, bits + "-bit forward with offsets");
                assertEquals(0f, got[0], "values before yOff untouched");
            }
            assertEquals(0, dev.live.size(), "close() frees every buffer");
        }
    }

    @Test
    void forwardBatchChunksAndGrowsBuffers() {
        Random rnd = new Random(32);
        E8Matrix m = CudaGpuTest.randomMatrix(new int[] {48, 64, 48, 64}, 4, rnd);
        ArrayDevice dev = new ArrayDevice(new KernelSim());
        try (CudaE8Linear g = new CudaE8Linear(dev, QuantizedWeights.of(m), false)) {
            for (int batch : new int[] {1, 3, 8, 9, CudaE8Linear.MAX_BATCH + 5}) { // growth; chunking past MAX_BATCH
                float[] x = CudaGpuTest.gaussian(batch * 64, rnd), want = new float[batch * 48], got = new float[batch * 48];
                for (int v = 0; v < batch; v++) m.multiply(x, v * 64, want, v * 48);
                g.forwardBatch(x, got, batch);
                KernelSimTest.assertClose(want, got, 1e-5, "batch " + batch);
            }
        }
        assertEquals(0, dev.live.size());
    }

    @Test
    void refusesWhatTheDeviceCannotHoldAndCallsAfterClose() {
        E8Matrix m = CudaGpuTest.randomMatrix(new int[] {16, 64, 16, 64}, 2, new Random(33));
        ArrayDevice small = new ArrayDevice(new KernelSim());
        small.limitBytes = 100;
        CudaUnavailableException e = assertThrows(CudaUnavailableException.class,
                () -> new CudaE8Linear(small, QuantizedWeights.of(m)));
        assertTrue(e.getMessage().contains("16x64 2-bit linear"), e.getMessage());
        CudaE8Linear g = new CudaE8Linear(new ArrayDevice(new KernelSim()), QuantizedWeights.of(m));
        g.close();
        assertThrows(IllegalStateException.class, () -> g.forward(new float[64], 0, new float[16], 0));
        assertThrows(IllegalArgumentException.class, () -> new CudaE8Linear(new ArrayDevice(new KernelSim()),
                QuantizedWeights.of(m)).forward(new float[63], 0, new float[16], 0));
    }

    /** The benchmark's correctness check, on the replay: tiny error for a correct layer, large for a wrong one. */
    @Test
    void benchmarkCheckSeparatesRightFromWrong() {
        Random rnd = new Random(35);
        E8Matrix m = CudaGpuTest.randomMatrix(new int[] {64, 128, 64, 128}, 3, rnd);
        QuantizedWeights w = QuantizedWeights.of(m);
        try (CudaE8Linear g = new CudaE8Linear(new ArrayDevice(new KernelSim()), w, false)) {
            assertTrue(CudaBench.check(g, w, new java.util.SplittableRandom(1)) < 1e-5);
        }
        try (CudaE8Linear g = new CudaE8Linear(new ArrayDevice(new KernelSim()), w, true)) {
            assertTrue(CudaBench.check(g, w, new java.util.SplittableRandom(1)) < CudaBench.TOLERANCE);
        }
        float[] sv = w.sv().clone();
        sv[3] = -sv[3]; // a layer whose output row 3 is wrong
        QuantizedWeights wrong = new QuantizedWeights(w.outFeatures(), w.inFeatures(), w.layout(), w.residScale(),
                w.qidxs(), w.su(), sv);
        try (CudaE8Linear g = new CudaE8Linear(new ArrayDevice(new KernelSim()), wrong)) {
            assertTrue(CudaBench.check(g, w, new java.util.SplittableRandom(1)) > CudaBench.TOLERANCE);
        }
    }

    /** The default layer multiplies on the tensor cores: the replay's fp16 model exactly, the CPU within 1e-3. */
    @Test
    void tensorCoreLayerEqualsItsModelAndTheCpuWithinFp16Error() {
        Random rnd = new Random(36);
        for (int bits = 2; bits <= 4; bits++) {
            E8Matrix m = CudaGpuTest.randomMatrix(new int[] {100, 200, 112, 256}, bits, rnd);
            QuantizedWeights w = QuantizedWeights.of(m);
            try (CudaE8Linear g = new CudaE8Linear(new ArrayDevice(new KernelSim()), w)) {
                assertTrue(g.tensorCores(), "tensor cores are the default");
                float[] x = CudaGpuTest.gaussian(9 * 200, rnd), want = new float[9 * 100], got = new float[9 * 100];
                for (int v = 0; v < 9; v++) m.multiply(x, v * 200, want, v * 100);
                g.forwardBatch(x, got, 9);
                KernelSimTest.assertClose(KernelSim.forward(w, x, 9, new KernelSim(), true), got, 1e-5, bits + "-bit model");
                KernelSimTest.assertClose(want, got, 1e-3, bits + "-bit vs CPU");
                assertEquals(0, g.fp32Reruns());
            }
        }
    }

    /** Activations past fp16's range make the tensor-core result non-finite: that call is redone in fp32. */
    @Test
    void fp16OverflowIsRecomputedOnTheFp32Kernel() {
        Random rnd = new Random(37);
        E8Matrix m = CudaGpuTest.randomMatrix(new int[] {64, 128, 64, 128}, 4, rnd);
        float[] x = CudaGpuTest.gaussian(128, rnd), want = new float[64], got = new float[64];
        for (int i = 0; i < x.length; i++) x[i] *= 1e6f; // rotated activations ~1e6 > 65504
        m.multiply(x, want);
        try (CudaE8Linear g = new CudaE8Linear(new ArrayDevice(new KernelSim()), QuantizedWeights.of(m), true)) {
            g.forward(x, 0, got, 0);
            assertEquals(1, g.fp32Reruns());
            KernelSimTest.assertClose(want, got, 1e-5, "recomputed in fp32");
            g.forward(CudaGpuTest.gaussian(128, rnd), 0, got, 0);
            assertEquals(1, g.fp32Reruns(), "a normal input stays on the tensor cores");
        }
    }

    /** The same host code on the CPU emulation of the CUDA source. */
    @Test
    void hostCodeOnTheEmulatedCudaSource() {
        EmulatedLauncher emu = EmulatedLauncher.get();
        Random rnd = new Random(34);
        E8Matrix m = CudaGpuTest.randomMatrix(new int[] {100, 200, 112, 256}, 3, rnd);
        try (CudaE8Linear g = new CudaE8Linear(new ArrayDevice(emu), QuantizedWeights.of(m), false)) {
            float[] x = CudaGpuTest.gaussian(3 * 200, rnd), want = new float[3 * 100], got = new float[3 * 100];
            for (int v = 0; v < 3; v++) m.multiply(x, v * 200, want, v * 100);
            g.forwardBatch(x, got, 3);
            KernelSimTest.assertClose(want, got, 1e-5, "emulated CudaE8Linear");
        }
    }
}
