package dev.e8q.finetune;

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
 * Single-thread time of the three products of a fine-tuning linear layer over one sequence of 256 tokens (the
 * converter's default {@code --ft-context}): y = x Wᵀ, dx += dy W and dW += dyᵀ x, each 2·256·rows·cols flops. It
 * lives in the finetune package because {@link Kernels} is package-private; since {@code Kernels}' signatures have
 * not changed, putting an older e8q jar before benchmarks.jar on the class path times the older kernels with the same
 * harness (docs/finetune.md, "Speed").
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class LinearProductsBench {
    /** rows×cols of W: a dim-768 model's fused qkv, a dim-2048 model's up/gate and down projections. */
    @Param({"2304x768", "5504x2048", "2048x5504"})
    public String shape;

    private static final int T = 256;
    private int rows, cols;
    private double[] x, w, y, dy, dx, gw;

    @Setup
    public void setup() {
        String[] p = shape.split("x");
        rows = Integer.parseInt(p[0]);
        cols = Integer.parseInt(p[1]);
        Random r = new Random(42);
        x = gauss(r, T * cols);
        w = gauss(r, rows * cols);
        dy = gauss(r, T * rows);
        y = new double[T * rows];
        dx = new double[T * cols];
        gw = new double[rows * cols];
    }

    private static double[] gauss(Random r, int n) {
        double[] a = new double[n];
        for (int i = 0; i < n; i++) a[i] = r.nextGaussian();
        return a;
    }

    @Benchmark
    public double[] forward() {
        Kernels.forward(x, T, cols, w, rows, y, rows, 0);
        return y;
    }

    @Benchmark
    public double[] backwardInput() {
        Kernels.backwardInput(dy, T, rows, 0, w, rows, cols, dx);
        return dx;
    }

    @Benchmark
    public double[] backwardWeight() {
        Kernels.backwardWeight(dy, T, rows, 0, x, cols, gw, rows);
        return gw;
    }
}
