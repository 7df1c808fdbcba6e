package dev.e8q.bench;

import dev.e8q.codec.Parallel;
import dev.e8q.codec.kernel.E8Kernel;

import java.util.Locale;
import java.util.SplittableRandom;

/**
 * The fused kernel alone (no Hadamard transforms, no JMH), in a plain loop: for quick A/B runs of kernel changes in
 * fresh JVMs, e.g. {@code -De8q.kernel.lut=false}. Random codes; prints the best single call.
 * {@code -De8q.loop.matrices=n} builds n matrices of the shape and calls them in turn, so that with n times the codes
 * larger than the caches every call reads its codes from memory, as a forward pass does.
 *
 * <pre>java [-De8q.loop.depths=6] [-De8q.loop.matrices=200] --add-modules jdk.incubator.vector -cp bench/target-bench/benchmarks.jar dev.e8q.bench.KernelLoop
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
        int matrices = Integer.getInteger("e8q.loop.matrices", 1);
        if (matrices < 1) {
            System.err.println("KernelLoop: e8q.loop.matrices must be at least 1, got " + matrices);
            System.exit(2);
        }
        E8Kernel[] ks = new E8Kernel[matrices];
        for (int m = 0; m < matrices; m++) {
            int[][] codes = new int[stages][Math.multiplyExact(rows, nb)];
            for (int s = 0; s < stages; s++)
                for (int i = 0; i < codes[s].length; i++) codes[s][i] = r.nextInt(bits == 3 && s == 1 ? 256 : 65536);
            ks[m] = E8Kernel.repack(bits, rows, cols, codes, bits == 3 ? 2.04 : 3.45);
        }
        int[] next = {0};
        float[] u = new float[cols], z = new float[rows];
        for (int i = 0; i < cols; i++) u[i] = (float) (r.nextDouble() * 4 - 2);
        // -De8q.loop.depths=n also times the calls from 1..n-1 frames deeper (StackDepths)
        long best = StackDepths.time(() -> {
            E8Kernel k = ks[next[0]];
            next[0] = next[0] + 1 == matrices ? 0 : next[0] + 1;
            if (int8) k.multiplyInt8(u, 0, z, 0);
            else k.multiply(u, 0, z, 0);
        }, iters, 0).nanos();
        System.out.printf(Locale.ROOT, "%dx%d %d-bit%s%s, %s kernel, %d thread(s): best %.1f us, %.2f G weights/s%n", rows, cols,
                bits, int8 ? " int8" : "", matrices > 1 ? ", " + matrices + " matrices in turn" : "", E8Kernel.kernelName(),
                Parallel.threads(), best / 1e3, (double) rows * cols / best);
    }
}
