package dev.e8q.bench;

import dev.e8q.llama.model.Ops;
import java.util.SplittableRandom;
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
 * Single-thread latency of the forward pass's exponentials: a softmax over n attention scores and SwiGLU over n
 * hidden units (5632 is the synthetic 1B model's hidden size). The inputs are restored before every call, so each
 * call sees the same values.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class OpsBench {
    @Param({"256", "2048", "5632"})
    public int n;

    private float[] scores, work, gate, up, gateWork;

    @Setup
    public void setup() {
        SplittableRandom r = new SplittableRandom(3);
        scores = new float[n];
        gate = new float[n];
        up = new float[n];
        for (int i = 0; i < n; i++) {
            scores[i] = (float) (r.nextGaussian() * 4);
            gate[i] = (float) (r.nextGaussian() * 3);
            up[i] = (float) r.nextGaussian();
        }
        work = new float[n];
        gateWork = new float[n];
    }

    @Benchmark
    public float[] softmax() {
        System.arraycopy(scores, 0, work, 0, n);
        Ops.softmax(work, 0, n);
        return work;
    }

    @Benchmark
    public float[] swiglu() {
        System.arraycopy(gate, 0, gateWork, 0, n);
        Ops.swiglu(gateWork, up, n);
        return gateWork;
    }
}
