package dev.e8q.bench;

import dev.e8q.lattice.E81B;
import dev.e8q.lattice.E8P;
import dev.e8q.lattice.Rvq;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Single-thread throughput of the nearest-codeword searches, in 8-vectors per second. Inputs are N(0,1)·ρ
 * (what the codebook sees after the RHT and Wscale, SPEC §2); each invocation walks 4096 vectors so that the
 * branch predictor cannot learn one point.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class NearestBench {
    private static final int VECTORS = 4096;

    private float[] x;
    private final float[] recon = new float[8];

    @Setup
    public void setup() {
        Random r = new Random(42);
        x = new float[VECTORS * 8];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (r.nextGaussian() * Rvq.RHO_2);
        }
    }

    @Benchmark
    @OperationsPerInvocation(VECTORS)
    public int e8pNearest() {
        int acc = 0;
        for (int v = 0; v < VECTORS; v++) {
            acc += E8P.nearest(x, 8 * v);
        }
        return acc;
    }

    @Benchmark
    @OperationsPerInvocation(VECTORS)
    public int e81bNearest() {
        int acc = 0;
        for (int v = 0; v < VECTORS; v++) {
            acc += E81B.nearest(x, 8 * v);
        }
        return acc;
    }

    @Benchmark
    @OperationsPerInvocation(VECTORS)
    public long rvq3Quantize() {
        long acc = 0;
        for (int v = 0; v < VECTORS; v++) {
            acc += Rvq.quantize(3, Rvq.RESID_3, x, 8 * v, recon, 0);
        }
        return acc;
    }

    @Benchmark
    @OperationsPerInvocation(VECTORS)
    public long rvq4Quantize() {
        long acc = 0;
        for (int v = 0; v < VECTORS; v++) {
            acc += Rvq.quantize(4, Rvq.RESID_4, x, 8 * v, recon, 0);
        }
        return acc;
    }

    @Benchmark
    @OperationsPerInvocation(VECTORS)
    public long rvq3QuantizeJoint() {
        long acc = 0;
        for (int v = 0; v < VECTORS; v++) {
            acc += Rvq.quantizeJoint(3, Rvq.RESID_3, x, 8 * v, recon, 0);
        }
        return acc;
    }

    @Benchmark
    @OperationsPerInvocation(VECTORS)
    public long rvq4QuantizeJoint() {
        long acc = 0;
        for (int v = 0; v < VECTORS; v++) {
            acc += Rvq.quantizeJoint(4, Rvq.RESID_4, x, 8 * v, recon, 0);
        }
        return acc;
    }
}
