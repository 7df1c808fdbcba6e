package dev.e8q.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.e8q.codec.E8Codec;
import dev.e8q.codec.E8Matrix;
import dev.e8q.llama.WeightSource;
import dev.e8q.llama.generate.Generator;
import dev.e8q.llama.generate.Sampler;
import dev.e8q.llama.io.Checkpoints;
import dev.e8q.llama.model.DType;
import dev.e8q.llama.model.DecoderBlock;
import dev.e8q.llama.model.DenseLinear;
import dev.e8q.llama.model.LinearKind;
import dev.e8q.llama.model.LlamaModel;
import dev.e8q.llama.testdata.TestData;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * GPU results against the CPU reference ({@link E8Matrix#multiply}). Every test here needs a CUDA GPU and is
 * skipped (with the reason) without one; run on a GPU machine with
 * {@code ./build -De8q.out=target-cuda -pl cuda -am test -Dtest='dev.e8q.cuda.**'}.
 */
class CudaGpuTest {
    /** (rows, cols, paddedRows, paddedCols): tiny, padded (K=28 rows), K=12, Llama-2-7B/13B shapes (K=172, K=108). */
    static final int[][] SHAPES = {{16, 64, 16, 64}, {100, 200, 112, 256}, {48, 192, 48, 192}, {4096, 4096, 4096, 4096},
            {11008, 4096, 11008, 4096}, {4096, 11008, 4096, 11008}, {5120, 13824, 5120, 13824}};

    static E8Matrix randomMatrix(int[] s, int bits, Random rnd) {
        QidxsLayout lay = new QidxsLayout(s[2], s[3], bits);
        long[] q = new long[lay.totalWords()];
        for (int i = 0; i < q.length; i++) q[i] = rnd.nextLong();
        float[] su = new float[s[3]], sv = new float[s[2]];
        for (int i = 0; i < su.length; i++) su[i] = (rnd.nextBoolean() ? 1 : -1) * (0.5f + rnd.nextFloat());
        for (int i = 0; i < sv.length; i++) sv[i] = (rnd.nextBoolean() ? 1 : -1) * (0.01f + 0.02f * rnd.nextFloat());
        return E8Matrix.fromQidxs(s[0], s[1], bits, q, su, sv, bits == 3 ? 2.04 : 3.45);
    }

    static float[] gaussian(int n, Random rnd) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) rnd.nextGaussian();
        return x;
    }

    @Test
    void matvecEqualsCpuForEveryWidthAndShape() {
        CudaContext ctx = Gpu.context();
        Random rnd = new Random(11);
        for (int bits = 2; bits <= 4; bits++) {
            for (int[] s : SHAPES) {
                E8Matrix m = randomMatrix(s, bits, rnd);
                float[] x = gaussian(s[1], rnd), want = new float[s[0]], got = new float[s[0]];
                m.multiply(x, want);
                for (boolean tc : new boolean[] {false, true}) {
                    try (CudaE8Linear g = new CudaE8Linear(ctx, QuantizedWeights.of(m), tc)) {
                        g.forward(x, 0, got, 0);
                    }
                    KernelSimTest.assertClose(want, got, 1e-3, bits + "-bit " + s[0] + "x" + s[1] + " on " + ctx
                            + (tc ? ", tensor cores" : ", fp32"));
                }
            }
        }
    }

    @Test
    void batchedForwardEqualsCpuForAnyBatchSize() {
        CudaContext ctx = Gpu.context();
        Random rnd = new Random(12);
        for (int bits = 2; bits <= 4; bits++) {
            E8Matrix m = randomMatrix(new int[] {1000, 700, 1024, 768}, bits, rnd); // padded both ways, K=12 on input
            for (boolean tc : new boolean[] {false, true}) {
                try (CudaE8Linear g = new CudaE8Linear(ctx, QuantizedWeights.of(m), tc)) {
                    for (int batch : new int[] {1, 2, 8, 13, 300}) {
                        float[] x = gaussian(batch * 700, rnd), want = new float[batch * 1000], got = new float[batch * 1000];
                        for (int b = 0; b < batch; b++) m.multiply(x, b * 700, want, b * 1000);
                        g.forwardBatch(x, got, batch);
                        KernelSimTest.assertClose(want, got, 1e-3, bits + "-bit batch " + batch + (tc ? ", tensor cores" : ""));
                    }
                }
            }
        }
    }

    @Test
    void gpuEqualsTheJavaReplayOfTheKernels() {
        CudaContext ctx = Gpu.context();
        Random rnd = new Random(13);
        for (int bits = 2; bits <= 4; bits++) {
            E8Matrix m = randomMatrix(new int[] {512, 1536, 512, 1536}, bits, rnd);
            QuantizedWeights w = QuantizedWeights.of(m);
            float[] x = gaussian(3 * 1536, rnd);
            for (boolean tc : new boolean[] {false, true}) {
                float[] got = new float[3 * 512];
                float[] want = KernelSim.forward(w, x, 3, new KernelSim(), tc);
                try (CudaE8Linear g = new CudaE8Linear(ctx, w, tc)) {
                    g.forwardBatch(x, got, 3);
                }
                KernelSimTest.assertClose(want, got, 1e-5, bits + "-bit replay" + (tc ? ", tensor cores" : ""));
            }
        }
    }

    @Test
    void fp16CublasBaselineMatchesCpu() {
        CudaContext ctx = Gpu.context();
        Random rnd = new Random(14);
        int rows = 384, cols = 256;
        float[] w = gaussian(rows * cols, rnd), x = gaussian(2 * cols, rnd);
        float[] want = new float[2 * rows], got = new float[2 * rows];
        for (int b = 0; b < 2; b++)
            for (int r = 0; r < rows; r++) {
                double acc = 0;
                for (int c = 0; c < cols; c++)
                    acc += (double) Float.float16ToFloat(Float.floatToFloat16(w[r * cols + c]))
                            * Float.float16ToFloat(Float.floatToFloat16(x[b * cols + c]));
                want[b * rows + r] = (float) acc;
            }
        try (CudaFp16Linear g = fp16OrSkip(() -> CudaFp16Linear.of(ctx, w, rows, cols))) {
            g.forwardBatch(x, got, 2);
        }
        KernelSimTest.assertClose(want, got, 1e-3, "fp16 cuBLAS");
    }

    @Test
    void tooLittleMemoryIsAClearError() {
        CudaContext ctx = Gpu.context();
        CudaUnavailableException e = assertThrows(CudaUnavailableException.class,
                () -> ctx.requireMemory(ctx.totalMemory() * 2, "a test request"));
        assertTrue(e.getMessage().contains("too little GPU memory for a test request"), e.getMessage());
    }

    /**
     * stories260K with every decoder linear at 4 bits, q/k/v and gate/up as fused QuIP# matrices with fuse scales,
     * moved to the GPU through the CLI hook ({@link CudaLinears#moveToGpu}): greedy text on the GPU equals the CPU's.
     */
    @Test
    void stories260KGreedyTextEqualsCpu() throws Exception {
        Gpu.context();
        LlamaModel cpu = load(), gpu = load();
        for (int l = 0; l < cpu.blocks().size(); l++) {
            quantizeBlock(cpu.block(l), gpu.block(l));
        }
        try (CudaLinears.Placement p = CudaLinears.moveToGpu(gpu, CudaLinearsTest.FakeQuantized::describe, false)) {
            assertEquals(5 * 7, p.quantized(), p.toString());
            assertTrue(gpu.block(0).linear(LinearKind.O) instanceof CudaE8Linear);
            assertTrue(gpu.block(0).linear(LinearKind.Q) instanceof CudaFusedSlice);
            int[] a = new Generator(cpu).generate(new int[] {1}, 60, Sampler.greedy(), null).generated();
            int[] b = new Generator(gpu).generate(new int[] {1}, 60, Sampler.greedy(), null).generated();
            assertTrue(a.length > 20, "the quantized model should produce text, got " + a.length + " tokens");
            assertArrayEquals(a, b, "greedy ids, CPU vs GPU");
        }
    }

    /** Quantizes a block: [q; k; v] and [up; gate] fused (fuse scales 1, 0.5, 2 / 1, 0.75), o and down alone. */
    static void quantizeBlock(DecoderBlock cb, DecoderBlock gb) {
        LinearKind[][] groups = {{LinearKind.Q, LinearKind.K, LinearKind.V}, {LinearKind.UP, LinearKind.GATE},
                {LinearKind.O}, {LinearKind.DOWN}};
        float[][] scales = {{1f, 0.5f, 2f}, {1f, 0.75f}, {1f}, {1f}};
        for (int g = 0; g < groups.length; g++) {
            int in = cb.linear(groups[g][0]).inFeatures(), rows = 0;
            for (LinearKind k : groups[g]) rows += cb.linear(k).outFeatures();
            float[] w = new float[rows * in];
            int o = 0;
            for (int i = 0; i < groups[g].length; i++) {
                DenseLinear d = (DenseLinear) cb.linear(groups[g][i]);
                float[] part = d.weights();
                for (int j = 0; j < part.length; j++) w[o * in + j] = part[j] / scales[g][i];
                o += d.outFeatures();
            }
            E8Matrix q = E8Codec.encode(w, rows, in, 4);
            o = 0;
            for (int i = 0; i < groups[g].length; i++) {
                LinearKind k = groups[g][i];
                int r = cb.linear(k).outFeatures();
                cb.setLinear(k, new CudaLinearsTest.FakeQuantized(q, o, r, scales[g][i]));
                gb.setLinear(k, new CudaLinearsTest.FakeQuantized(q, o, r, scales[g][i]));
                o += r;
            }
        }
    }

    /** Dense stories260K on FP16 cuBLAS (every linear and lm_head): greedy text starts like the FP32 reference. */
    @Test
    void stories260KOnFp16CublasStartsLikeTheReference() throws Exception {
        Gpu.context();
        LlamaModel gpu = load();
        try (CudaLinears.Placement p = fp16OrSkip(() -> CudaLinears.moveToGpu(gpu, l -> null, true))) {
            assertEquals(5 * 7 + 1, p.dense(), p.toString());
            int[] b = new Generator(gpu).generate(new int[] {1}, 12, Sampler.greedy(), null).generated();
            // "Once upon a time, there was a little girl" (shared/data/README.md)
            assertArrayEquals(new int[] {403, 407, 261, 378, 432, 383, 286, 261, 376, 298}, java.util.Arrays.copyOf(b, 10));
        }
    }

    /** Runs {@code make}; skips the test (with the reason) when only cuBLAS is missing on this GPU machine. */
    static <T> T fp16OrSkip(java.util.function.Supplier<T> make) {
        try {
            return make.get();
        } catch (CudaUnavailableException e) {
            org.junit.jupiter.api.Assumptions.assumeFalse(e.getMessage().startsWith("cuBLAS could not be loaded"),
                    "SKIPPED: the FP16 baseline needs cuBLAS 12: " + e.getMessage());
            throw e;
        }
    }

    static LlamaModel load() throws Exception {
        try (WeightSource ws = Checkpoints.open(TestData.stories260K())) {
            return LlamaModel.load(ws, DType.F32);
        }
    }
}
