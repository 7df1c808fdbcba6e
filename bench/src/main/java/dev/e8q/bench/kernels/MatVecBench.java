package dev.e8q.bench.kernels;

import dev.e8q.bench.baseline.MatVec;
import dev.e8q.codec.Parallel;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.util.concurrent.TimeUnit;

/**
 * One weight-matrix product per invocation: y = W x (batch 1) or Y = X Wᵀ (batch columns), for every
 * storage format. {@link KernelReport} drives it through the JMH API; it also runs from the command line:
 * <pre>java --add-modules jdk.incubator.vector -jar bench/target/benchmarks.jar MatVecBench -p shape=4096x4096 -p format=Q4_0,E8Q2</pre>
 * The matrix is built once per (format, shape) and kept while only threads or batch change (forks=0 runs
 * reuse it across parameter sets).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class MatVecBench {
    @Param({"4096x4096"})
    public String shape;
    @Param({"FP32", "BF16", "F16", "Q8_0", "Q4_0", "E8Q2", "E8Q3", "E8Q4", "E8Q2_A8", "E8Q3_A8", "E8Q4_A8"})
    public String format;
    @Param({"1"})
    public int threads;
    @Param({"1"})
    public int batch;

    private MatVec w;
    private float[] x, y;

    private static String cachedKey;
    private static MatVec cached;

    /** The matrix for (format, shape), built once and kept until another is asked for. */
    static synchronized MatVec matrix(String format, String shape) {
        String key = format + "@" + shape;
        if (!key.equals(cachedKey)) {
            cached = null;
            cachedKey = null;
            System.gc();
            int[] s = parseShape(shape);
            cached = Formats.build(format, s[0], s[1], 42);
            cachedKey = key;
        }
        return cached;
    }

    static synchronized void drop() {
        cached = null;
        cachedKey = null;
    }

    static int[] parseShape(String s) {
        String[] p = s.toLowerCase().split("x");
        if (p.length != 2) throw new IllegalArgumentException("shape must be ROWSxCOLS, got " + s);
        return new int[] {Integer.parseInt(p[0].trim()), Integer.parseInt(p[1].trim())};
    }

    private static boolean warmed;

    /** Compiles the format's kernels on a small matrix first, so that no big call runs in the interpreter. */
    static synchronized void prewarm(String format, int batch) {
        if (warmed) return;
        warmed = true;
        MatVec small = Formats.build(format, 256, 512, 1);
        int b = Math.max(batch, 4);
        float[] x = new float[b * 512], y = new float[b * 256];
        int requested = Parallel.threads();
        for (int t : new int[] {1, Runtime.getRuntime().availableProcessors(), requested}) {
            Parallel.setThreads(t); // both the inline (1 thread) and the pool paths get compiled
            long end = System.nanoTime() + 1_000_000_000L;
            for (int i = 0; i < 4000 && System.nanoTime() < end; i++) {
                small.matvec(x, y);
                if (i % 8 == 0) small.matmul(x, y, b);
            }
        }
        Parallel.setThreads(requested);
    }

    @Setup
    public void setup() {
        Parallel.setThreads(threads);
        prewarm(format, batch);
        w = matrix(format, shape);
        x = new float[batch * w.cols()];
        y = new float[batch * w.rows()];
        java.util.SplittableRandom r = new java.util.SplittableRandom(7);
        for (int i = 0; i < x.length; i++) x[i] = (float) (r.nextDouble() * 2 - 1);
    }

    @Benchmark
    public float product() {
        if (batch == 1) w.matvec(x, y);
        else w.matmul(x, y, batch);
        return y[0];
    }
}
