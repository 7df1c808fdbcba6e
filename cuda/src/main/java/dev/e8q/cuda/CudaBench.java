package dev.e8q.cuda;

import static jcuda.driver.JCudaDriver.cuCtxSynchronize;
import static jcuda.driver.JCudaDriver.cuEventCreate;
import static jcuda.driver.JCudaDriver.cuEventDestroy;
import static jcuda.driver.JCudaDriver.cuEventElapsedTime;
import static jcuda.driver.JCudaDriver.cuEventRecord;
import static jcuda.driver.JCudaDriver.cuEventSynchronize;
import static jcuda.driver.JCudaDriver.cuMemsetD32;

import dev.e8q.codec.E8Matrix;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUevent;

/**
 * Matrix-vector benchmark on the GPU: µs per matvec of the fused E8P/RVQ decode-multiply kernel at 2/3/4 bits
 * beside FP16 cuBLAS ({@code cublasGemmEx}, n = 1), and the fraction of peak DRAM bandwidth each reaches.
 * Columns:
 * <ul>
 *   <li>{@code kernel µs}: the matvec kernel alone (input already rotated on the device); CUDA events, median
 *       of 5 means of {@code --iters} back-to-back launches. E8P rows come in pairs: {@code mma} (tensor cores,
 *       fp16 activations, the default) and {@code fp32}.</li>
 *   <li>{@code layer µs}: the whole quantized layer on the device: SU, M_nᵀ, matvec, M_m, SV (several launches).</li>
 *   <li>{@code call µs}: {@link CudaE8Linear#forward} from Java, host-to-device and back included (wall clock).</li>
 *   <li>{@code GB/s}, {@code % peak}: bytes the kernel must read (codes + input) and write, over the kernel time.</li>
 * </ul>
 * Weights are random codes (every 64-bit word is a valid code group), which cost exactly what trained ones cost.
 * Before timing, every quantized layer's GPU output is compared with the codec's CPU product
 * ({@link E8Matrix#multiply}) on one random vector ({@code check} column: max |Δ| / max |y|); the benchmark
 * exits with status 1 if any exceeds {@value #TOLERANCE}.
 *
 * <p>Usage: {@code CudaBench [--shapes 4096x4096,11008x4096,16384x16384] [--bits 2,3,4] [--iters 200]
 * [--batch 1] [--peak-gbps G]}. Needs a CUDA GPU; without one it prints why and exits with status 2.
 */
public final class CudaBench {
    private CudaBench() {}

    record Row(String what, String shape, double kernelUs, double layerUs, double callUs, double bytes, String check) {}

    /** Largest relative error (max |Δ| / max |y|) a checked layer may have before the benchmark fails. */
    static final double TOLERANCE = 1e-3;

    public static void main(String[] args) {
        int status = run(args, System.out, System.err);
        if (status != 0) System.exit(status);
    }

