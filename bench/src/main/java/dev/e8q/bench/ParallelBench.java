package dev.e8q.bench;

import dev.e8q.bench.baseline.ForkJoinRange;
import dev.e8q.codec.Parallel;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Cost of one {@code forRange} call split over 2 chunks, as a token-by-token forward pass makes one per linear
 * layer: e8q's pool ({@link Parallel}) against the ForkJoinPool splitter it replaced ({@link ForkJoinRange}),
 * for an empty body and for chunks of {@code work} dependent square roots each (50,000 ≈ 120 µs here).
 *
 * <pre>java -jar bench/target-bench/benchmarks.jar ParallelBench -f 1</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class ParallelBench {
    @Param({"e8q", "forkjoin"})
    public String pool;

    @Param({"0", "50000"})
    public int work;

    private ForkJoinRange fj;
    private final double[] out = new double[2];

    @Setup
    public void setup() {
        Parallel.setThreads(2);
        fj = new ForkJoinRange(2);
    }

    @TearDown
    public void tearDown() {
        fj.close();
    }

    @Benchmark
    public double call() {
        Parallel.RangeBody body = (from, to) -> {
            for (int c = from; c < to; c++) {
                double s = c;
                for (int i = 0; i < work; i++) s = Math.sqrt(s + i);
                out[c] = s;
            }
        };
        if (pool.equals("e8q")) Parallel.forRange(2, 1, body);
        else fj.forRange(2, 1, body);
        return out[0] + out[1];
    }
}
