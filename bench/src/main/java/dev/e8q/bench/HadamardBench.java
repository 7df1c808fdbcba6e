package dev.e8q.bench;

import dev.e8q.hadamard.Hadamard;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Single-thread latency of one in-place Hadamard transform M_n (SPEC §4.1) at Llama dimensions:
 * pure powers of two and the large base sizes (K = 108, 172), whose K·n base multiply dominates; 2752 and 5504
 * (172·16, 172·32) take the base multiply for rows of one or two vectors.
 * Repeating the transform on the same vector is safe: M_n is orthogonal, so values stay bounded.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class HadamardBench {
    @Param({"2752", "4096", "5120", "5504", "11008", "13824", "14336", "28672", "32768"})
    public int n;

    private float[] f;
    private double[] d;

    @Setup
    public void setup() {
        Random r = new Random(42);
        f = new float[n];
        d = new double[n];
        for (int i = 0; i < n; i++) {
            d[i] = r.nextGaussian();
            f[i] = (float) d[i];
        }
    }

    @Benchmark
    public float[] transformFloat() {
        Hadamard.transform(f, 0, n);
        return f;
    }

    @Benchmark
    public float[] transformTransposedFloat() {
        Hadamard.transformTransposed(f, 0, n);
        return f;
    }

    @Benchmark
    public double[] transformDouble() {
        Hadamard.transform(d, 0, n);
        return d;
    }
}
