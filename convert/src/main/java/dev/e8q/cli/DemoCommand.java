package dev.e8q.cli;

import dev.e8q.codec.E8Codec;
import dev.e8q.codec.E8Encoder;
import dev.e8q.codec.EncodeResult;
import dev.e8q.codec.ProgressListener;
import dev.e8q.codec.ProxyLoss;
import dev.e8q.codec.RtnQuantizer;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import org.ejml.data.DMatrixRMaj;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code e8q demo}: encodes synthetic Llama-shaped matrices (Gaussian and heavy-tailed) at 2, 3 and 4 bits,
 * with and without a synthetic correlated Hessian, next to round-to-nearest baselines, and prints the table.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Encode synthetic Llama-shaped matrices with E8P (QuIP#) and RTN baselines; print errors and speed.",
                "small (default): 1024x1024 and 2752x1024 (Llama-2-7B's 4096x4096 and 11008x4096 divided by 4 per side),",
                "full: 4096x4096 and 11008x4096 (slow on few cores)."})
public final class DemoCommand implements Callable<Integer> {
    enum Size { small, full }

    @Option(names = "--size", defaultValue = "small", description = "small | full (default: ${DEFAULT-VALUE})")
    Size size;

    @Option(names = "--bits", split = ",", defaultValue = "2,3,4", description = "bit widths (default: ${DEFAULT-VALUE})")
    int[] bits;

    @Option(names = "--markdown", description = "also write the table as Markdown to this file")
    Path markdown;

    @Option(names = "--seed", defaultValue = "1", description = "seed of the synthetic data and sign vectors")
    long seed;

    @Option(names = "--refine-passes", defaultValue = "10", description = "greedy refinement passes after BlockLDLQ")
    int passes;

    @Option(names = "--group", defaultValue = "128", description = "group size of the grouped RTN baseline")
    int group;

    record Row(String matrix, String method, int bits, double bitsPerWeight, double mse, double proxy, double weightsPerSecond) {}

    private final PrintStream err = System.err;
    private long lastDraw;

