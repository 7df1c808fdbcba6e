package dev.e8q.bench.kernels;

import dev.e8q.codec.Parallel;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.util.Arrays;

/**
 * STREAM-style memory bandwidth in Java: triad a = b + s·c over three float arrays far larger than the
 * caches (STREAM counts 3 × array bytes per pass), and a read-only sum (the access pattern of a matvec).
 * Rows of work are split over {@link Parallel}, whose thread count the caller sets.
 */
public final class Triad {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    public record Result(double triadBest, double triadMedian, double readBest, double readMedian) {}

    private Triad() {}

    /** GB/s (1e9 bytes) for arrays of {@code bytesPerArray} bytes each, best and median of {@code reps} passes. */
    public static Result measure(long bytesPerArray, int reps) {
        int n = Math.toIntExact(bytesPerArray / 4);
        float[] a = new float[n], b = new float[n], c = new float[n];
        Parallel.forRange(n, 1 << 20, (x, y) -> {
            for (int i = x; i < y; i++) {
                b[i] = 1f;
                c[i] = 2f;
            }
        });
        double[] tri = new double[reps], rd = new double[reps];
        float[] sink = new float[1];
        for (int r = -1; r < reps; r++) { // one untimed pass first
            long t0 = System.nanoTime();
            Parallel.forRange(n, 1 << 20, (x, y) -> {
                int i = x;
                FloatVector s = FloatVector.broadcast(F, 3f);
                for (; i + F.length() <= y; i += F.length())
                    FloatVector.fromArray(F, c, i).fma(s, FloatVector.fromArray(F, b, i)).intoArray(a, i);
                for (; i < y; i++) a[i] = b[i] + 3f * c[i];
            });
            long t1 = System.nanoTime();
            float[] part = new float[1];
            Parallel.forRange(n, 1 << 20, (x, y) -> {
                FloatVector s0 = FloatVector.zero(F), s1 = FloatVector.zero(F);
                int i = x, L = F.length();
                for (; i + 2 * L <= y; i += 2 * L) {
                    s0 = s0.add(FloatVector.fromArray(F, a, i));
                    s1 = s1.add(FloatVector.fromArray(F, a, i + L));
                }
                float s = s0.add(s1).reduceLanes(VectorOperators.ADD);
                for (; i < y; i++) s += a[i];
                synchronized (part) {
                    part[0] += s;
                }
            });
            long t2 = System.nanoTime();
            sink[0] += part[0];
            if (r >= 0) {
                tri[r] = 3.0 * n * 4 / (t1 - t0);
                rd[r] = 1.0 * n * 4 / (t2 - t1);
            }
        }
        if (sink[0] == 42) System.out.print("");
        return new Result(max(tri), median(tri), max(rd), median(rd));
    }

    static double max(double[] v) {
        return Arrays.stream(v).max().orElse(0);
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
