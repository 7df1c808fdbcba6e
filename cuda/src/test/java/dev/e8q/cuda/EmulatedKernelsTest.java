package dev.e8q.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.e8q.codec.E8Matrix;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The CUDA source itself (compiled as C++, one fiber per CUDA thread, real barriers, warp shuffles and mma),
 * driven by the host's own launch sequence ({@link LayerLaunches}), against the codec's CPU multiply. This checks
 * the .cu's logic and the host's argument lists without a GPU; it says nothing about GPU-only behaviour.
 * Skipped (with the reason) when no g++ is available.
 */
class EmulatedKernelsTest {
    /** (rows, cols, paddedRows, paddedCols): K=28 rows + padding, K=12 both sides. */
    static final int[][] SHAPES = {{100, 200, 112, 256}, {48, 192, 48, 192}};

    @Test
    void cudaSourceComputesTheLayerAtEveryWidth() {
        EmulatedLauncher emu = EmulatedLauncher.get();
        Random rnd = new Random(21);
        for (int bits = 2; bits <= 4; bits++) {
            for (int[] s : SHAPES) {
                for (int batch : new int[] {1, 11}) { // matvec kernel; batched kernel with a partial 8-vector tile
                    check(emu, CudaGpuTest.randomMatrix(s, bits, rnd), batch, rnd);
                }
            }
        }
    }

    /** 8192 columns: two FWHT passes (4096 contiguous, then 2 strided); 11008 = 172·64: Llama-2-7B's MLP width. */
    @Test
    void cudaSourceComputesLlamaSizedHadamards() {
        EmulatedLauncher emu = EmulatedLauncher.get();
        Random rnd = new Random(22);
        check(emu, CudaGpuTest.randomMatrix(new int[] {16, 8192, 16, 8192}, 3, rnd), 1, rnd);
        check(emu, CudaGpuTest.randomMatrix(new int[] {16, 11008, 16, 11008}, 2, rnd), 1, rnd);
    }

    /** 3072 columns = 48 tiles: 6 per warp, so each warp ends with a partial group of prefetched tiles. */
    @Test
    void cudaSourceHandlesPartialPrefetchGroups() {
        EmulatedLauncher emu = EmulatedLauncher.get();
        Random rnd = new Random(23);
        check(emu, CudaGpuTest.randomMatrix(new int[] {32, 3072, 32, 3072}, 4, rnd), 2, rnd);
    }

    /**
     * The fp32 kernels against the codec's multiply; the tensor-core kernels (whose fp16 roundings the codec does
     * not make) against the Java replay's model of them, and within the fp16 error of the codec's multiply.
     */
    private static void check(EmulatedLauncher emu, E8Matrix m, int batch, Random rnd) {
        int rows = m.rows(), cols = m.cols();
        float[] x = CudaGpuTest.gaussian(batch * cols, rnd), want = new float[batch * rows];
        for (int v = 0; v < batch; v++) m.multiply(x, v * cols, want, v * rows);
        QuantizedWeights w = QuantizedWeights.of(m);
        float[] got = KernelSim.forward(w, x, batch, emu, false);
        KernelSimTest.assertClose(want, got, 1e-5, "emulated " + m + " batch " + batch);
        float[] tc = KernelSim.forward(w, x, batch, emu, true);
        KernelSimTest.assertClose(KernelSim.forward(w, x, batch, new KernelSim(), true), tc, 1e-5,
                "emulated tensor cores " + m + " batch " + batch);
        KernelSimTest.assertClose(want, tc, 1e-3, "emulated tensor cores vs the codec, " + m + " batch " + batch);
    }

    @Test
    void halfConversionRoundsToNearestEven() {
        EmulatedLauncher emu = EmulatedLauncher.get();
        float[] x = {0f, 1f, -2.5f, 65504f, 1e-8f, 0.1f, 3.14159f, 70000f, -0f, 1.0009766f, 1.0004883f};
        short[] h = new short[x.length];
        emu.launch(CudaFp16Linear.TO_HALF_KERNEL, 1, 1, 32, x, h, x.length);
        for (int i = 0; i < x.length; i++) assertEquals(Float.floatToFloat16(x[i]), h[i], "x = " + x[i]);
    }
}
