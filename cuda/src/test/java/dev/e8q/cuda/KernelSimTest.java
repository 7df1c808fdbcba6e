package dev.e8q.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.e8q.codec.E8Matrix;
import dev.e8q.codec.QidxsPacking;
import dev.e8q.hadamard.Hadamard;
import dev.e8q.lattice.E81B;
import dev.e8q.lattice.E8P;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The kernels' logic, replayed in Java, against independent CPU references (no GPU needed). */
class KernelSimTest {
    @Test
    void hadamardPlanMatchesTheHadamardModule() {
        // pow2 (single and multi-pass), and K ∈ {12, 20, 28, 172} with small and large L
        int[] sizes = {64, 4096, 16384, 65536, 24 * 16, 5120, 28 * 1024, 11008};
        Random rnd = new Random(1);
        for (int n : sizes) {
            for (boolean transposed : new boolean[] {false, true}) {
                int batch = 2;
                float[] x = new float[batch * n], scale = new float[n];
                for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
                for (int i = 0; i < n; i++) scale[i] = rnd.nextBoolean() ? 1f : -1.5f;
                float[] want = new float[batch * n];
                for (int v = 0; v < batch; v++) {
                    for (int i = 0; i < n; i++) want[v * n + i] = transposed ? x[v * n + i] * scale[i] : x[v * n + i];
                    if (transposed) Hadamard.transformTransposed(want, v * n, n);
                    else Hadamard.transform(want, v * n, n);
                    if (!transposed) for (int i = 0; i < n; i++) want[v * n + i] *= scale[i];
                }
                HadamardPlan plan = transposed ? HadamardPlan.input(n) : HadamardPlan.output(n);
                float[] got = runPlan(plan, batch, scale, x.clone());
                assertClose(want, got, 1e-5, "n=" + n + (transposed ? " Mᵀ" : " M") + " " + plan.ops());
            }
        }
    }

    @Test
    void hadamardPlanMatchesSpecTestVector() {
        int n = 24;
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = i + 1;
        float[] ones = new float[n];
        java.util.Arrays.fill(ones, 1f);
        HadamardPlan fwd = HadamardPlan.build(n, false, false, false), back = HadamardPlan.build(n, true, false, false);
        float[] m = runPlan(fwd, 1, ones, x.clone());
        float[] mt = runPlan(back, 1, ones, x.clone());
        float[] wantM = {-60.012499f, 2.041241f, 11.022704f, -0.408248f}, wantMt = {61.237244f, -2.449490f, -8.164966f, 0f};
        for (int i = 0; i < 4; i++) {
            assertEquals(wantM[i], m[i], 1e-4, "Mx[" + i + "]");
            assertEquals(wantMt[i], mt[i], 1e-4, "Mᵀx[" + i + "]");
        }
    }

    @Test
    void planPassesFitSharedMemoryAndCoalesce() {
        for (int n : new int[] {64, 4096, 8192, 16384, 32768, 11008, 13824, 57344}) {
            for (HadamardPlan.Op op : HadamardPlan.input(n).ops()) {
                if (op instanceof HadamardPlan.Fwht f) {
                    assertTrue(f.ta() * f.len() * f.tb() <= HadamardPlan.TILE, "tile too large: " + f);
                    assertTrue(f.ta() >= 1 && f.ta() <= f.groups(), "bad ta: " + f);
                    assertTrue(f.b() % f.tb() == 0 && (f.tb() >= 32 || f.tb() == f.b()), "uncoalesced: " + f);
                }
            }
        }
    }

    @Test
    void matvecMatchesDenseDecodeAtEveryWidth() {
        Random rnd = new Random(3);
        int[][] shapes = {{16, 64}, {32, 1024}, {48, 576}, {128, 192}};
        for (int bits = 2; bits <= 4; bits++) {
            for (int[] s : shapes) {
                int m = s[0], n = s[1], batch = 11; // one full and one partial 8-vector tile
                QidxsLayout lay = new QidxsLayout(m, n, bits);
                long[] q = randomQidxs(lay, rnd);
                float rs = bits == 3 ? 2.04f : 3.45f;
                float[] u = new float[batch * n];
                for (int i = 0; i < u.length; i++) u[i] = (float) rnd.nextGaussian();
                LayerLaunches ll = new LayerLaunches(lay, null, null, rs, q, GpuTables.packedAbs(), GpuTables.e81bGrid2(),
                        null, null, null, null);
                for (boolean tc : new boolean[] {false, true}) {
                    float[] z = new float[batch * m];
                    ll.matvec(new KernelSim(), u, z, batch, tc);
                    // the tensor-core kernel's model: fp16 weights (rounded once) times fp16 activations
                    double[] w = denseDecode(lay, q, rs, tc);
                    double[] want = new double[batch * m];
                    for (int v = 0; v < batch; v++)
                        for (int r = 0; r < m; r++) {
                            double acc = 0;
                            for (int c = 0; c < n; c++)
                                acc += w[r * n + c] * (tc ? KernelSim.half(u[v * n + c]) : u[v * n + c]);
                            want[v * m + r] = acc;
                        }
                    assertClose(toFloat(want), z, 1e-5, bits + "-bit " + m + "x" + n + (tc ? " tensor cores" : ""));
                }
            }
        }
    }

