package dev.e8q.bench;

import dev.e8q.codec.Parallel;
import dev.e8q.codec.kernel.E8Kernel;

import java.util.Locale;
import java.util.SplittableRandom;

/**
 * The fused kernel alone (no Hadamard transforms, no JMH), in a plain loop: for quick A/B runs of kernel changes in
 * fresh JVMs, e.g. {@code -De8q.kernel.lut=false}. Random codes; prints the best single call.
 *
 * <pre>java [-De8q.loop.depths=6] --add-modules jdk.incubator.vector -cp bench/target-bench/benchmarks.jar dev.e8q.bench.KernelLoop
 *     rows cols bits [iterations] [threads] [int8]</pre>
 */
public final class KernelLoop {
    private KernelLoop() {}

    public static void main(String[] a) {
        if (a.length < 3) {
            System.err.println("usage: KernelLoop rows cols bits [iterations=1500] [threads=all] [int8]");
            System.exit(2);
        }
        int rows = Integer.parseInt(a[0]), cols = Integer.parseInt(a[1]), bits = Integer.parseInt(a[2]);
        int iters = a.length > 3 ? Integer.parseInt(a[3]) : 1500;
        if (a.length > 4) Parallel.setThreads(Integer.parseInt(a[4]));
        boolean int8 = a.length > 5 && a[5].equals("int8");
        SplittableRandom r = new SplittableRandom(1);
        int nb = cols / 8, stages = bits == 2 ? 1 : 2;
        int[][] codes = new int[stages][Math.multiplyExact(rows, nb)];
        for (int s = 0; s < stages; s++)
            for (int i = 0; i < codes[s].length; i++) codes[s][i] = r.nextInt(bits == 3 && s == 1 ? 256 : 65536);
        E8Kernel k = E8Kernel.repack(bits, rows, cols, codes, bits == 3 ? 2.04 : 3.45);
        float[] u = new float[cols], z = new float[rows];
        for (int i = 0; i < cols; i++) u[i] = (float) (r.nextDouble() * 4 - 2);
        // -De8q.loop.depths=n also times the calls from 1..n-1 frames deeper (StackDepths)
        long best = StackDepths.time(() -> {
            if (int8) k.multiplyInt8(u, 0, z, 0);
            else k.multiply(u, 0, z, 0);
        }, iters, 0).nanos();
        System.out.printf(Locale.ROOT, "%dx%d %d-bit%s, %s kernel, %d thread(s): best %.1f us, %.2f G weights/s%n", rows, cols,
                bits, int8 ? " int8" : "", E8Kernel.kernelName(), Parallel.threads(), best / 1e3, (double) rows * cols / best);
    }
}