    /**
     * Parses the options and runs the benchmark; returns the exit status: 0, 1 (a GPU result off the CPU reference,
     * or a GPU failure such as a PTX override that lacks a kernel), 2 (no usable GPU) or 64 (bad options). Failures
     * are one line on err, without a stack trace.
     */
    static int run(String[] args, java.io.PrintStream out, java.io.PrintStream err) {
        List<int[]> shapes = new ArrayList<>(List.of(new int[] {4096, 4096}, new int[] {11008, 4096},
                new int[] {16384, 16384}));
        int[] bitsList = {2, 3, 4};
        int iters = 200, batch = 1;
        double peakOverride = 0;
        try {
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                String v = i + 1 < args.length ? args[i + 1] : null;
                switch (a) {
                    case "--shapes" -> {
                        shapes.clear();
                        for (String s : need(a, v).split(",")) {
                            String[] p = s.toLowerCase(Locale.ROOT).split("x");
                            if (p.length != 2) throw new IllegalArgumentException("--shapes takes MxN[,MxN...], got " + s);
                            shapes.add(new int[] {positive(a, Integer.parseInt(p[0])), positive(a, Integer.parseInt(p[1]))});
                        }
                        i++;
                    }
                    case "--bits" -> {
                        bitsList = java.util.Arrays.stream(need(a, v).split(",")).mapToInt(Integer::parseInt).toArray();
                        for (int b : bitsList) if (b < 2 || b > 4) throw new IllegalArgumentException("--bits takes 2, 3 or 4, got " + b);
                        i++;
                    }
                    case "--iters" -> { iters = positive(a, Integer.parseInt(need(a, v))); i++; }
                    case "--batch" -> { batch = positive(a, Integer.parseInt(need(a, v))); i++; }
                    case "--peak-gbps" -> { peakOverride = Double.parseDouble(need(a, v)) * 1e9; i++; }
                    case "-h", "--help" -> {
                        out.println("usage: CudaBench [--shapes MxN,...] [--bits 2,3,4] [--iters N] [--batch B] [--peak-gbps G]");
                        return 0;
                    }
                    default -> throw new IllegalArgumentException("unknown option " + a);
                }
            }
        } catch (IllegalArgumentException e) { // NumberFormatException included
            err.println("CudaBench: " + (e instanceof NumberFormatException ? "not a number: " : "") + e.getMessage() + " (try --help)");
            return 64;
        }
        try (CudaContext ctx = CudaContext.open()) {
            if (!run(ctx, shapes, bitsList, iters, batch, peakOverride)) {
                err.println("CudaBench: a GPU result differs from the CPU reference by more than " + TOLERANCE);
                return 1;
            }
            return 0;
        } catch (CudaUnavailableException e) {
            err.println("CudaBench needs a CUDA GPU: " + e.getMessage());
            return 2;
        } catch (IllegalStateException e) { // e.g. a -De8q.cuda.ptx file without one of the kernels: the message names both
            err.println("CudaBench: " + e.getMessage());
            return 1;
        }
    }

    private static int positive(String opt, int n) {
        if (n < 1) throw new IllegalArgumentException(opt + " must be at least 1, got " + n);
        return n;
    }

    private static String need(String opt, String v) {
        if (v == null) throw new IllegalArgumentException(opt + " needs a value");
        return v;
    }

    /** Prints the table; returns false when a correctness check failed. */
    static boolean run(CudaContext ctx, List<int[]> shapes, int[] bitsList, int iters, int batch, double peakOverride) {
        boolean allOk = true;
        double peak = peakOverride > 0 ? peakOverride : ctx.peakBandwidth();
        System.out.printf(Locale.ROOT, "%s; peak DRAM bandwidth %s; batch %d; %d iterations%n", ctx,
                peak > 0 ? String.format(Locale.ROOT, "%.0f GB/s", peak / 1e9) : "unknown (pass --peak-gbps)", batch, iters);
        System.out.println("| weights | shape | kernel µs | layer µs | call µs | GB/s | % peak | check |");
        System.out.println("|---|---|---|---|---|---|---|---|");
        SplittableRandom rnd = new SplittableRandom(42);
        for (int[] s : shapes) {
            int m = s[0], n = s[1];
            List<Row> rows = new ArrayList<>();
            // Without cuBLAS the quantized rows are still measured; the baseline row says why it is missing.
            try (CudaFp16Linear fp16 = CudaFp16Linear.constant(ctx, m, n, (short) 0x2C00)) { // 1/16
                Object[] buf = zeroedScratch(ctx, fp16.scratchFloats(batch));
                double gemm = timeDevice(ctx, iters, () -> fp16.gemm(buf, batch));
                double full = timeDevice(ctx, iters, () -> fp16.runOnDevice(buf, batch));
                double call = timeCall(iters, fp16, batch);
                rows.add(new Row("FP16 cuBLAS", m + "x" + n, gemm, full, call,
                        2.0 * m * n + batch * (2.0 * n + 4.0 * m), "-"));
            } catch (CudaUnavailableException e) {
                System.out.println("| FP16 cuBLAS | " + m + "x" + n + " | unavailable: " + e.getMessage() + " | - | - | - | - | - |");
            }
            for (int bits : bitsList) {
                QidxsLayout lay = new QidxsLayout(m, n, bits);
                long[] q = new long[lay.totalWords()];
                for (int i = 0; i < q.length; i++) q[i] = rnd.nextLong();
                float[] su = signs(n, rnd), sv = signs(m, rnd);
                QuantizedWeights w = new QuantizedWeights(m, n, lay, bits == 3 ? 2.04f : 3.45f, q, su, sv);
                for (boolean tc : new boolean[] {true, false}) {
                    try (CudaE8Linear lin = new CudaE8Linear(ctx, w, tc)) {
                        double err = check(lin, w, rnd);
                        boolean ok = err <= TOLERANCE;
                        allOk &= ok;
                        Object[] buf = zeroedScratch(ctx, lin.scratchFloats(batch));
                        CUdeviceptr out = ctx.alloc(4L * batch * m);
                        try {
                            double kernel = timeDevice(ctx, iters, () -> lin.matvec(buf[0], out, batch));
                            double layer = timeDevice(ctx, iters, () -> lin.runOnDevice(buf, batch));
                            double call = timeCall(iters, lin, batch);
                            rows.add(new Row("E8P " + bits + "-bit " + (tc ? "mma" : "fp32"), m + "x" + n, kernel, layer,
                                    call, 8.0 * q.length + batch * 4.0 * (n + m),
                                    String.format(Locale.ROOT, "%.1e%s", err, ok ? "" : " FAIL")));
                        } finally {
                            CudaContext.free(out);
                        }
                    }
                }
            }
            for (Row r : rows) {
                double gbs = r.bytes() / (r.kernelUs() * 1e-6) / 1e9;
                System.out.printf(Locale.ROOT, "| %s | %s | %.1f | %.1f | %.1f | %.0f | %s | %s |%n", r.what(), r.shape(),
                        r.kernelUs(), r.layerUs(), r.callUs(), gbs,
                        peak > 0 ? String.format(Locale.ROOT, "%.0f%%", 100 * gbs * 1e9 / peak) : "?", r.check());
            }
        }
        return allOk;
    }

    /** max |GPU − CPU| / max |CPU| for one random input. */
    static double check(CudaE8Linear lin, QuantizedWeights w, SplittableRandom rnd) {
        QidxsLayout lay = w.layout();
        E8Matrix cpu = E8Matrix.fromQidxs(w.outFeatures(), w.inFeatures(), lay.bits(), w.qidxs(), w.su(), w.sv(),
                w.residScale());
        float[] x = new float[w.inFeatures()], want = new float[w.outFeatures()], got = new float[w.outFeatures()];
        for (int i = 0; i < x.length; i++) x[i] = (float) (rnd.nextDouble() * 2 - 1);
        cpu.multiply(x, want);
        lin.forward(x, 0, got, 0);
        double maxAbs = 0, maxErr = 0;
        for (int i = 0; i < want.length; i++) {
            maxAbs = Math.max(maxAbs, Math.abs(want[i]));
            maxErr = Math.max(maxErr, Math.abs(want[i] - got[i]));
        }
        return maxErr / Math.max(maxAbs, Float.MIN_NORMAL);
    }

    /** The context's scratch buffers, zero-filled (the bench is single-threaded, so no lock is held). */
    private static Object[] zeroedScratch(CudaContext ctx, long floats) {
        Object[] buf = ctx.scratch(floats);
        for (Object b : buf) cuMemsetD32((CUdeviceptr) b, 0, floats);
        return buf;
    }

    private static float[] signs(int n, SplittableRandom rnd) {
        float[] s = new float[n];
        for (int i = 0; i < n; i++) s[i] = rnd.nextBoolean() ? 1f : -1f;
        return s;
    }

    /**
     * µs per call of {@code body} (launches only), timed with CUDA events: the median of 5 runs of {@code iters}
     * back-to-back calls, after 0.2 s of warm-up (the GPU's clocks ramp up under load; a short warm-up made the
     * first rows of a table up to 4x slower on an H100).
     */
    static double timeDevice(CudaContext ctx, int iters, Runnable body) {
        ctx.bind();
        long until = System.nanoTime() + 200_000_000L;
        do {
            for (int i = 0; i < Math.max(3, iters / 10); i++) body.run();
            cuCtxSynchronize();
        } while (System.nanoTime() < until);
        CUevent start = new CUevent(), stop = new CUevent();
        cuEventCreate(start, 0);
        cuEventCreate(stop, 0);
        try {
            double[] runs = new double[5];
            for (int r = 0; r < runs.length; r++) {
                cuEventRecord(start, null);
                for (int i = 0; i < iters; i++) body.run();
                cuEventRecord(stop, null);
                cuEventSynchronize(stop);
                float[] ms = new float[1];
                cuEventElapsedTime(ms, start, stop);
                runs[r] = ms[0] * 1000.0 / iters;
            }
            java.util.Arrays.sort(runs);
            return runs[runs.length / 2];
        } finally {
            cuEventDestroy(start);
            cuEventDestroy(stop);
        }
    }

    /** Mean wall-clock µs of a {@code forwardBatch} from Java (copies included). */
    static double timeCall(int iters, dev.e8q.llama.Linear lin, int batch) {
        float[] x = new float[batch * lin.inFeatures()], y = new float[batch * lin.outFeatures()];
        for (int i = 0; i < x.length; i++) x[i] = (float) Math.sin(i);
        for (int i = 0; i < Math.max(3, iters / 10); i++) lin.forwardBatch(x, y, batch);
        long t0 = System.nanoTime();
        for (int i = 0; i < iters; i++) lin.forwardBatch(x, y, batch);
        return (System.nanoTime() - t0) / 1e3 / iters;
    }
}