    /** The whole layer (padding, SU, Mᵀ, matvec, M, SV, crop), replayed, against the codec's CPU multiply. */
    @Test
    void simulatedLayerEqualsE8MatrixMultiply() {
        Random rnd = new Random(5);
        int[][] shapes = {{64, 64, 64, 64}, {100, 200, 112, 256}, {48, 192, 48, 192}, {300, 172, 320, 192}};
        for (int bits = 2; bits <= 4; bits++) {
            for (int[] s : shapes) {
                E8Matrix m = CudaGpuTest.randomMatrix(s, bits, rnd);
                int batch = 2;
                float[] x = CudaGpuTest.gaussian(batch * s[1], rnd), want = new float[batch * s[0]];
                for (int v = 0; v < batch; v++) m.multiply(x, v * s[1], want, v * s[0]);
                float[] got = KernelSim.forward(QuantizedWeights.of(m), x, batch);
                assertClose(want, got, 1e-5, bits + "-bit " + s[0] + "x" + s[1]);
            }
        }
    }

    /** A plan through the launch sequence of {@link LayerLaunches}, on the Java replay. */
    static float[] runPlan(HadamardPlan plan, int batch, float[] scale, float[] x) {
        float[] hk = plan.baseK() == 1 ? null : GpuTables.hadamardBase(plan.baseK());
        return (float[]) LayerLaunches.runPlan(new KernelSim(), plan, batch, hk, scale, x, new float[x.length]);
    }

    /** Random words are valid codes at every width (every 16-bit E8P code and every E81B byte exists). */
    static long[] randomQidxs(QidxsLayout lay, Random rnd) {
        long[] q = new long[lay.totalWords()];
        for (int i = 0; i < q.length; i++) q[i] = rnd.nextLong();
        return q;
    }

    /** Ŵr through the codec's unpacker and the lattice decoders: shares no code with the kernel path. */
    static double[] denseDecode(QidxsLayout lay, long[] q, float rs) {
        return denseDecode(lay, q, rs, false);
    }

    /**
     * With {@code half}: the weights the tensor-core kernel multiplies, x₁ + x₂·h(1/rs) rounded once to fp16
     * (its 3-bit form 2g·h(0.5/rs) is the same number: halving is exact in fp16).
     */
    static double[] denseDecode(QidxsLayout lay, long[] q, float rs, boolean half) {
        int m = lay.rows(), n = lay.cols(), blocks = n / 8, bits = lay.bits();
        int[][] st = QidxsPacking.unpack(m, n, bits, q);
        double[] w = new double[m * n];
        float[] a = new float[8], b = new float[8];
        for (int r = 0; r < m; r++) {
            for (int k = 0; k < blocks; k++) {
                E8P.decode(st[0][r * blocks + k], a, 0);
                if (bits == 3) E81B.decode(st[1][r * blocks + k], b, 0);
                if (bits == 4) E8P.decode(st[1][r * blocks + k], b, 0);
                for (int j = 0; j < 8; j++)
                    w[r * n + 8 * k + j] = bits == 2 ? a[j]
                            : half ? KernelSim.half(a[j] + (double) b[j] * KernelSim.half(1f / rs))
                            : a[j] + (double) b[j] / rs;
            }
        }
        return w;
    }

    static float[] toFloat(double[] d) {
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) f[i] = (float) d[i];
        return f;
    }

    /** max |want − got| ≤ tol · max(1, max |want|). */
    static void assertClose(float[] want, float[] got, double tol, String what) {
        assertEquals(want.length, got.length, what + ": length");
        double maxAbs = 1, maxErr = 0;
        for (int i = 0; i < want.length; i++) {
            maxAbs = Math.max(maxAbs, Math.abs(want[i]));
            maxErr = Math.max(maxErr, Math.abs(want[i] - got[i]));
        }
        assertTrue(maxErr <= tol * maxAbs, what + ": max error " + maxErr + " > " + tol + " · " + maxAbs);
    }
}
