package dev.e8q.bench;

import dev.e8q.codec.E8Codec;
import dev.e8q.codec.E8Encoder;
import dev.e8q.codec.E8Matrix;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.ejml.data.DMatrixRMaj;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Time to encode one size×size Gaussian matrix with {@code E8Codec}: plain (RHT + nearest rounding) and with
 * a correlated Hessian (RHT + BlockLDLQ + 10 greedy passes, Cholesky included). Each operation is a whole
 * encode, so the time is in seconds per matrix; weights/s = size² / that. Uses the process thread pool
 * ({@code -De8q.threads=N} to change it).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx12g", "--add-modules", "jdk.incubator.vector"})
@Warmup(iterations = 1)
@Measurement(iterations = 2)
public class EncodeBench {
    @Param({"4096"})
    int size;

    @Param({"2"})
    int bits;

    private float[] w;
    private DMatrixRMaj h;
    private E8Encoder plain, ldlq;

    @Setup(Level.Trial)
    public void setup() {
        SplittableRandom r = new SplittableRandom(7);
        w = new float[size * size];
        for (int i = 0; i < w.length; i++) w[i] = (float) (Math.sqrt(-2 * Math.log1p(-r.nextDouble())) * Math.cos(2 * Math.PI * r.nextDouble()));
        // AR(1) covariance 0.9^|i−j| with log-normal channel scales: a correlated, well-conditioned stand-in for E[xxᵀ].
        double[] d = new double[size];
        for (int i = 0; i < size; i++) d[i] = Math.exp(0.5 * (Math.sqrt(-2 * Math.log1p(-r.nextDouble())) * Math.cos(2 * Math.PI * r.nextDouble())));
        h = new DMatrixRMaj(size, size);
        for (int i = 0; i < size; i++)
            for (int j = 0; j < size; j++) h.data[i * size + j] = d[i] * d[j] * Math.pow(0.9, Math.abs(i - j));
        plain = E8Codec.encoder().bits(bits);
        ldlq = E8Codec.encoder().bits(bits).hessian(h);
    }

    @Benchmark
    public E8Matrix plain() {
        return plain.encode(w, size, size);
    }

    @Benchmark
    public E8Matrix blockLdlq() {
        return ldlq.encode(w, size, size);
    }
}
