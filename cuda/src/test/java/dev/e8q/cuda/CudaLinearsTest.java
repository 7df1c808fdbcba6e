package dev.e8q.cuda;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import dev.e8q.codec.E8Matrix;
import dev.e8q.llama.Linear;
import dev.e8q.llama.model.LinearKind;
import dev.e8q.llama.model.LlamaModel;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class CudaLinearsTest {
    /** Stand-in for the quantized-model loader's linear: exposes its matrix under some name. */
    static final class FakeQuantized implements Linear {
        private final E8Matrix m;
        private final int out;

        FakeQuantized(E8Matrix m, int out) {
            this.m = m;
            this.out = out;
        }

        FakeQuantized(E8Matrix m) {
            this(m, m.rows());
        }

        public E8Matrix codes() {
            return m;
        }

        public int inFeatures() { return m.cols(); }
        public int outFeatures() { return out; }
        public void forward(float[] x, int xOff, float[] y, int yOff) { m.multiply(x, xOff, y, yOff); }
        public long weightBytes() { return m.sizeInBytes(); }
    }

    @Test
    void recognizesQuantizedLinearsByTheirMatrixAccessor() {
        E8Matrix m = CudaGpuTest.randomMatrix(new int[] {100, 200, 112, 256}, 2, new Random(1));
        assertSame(m, CudaLinears.e8MatrixOf(new FakeQuantized(m, 100)));
        assertNull(CudaLinears.e8MatrixOf(new FakeQuantized(m, 40)), "a slice of a fused matrix stays on the CPU");
        assertNull(CudaLinears.e8MatrixOf(new Linear() {
            public int inFeatures() { return 200; }
            public int outFeatures() { return 100; }
            public void forward(float[] x, int xOff, float[] y, int yOff) {}
            public long weightBytes() { return 0; }
        }), "no accessor: not recognized");
    }

    @Test
    void withoutGpuMoveToGpuFailsClearlyAndLeavesTheModelAlone() throws Exception {
        assumeFalse(CudaAvailabilityTest.nvidiaDriverPresent(), "skipped: this machine has an NVIDIA driver");
        LlamaModel model = CudaGpuTest.load();
        List<Linear> before = new ArrayList<>();
        for (var b : model.blocks()) for (LinearKind k : LinearKind.values()) before.add(b.linear(k));
        Linear head = model.lmHead();
        assertThrows(CudaUnavailableException.class, () -> CudaLinears.moveToGpu(model, true));
        int i = 0;
        for (var b : model.blocks()) for (LinearKind k : LinearKind.values()) assertSame(before.get(i++), b.linear(k));
        assertSame(head, model.lmHead());
    }
}
