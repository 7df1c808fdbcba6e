package dev.e8q.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import dev.e8q.codec.E8Matrix;
import dev.e8q.llama.Linear;
import dev.e8q.llama.generate.Generator;
import dev.e8q.llama.generate.Sampler;
import dev.e8q.llama.model.LinearKind;
import dev.e8q.llama.model.LlamaModel;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class CudaLinearsTest {
    /** Stand-in for the quantized-model loader's linear (a whole matrix or one piece of a fused one), on the CPU. */
    static final class FakeQuantized implements Linear {
        final E8Matrix m;
        final int from, rows;
        final float scale;

        FakeQuantized(E8Matrix m, int from, int rows, float scale) {
            this.m = m;
            this.from = from;
            this.rows = rows;
            this.scale = scale;
        }

        FakeQuantized(E8Matrix m) {
            this(m, 0, m.rows(), 1f);
        }

        /** The adapter a caller of {@link CudaLinears#moveToGpu} writes for its own quantized linear class. */
        static CudaLinears.Quantized describe(Linear l) {
            return l instanceof FakeQuantized f ? new CudaLinears.Quantized(f.m, f.from, f.scale) : null;
        }

        public int inFeatures() { return m.cols(); }
        public int outFeatures() { return rows; }
        public void forward(float[] x, int xOff, float[] y, int yOff) {
            float[] all = new float[m.rows()];
            m.multiply(x, xOff, all, 0);
            for (int i = 0; i < rows; i++) y[yOff + i] = scale * all[from + i];
        }
        public long weightBytes() { return m.sizeInBytes(); }
    }

    /** q, k, v pieces of one fused matrix share one device layer and one product per input. */
    @Test
    void fusedPiecesShareOneProductPerInput() {
        Random rnd = new Random(41);
        E8Matrix fused = CudaGpuTest.randomMatrix(new int[] {88, 200, 96, 256}, 3, rnd); // [40; 24; 24]
        int[] from = {0, 40, 64}, rows = {40, 24, 24};
        float[] scale = {0.5f, 2f, 1.25f};
        CudaFusedSlice.Product prod = new CudaFusedSlice.Product(
                new CudaE8Linear(new ArrayDevice(new KernelSim()), QuantizedWeights.of(fused), false)); // exact sums
        List<CudaFusedSlice> pieces = new ArrayList<>();
        for (int i = 0; i < 3; i++) pieces.add(new CudaFusedSlice(prod, from[i], rows[i], scale[i]));
        float[] x = CudaGpuTest.gaussian(7 + 200, rnd);
        for (int i = 0; i < 3; i++) {
            float[] want = new float[rows[i]], got = new float[rows[i] + 3];
            new FakeQuantized(fused, from[i], rows[i], scale[i]).forward(x, 7, want, 0);
            pieces.get(i).forward(x, 7, got, 3);
            KernelSimTest.assertClose(want, java.util.Arrays.copyOfRange(got, 3, 3 + rows[i]), 1e-5, "piece " + i);
        }
        assertEquals(1, prod.computed, "one fused product for the three pieces of one input");
        // batched, and a changed input recomputes
        int batch = 3;
        float[] xb = CudaGpuTest.gaussian(batch * 200, rnd);
        for (int i = 0; i < 3; i++) {
            float[] want = new float[batch * rows[i]], got = new float[batch * rows[i]];
            FakeQuantized f = new FakeQuantized(fused, from[i], rows[i], scale[i]);
            for (int b = 0; b < batch; b++) f.forward(xb, b * 200, want, b * rows[i]);
            pieces.get(i).forwardBatch(xb, got, batch);
            KernelSimTest.assertClose(want, got, 1e-5, "batched piece " + i);
        }
        assertEquals(2, prod.computed);
        assertThrows(IllegalArgumentException.class, () -> new CudaFusedSlice(prod, 80, 24, 1f));
    }

    /**
     * The whole hook without a GPU: stories260K with fused 4-bit q/k/v and up/gate, moved onto an array-backed
     * device running the kernels' Java replay; greedy ids equal the CPU model's, and close() frees every buffer.
     */
    @Test
    void stories260KMovedOntoTheKernelReplayGeneratesTheCpuText() throws Exception {
        LlamaModel cpu = CudaGpuTest.load(), moved = CudaGpuTest.load();
        for (int l = 0; l < cpu.blocks().size(); l++) CudaGpuTest.quantizeBlock(cpu.block(l), moved.block(l));
        ArrayDevice dev = new ArrayDevice(new KernelSim());
        try (CudaLinears.Placement p = CudaLinears.moveTo(dev, moved, FakeQuantized::describe, false)) {
            assertEquals(5 * 7, p.quantized(), p.toString());
            assertEquals(1, p.onCpu(), "every decoder linear moved; the dense lm_head stays (denseToo is false)");
            assertTrue(moved.block(0).linear(LinearKind.Q) instanceof CudaFusedSlice);
            assertTrue(moved.block(0).linear(LinearKind.DOWN) instanceof CudaE8Linear);
            int[] a = new Generator(cpu).generate(new int[] {1}, 30, Sampler.greedy(), null).generated();
            int[] b = new Generator(moved).generate(new int[] {1}, 30, Sampler.greedy(), null).generated();
            assertTrue(a.length >= 10, "the quantized model should produce text, got " + a.length + " tokens");
            assertArrayEquals(a, b);
        }
        assertEquals(0, dev.live.size(), "closing the placement frees every layer");
    }

    @Test
    void deviceOptionCpuDoesNothingAndOtherNamesAreRejected() throws Exception {
        LlamaModel model = CudaGpuTest.load();
        Linear q = model.block(0).linear(LinearKind.Q);
        assertEquals(null, CudaLinears.onDevice("cpu", model, FakeQuantized::describe));
        assertEquals(null, CudaLinears.onDevice(null, model, FakeQuantized::describe));
        assertSame(q, model.block(0).linear(LinearKind.Q));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> CudaLinears.onDevice("tpu", model, FakeQuantized::describe));
        assertTrue(e.getMessage().contains("cpu or cuda"), e.getMessage());
    }

    @Test
    void withoutGpuMoveToGpuFailsClearlyAndLeavesTheModelAlone() throws Exception {
        assumeFalse(CudaAvailabilityTest.nvidiaDriverPresent(), "skipped: this machine has an NVIDIA driver");
        LlamaModel model = CudaGpuTest.load();
        List<Linear> before = new ArrayList<>();
        for (var b : model.blocks()) for (LinearKind k : LinearKind.values()) before.add(b.linear(k));
        Linear head = model.lmHead();
        CudaUnavailableException e = assertThrows(CudaUnavailableException.class,
                () -> CudaLinears.moveToGpu(model, FakeQuantized::describe, true));
        assertEquals(e.getMessage(), CudaLinears.unavailableReason());
        assertThrows(CudaUnavailableException.class, () -> CudaLinears.onDevice("cuda", model, FakeQuantized::describe));
        int i = 0;
        for (var b : model.blocks()) for (LinearKind k : LinearKind.values()) assertSame(before.get(i++), b.linear(k));
        assertSame(head, model.lmHead());
    }
}
