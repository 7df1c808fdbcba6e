package dev.e8q.bench;

import dev.e8q.codec.Parallel;
import dev.e8q.llama.model.DType;
import dev.e8q.llama.model.DenseLinear;

import java.util.Locale;
import java.util.SplittableRandom;

/**
 * The runtime's dense matrix-vector product ({@link DenseLinear#forward}) alone, in a plain loop: for quick A/B runs in
 * fresh JVMs, e.g. of the eight-row threshold ({@code -De8q.dense.eightRowsFrom=1} takes eight rows at every length,
 * {@code =2147483647} one row at a time everywhere). Gaussian weights; prints the best single call of the given number
 * of seconds.
 *
 * <pre>java [-De8q.loop.depths=4] --add-modules jdk.incubator.vector -cp bench/target-bench/benchmarks.jar dev.e8q.bench.DenseLoop
 *     rows cols F32|BF16|F16 [seconds=3] [threads=all]</pre>
 */
public final class DenseLoop {
    private DenseLoop() {}

    public static void main(String[] a) {
        if (a.length < 3) {
            System.err.println("usage: DenseLoop rows cols F32|BF16|F16 [seconds=3] [threads=all]");
            System.exit(2);
        }
        int rows = Integer.parseInt(a[0]), cols = Integer.parseInt(a[1]);
        DType storage = DType.parse(a[2]);
        double seconds = a.length > 3 ? Double.parseDouble(a[3]) : 3;
        if (a.length > 4) Parallel.setThreads(Integer.parseInt(a[4]));
        SplittableRandom r = new SplittableRandom(1);
        float[] w = new float[Math.multiplyExact(rows, cols)];
        for (int i = 0; i < w.length; i++) w[i] = (float) r.nextGaussian();
        DenseLinear lin = DenseLinear.of(w, rows, cols, storage);
        w = null; // 16-bit storage copied the weights; let the float copy go
        float[] x = new float[cols], y = new float[rows];
        for (int i = 0; i < cols; i++) x[i] = (float) r.nextGaussian();
        // -De8q.loop.depths=n runs the same seconds again from 1..n-1 frames deeper (StackDepths)
        StackDepths.Best best = StackDepths.time(() -> lin.forward(x, 0, y, 0), 1, (long) (seconds * 1e9));
        System.out.printf(Locale.ROOT, "%dx%d %s, eight rows from %s columns, %d thread(s): best of %d calls %.1f us, %.2f G weights/s, %.1f GB/s%n",
                rows, cols, storage, DenseLinear.eightRowsFrom(), Parallel.threads(), best.calls(), best.nanos() / 1e3,
                (double) rows * cols / best.nanos(), (double) lin.weightBytes() / best.nanos());
    }
}