    @Override
    public Integer call() throws IOException {
        for (int b : bits) if (b < 2 || b > 4) throw new IllegalArgumentException("--bits must be 2, 3 or 4, got " + b);
        int n = size == Size.small ? 1024 : 4096;
        int[][] shapes = size == Size.small ? new int[][] {{1024, 1024}, {2752, 1024}} : new int[][] {{4096, 4096}, {11008, 4096}};
        DMatrixRMaj h = syntheticHessian(n, seed);
        double[] hReg = ProxyLoss.regularizedHessian(h, E8Encoder.DEFAULT_DAMPING);
        List<Row> table = new ArrayList<>();
        long start = System.nanoTime();
        warmUp();
        for (int[] shape : shapes) {
            for (boolean heavy : new boolean[] {false, true}) {
                int rows = shape[0], cols = shape[1];
                String name = (heavy ? "student-t4+outliers " : "gaussian ") + rows + "x" + cols;
                float[] w = heavy ? heavyTailed(rows, cols, seed + rows) : gaussian(rows, cols, seed + rows);
                for (int b : bits) {
                    status(name + " " + b + "b");
                    table.add(e8(name, "E8P RHT, round", w, rows, cols, b, null, false, hReg));
                    table.add(e8(name, "E8P RHT + BlockLDLQ", w, rows, cols, b, h, false, hReg));
                    table.add(e8(name, "no-E8 scalar grid + BlockLDLQ", w, rows, cols, b, h, true, hReg));
                    table.add(rtn(name, RtnQuantizer.perChannel(RtnQuantizer.Scheme.SYMMETRIC, b), w, rows, cols, b, hReg));
                    table.add(rtn(name, RtnQuantizer.perGroup(RtnQuantizer.Scheme.ASYMMETRIC, b, group), w, rows, cols, b, hReg));
                }
            }
        }
        err.print("\r" + " ".repeat(100) + "\r");
        String md = markdown(table, (System.nanoTime() - start) / 1e9);
        System.out.print(md);
        if (markdown != null) {
            Path tmp = markdown.resolveSibling(markdown.getFileName() + ".tmp");
            Files.writeString(tmp, md);
            Files.move(tmp, markdown, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        return 0;
    }

    /** Compiles the hot paths first, so the first table rows' weights/s are not JIT warm-up. */
    private void warmUp() {
        status("warming up the JIT");
        int n = 256;
        float[] w = gaussian(n, n, 99);
        DMatrixRMaj h = syntheticHessian(n, 99);
        for (int b : bits) {
            E8Codec.encoder().bits(b).encode(w, n, n);
            E8Codec.encoder().bits(b).hessian(h).encodeWithReport(w, n, n);
            E8Codec.encoder().bits(b).hessian(h).noE8(true).encode(w, n, n);
            RtnQuantizer.perGroup(RtnQuantizer.Scheme.ASYMMETRIC, b, group).quantize(w, n, n);
            RtnQuantizer.perChannel(RtnQuantizer.Scheme.SYMMETRIC, b).quantize(w, n, n);
        }
    }

    private Row e8(String name, String method, float[] w, int rows, int cols, int b, DMatrixRMaj h, boolean noE8, double[] hReg) {
        E8Encoder enc = E8Codec.encoder().bits(b).seed(seed).noE8(noE8).refinePasses(passes).hessian(h)
                .progress(progress(name + " " + b + "b " + method));
        EncodeResult r = enc.encodeWithReport(w, rows, cols);
        double proxy = h != null ? r.proxyLoss() : ProxyLoss.proxyLoss(w, r.matrix().decodeRowMajor(), rows, cols, hReg);
        double bpw = r.matrix().sizeInBytes() * 8.0 / ((double) rows * cols);
        return new Row(name, method, b, bpw, r.relativeError(), proxy, rows * (double) cols / r.seconds());
    }

    private Row rtn(String name, RtnQuantizer q, float[] w, int rows, int cols, int b, double[] hReg) {
        status(name + " " + q.describe());
        long t = System.nanoTime();
        RtnQuantizer.Result r = q.quantize(w, rows, cols);
        double secs = (System.nanoTime() - t) / 1e9;
        double proxy = ProxyLoss.proxyLoss(w, r.dequantized(), rows, cols, hReg);
        return new Row(name, q.describe(), b, r.bitsPerWeight(), ProxyLoss.relativeError(w, r.dequantized()), proxy,
                rows * (double) cols / secs);
    }

    private ProgressListener progress(String what) {
        return (task, done, total) -> {
            long now = System.nanoTime();
            synchronized (this) {
                if (now - lastDraw < 200_000_000L && done < total) return;
                lastDraw = now;
                err.printf("\r%-90s", total == 1 ? String.format("[demo] %s: %s", what, task)
                        : String.format("[demo] %s: %s %d/%d rows", what, task, done, total));
                err.flush();
            }
        };
    }

    private void status(String s) {
        err.printf("\r%-90s", "[demo] " + s);
        err.flush();
    }

    static String markdown(List<Row> rows, double seconds) {
        StringBuilder sb = new StringBuilder();
        String current = null;
        for (Row r : rows) {
            if (!r.matrix().equals(current)) {
                current = r.matrix();
                sb.append("\n**").append(current).append("**\n\n");
                sb.append("| method | bits | bits/weight | MSE (W at unit RMS) | MSE / 2^(-2R) | proxy loss | encode weights/s |\n");
                sb.append("|---|---|---|---|---|---|---|\n");
            }
            sb.append(String.format("| %s | %d | %.3f | %.4f | %.3f | %.4f | %s |%n", r.method(), r.bits(), r.bitsPerWeight(),
                    r.mse(), r.mse() / Math.pow(2, -2 * r.bitsPerWeight()), r.proxy(), si(r.weightsPerSecond())));
        }
        sb.append(String.format("%nTotal %.0f s. R = the row's bits/weight; proxy loss = tr(EHE^T)/tr(WHW^T) with the synthetic Hessian"
                + " (normalized, +0.01 I) for every row.%n", seconds));
        return sb.toString();
    }

    static String si(double v) {
        if (v >= 1e9) return String.format("%.2f G", v / 1e9);
        if (v >= 1e6) return String.format("%.2f M", v / 1e6);
        if (v >= 1e3) return String.format("%.1f k", v / 1e3);
        return String.format("%.0f", v);
    }

    static float[] gaussian(int rows, int cols, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] w = new float[rows * cols];
        for (int i = 0; i < w.length; i++) w[i] = (float) gauss(rnd);
        return w;
    }

    /** Student-t with ν = 4 (finite variance, heavy tails), plus 4 input columns scaled by 10 (outlier channels). */
    static float[] heavyTailed(int rows, int cols, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] w = new float[rows * cols];
        for (int i = 0; i < w.length; i++) {
            double chi2 = 0;
            for (int k = 0; k < 4; k++) {
                double z = gauss(rnd);
                chi2 += z * z;
            }
            w[i] = (float) (gauss(rnd) / Math.sqrt(chi2 / 4));
        }
        for (int k = 0; k < 4; k++) {
            int c = rnd.nextInt(cols);
            for (int r = 0; r < rows; r++) w[r * cols + c] *= 10;
        }
        return w;
    }

    /**
     * A correlated stand-in for E[xxᵀ]: H_ij = d_i d_j (0.9^|i−j| + 0.5 g_i g_j), with log-normal channel
     * scales d (some input channels much louder than others) and a rank-one mean term g gᵀ. Positive
     * definite, spectrum spread over about three decades.
     */
    static DMatrixRMaj syntheticHessian(int n, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed ^ 0x4E55L);
        double[] d = new double[n], g = new double[n];
        for (int i = 0; i < n; i++) {
            d[i] = Math.exp(0.5 * gauss(rnd));
            g[i] = gauss(rnd);
        }
        DMatrixRMaj h = new DMatrixRMaj(n, n);
        double[] pow = new double[n];
        pow[0] = 1;
        for (int i = 1; i < n; i++) pow[i] = pow[i - 1] * 0.9;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) h.data[i * n + j] = d[i] * d[j] * (pow[Math.abs(i - j)] + 0.5 * g[i] * g[j]);
        return h;
    }

    static double gauss(SplittableRandom rnd) {
        double u = rnd.nextDouble(), v = rnd.nextDouble();
        return Math.sqrt(-2 * Math.log1p(-u)) * Math.cos(2 * Math.PI * v);
    }
}
