package dev.e8q.bench;

import dev.e8q.bench.kernels.Formats;
import dev.e8q.bench.kernels.MatVecBench;
import dev.e8q.bench.kernels.Triad;
import dev.e8q.codec.Parallel;
import dev.e8q.codec.kernel.E8Kernel;
import dev.e8q.codec.kernel.Species;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;

import javax.imageio.ImageIO;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Side-by-side kernel report: memory bandwidth (STREAM triad), then one JMH run per (shape, format) for every
 * thread count, then batched products; writes {@code kernels.md}, {@code kernels.json} and {@code kernels.png}
 * to the output folder. All figures of one report come from one process, so ratios are side by side.
 *
 * <pre>
 * ./build -q -De8q.out=target-bench -pl bench -am package -DskipTests
 * bench/run-report.sh [--out docs/report] [--shapes 4096x4096,...] [--formats FP32,Q4_0,E8Q2] [--threads 1,2]
 *                     [--batches 4,16,64] [--batch-shape 4096x4096] [--time-ms 500] [--iters 5] [--warmup 3]
 *                     [--triad-mib 1024] [--quick]
 * </pre>
 * Timings use JMH (SampleTime, forks 0 inside one child JVM per format by default, see {@code --isolate}); min and
 * median are of single calls.
 * Ratios use the min (the least disturbed call on a shared machine); the median is printed beside it.
 */
public final class KernelReport {
    record Row(String shape, String format, int threads, int batch, double minUs, double medianUs, long samples,
               long weightBytes, long weights) {
        double gWeightsPerS() { return (double) weights * batch / minUs / 1e3; }

        double weightGBps() { return weightBytes / minUs / 1e3; }
    }

    static final String USAGE = """
            usage: bench/run-report.sh [--out DIR] [--quick] [--shapes 4096x4096,...] [--formats FP32,Q4_0,E8Q2,...]
                                       [--threads 1,2] [--batches 4,16,64] [--batch-shape 4096x4096] [--time-ms 500]
                                       [--iters 5] [--warmup 3] [--triad-mib 1024] [--triad-reps 10]
                                       [--isolate true|false] [--forks 0]""";
    private static final Set<String> OPTIONS = Set.of("out", "shapes", "formats", "threads", "batches",
            "batch-shape", "time-ms", "iters", "warmup", "triad-mib", "triad-reps", "isolate", "forks");

    public static void main(String[] args) throws Exception {
        if (Arrays.asList(args).contains("--help") || Arrays.asList(args).contains("-h")) {
            System.out.println(USAGE);
            return;
        }
        Map<String, String> a;
        try {
            a = parse(args);
            validate(a);
        } catch (IllegalArgumentException e) {
            System.err.println("kernel report: " + e.getMessage());
            System.err.println(USAGE);
            System.exit(2);
            return;
        }
        // other JMH runs on a shared machine hold /tmp/jmh.lock; this report runs in-process (forks 0)
        if (System.getProperty("jmh.ignoreLock") == null) System.setProperty("jmh.ignoreLock", "true");
        boolean quick = a.containsKey("quick");
        int all = Runtime.getRuntime().availableProcessors();
        Path out = Path.of(a.getOrDefault("out", "kernel-report"));
        // 16384² is the shape past the last-level cache for FP32; 32768² keeps even the 4-bit codes (512 MiB)
        // out of a 480 MiB L3 like the Intel host's
        List<String> shapes = list(a.getOrDefault("shapes", quick ? "1024x1024,2048x4096"
                : "4096x4096,11008x4096,4096x11008,14336x4096,16384x16384,32768x32768"));
        List<String> formats = list(a.getOrDefault("formats", String.join(",", Formats.ALL)));
        List<Integer> threads = list(a.getOrDefault("threads", all > 1 ? "1," + all : "1")).stream().map(Integer::parseInt).toList();
        List<Integer> batches = list(a.getOrDefault("batches", "4,16,64")).stream().map(Integer::parseInt).toList();
        String batchShape = a.getOrDefault("batch-shape", quick ? "1024x1024" : "4096x4096");
        int timeMs = Integer.parseInt(a.getOrDefault("time-ms", quick ? "100" : "500"));
        int iters = Integer.parseInt(a.getOrDefault("iters", quick ? "3" : "5"));
        int warmup = Integer.parseInt(a.getOrDefault("warmup", quick ? "2" : "3"));
        long triadBytes = Long.parseLong(a.getOrDefault("triad-mib", quick ? "256" : "1024")) << 20;
        int triadReps = Integer.parseInt(a.getOrDefault("triad-reps", quick ? "3" : "10"));
        // forks 0 (default): JMH runs inside the JVM it is given, which (with --isolate true, the default) is one
        // child JVM per format, so that one format's Vector API type profiles cannot slow another's (in one JVM,
        // F16/BF16 first made Q4_0 4× slower) while each matrix is built once; --forks 1 forks per parameter set
        int forks = Integer.parseInt(a.getOrDefault("forks", "0"));
        boolean child = a.containsKey("child");
        boolean isolate = !child && Boolean.parseBoolean(a.getOrDefault("isolate", "true"));
        Files.createDirectories(out);

        Map<Integer, Triad.Result> triad = new LinkedHashMap<>();
        if (!child) {
            for (int t : threads) {
                Parallel.setThreads(t);
                Triad.Result r = Triad.measure(triadBytes, triadReps);
                triad.put(t, r);
                System.out.printf(Locale.ROOT, "triad %d thread(s): best %.1f GB/s, median %.1f; read-only best %.1f, median %.1f%n",
                        t, r.triadBest(), r.triadMedian(), r.readBest(), r.readMedian());
                System.gc();
            }
        }
        List<Row> rows = new ArrayList<>();
        if (isolate) {
            // one JVM per format: Vector API type profiles of one format's kernels cannot slow another's
            // (in one JVM, running F16/BF16 first made Q4_0 4x slower)
            for (String f : formats) rows.addAll(childRun(f, args));
        } else {
            for (String shape : shapes) {
                for (String f : formats) {
                    rows.addAll(jmh(shape, f, threads, List.of(1), warmup, iters, timeMs, forks));
                    print(rows.get(rows.size() - 1));
                }
            }
            int maxT = threads.stream().max(Integer::compare).orElse(1);
            for (String f : formats) {
                List<Integer> bs = new ArrayList<>(List.of(1));
                bs.addAll(batches);
                rows.addAll(jmh(batchShape, f, List.of(maxT), bs, warmup, iters, timeMs, forks));
                print(rows.get(rows.size() - 1));
            }
        }
        if (child) {
            for (Row r : rows)
                System.out.printf(Locale.ROOT, "ROW %s %s %d %d %.3f %.3f %d %d %d%n", r.shape, r.format, r.threads, r.batch,
                        r.minUs, r.medianUs, r.samples, r.weightBytes, r.weights);
            return;
        }
        Files.writeString(out.resolve("kernels.md"), markdown(rows, triad, shapes, formats, threads, batchShape, a));
        Files.writeString(out.resolve("kernels.json"), json(rows, triad));
        chart(rows, shapes, formats, threads, out.resolve("kernels.png"));
        System.out.println("wrote " + out.resolve("kernels.md") + ", kernels.json, kernels.png");
    }

    /** Runs this report for one format in a child JVM (same JVM options and class path) and reads its rows. */
    static List<Row> childRun(String format, String[] args) throws Exception {
        List<String> childArgs = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--formats") || args[i].equals("--out")) { i++; continue; }
            childArgs.add(args[i]);
        }
        childArgs.addAll(List.of("--formats", format, "--child"));
        List<Row> rows = new ArrayList<>();
        ChildJvm.run(KernelReport.class, childArgs, format, l -> {
            if (l.startsWith("ROW ")) {
                String[] f = l.split(" ");
                Row r = new Row(f[1], f[2], Integer.parseInt(f[3]), Integer.parseInt(f[4]), Double.parseDouble(f[5]),
                        Double.parseDouble(f[6]), Long.parseLong(f[7]), Long.parseLong(f[8]), Long.parseLong(f[9]));
                rows.add(r);
                print(r);
            } else if (!l.startsWith("WARNING")) System.out.println("  [" + format + "] " + l);
        });
        return rows;
    }

    static void print(Row r) {
        System.out.printf(Locale.ROOT, "%-12s %-5s t=%d b=%-3d min %10.1f us  median %10.1f us  %6.1f Gw/s%n",
                r.shape, r.format, r.threads, r.batch, r.minUs, r.medianUs, r.gWeightsPerS());
    }

    static List<Row> jmh(String shape, String format, List<Integer> threads, List<Integer> batches, int warmup, int iters, int timeMs, int forks) throws Exception {
        ChainedOptionsBuilder o = new OptionsBuilder()
                .include(MatVecBench.class.getName() + ".product")
                .param("shape", shape)
                .param("format", format)
                .param("threads", threads.stream().map(String::valueOf).toArray(String[]::new))
                .param("batch", batches.stream().map(String::valueOf).toArray(String[]::new))
                .forks(forks)
                .warmupIterations(warmup).warmupTime(TimeValue.milliseconds(timeMs))
                .measurementIterations(iters).measurementTime(TimeValue.milliseconds(timeMs))
                .shouldFailOnError(true)
                .verbosity(VerboseMode.SILENT);
        List<Row> out = new ArrayList<>();
        int[] s = parseShape(shape);
        long weights = (long) s[0] * s[1];
        long bytes = Math.round(weights * Formats.bitsPerWeight(format) / 8);
        for (RunResult r : new Runner(o.build()).run()) {
            var st = r.getPrimaryResult().getStatistics();
            int t = Integer.parseInt(r.getParams().getParam("threads"));
            int b = Integer.parseInt(r.getParams().getParam("batch"));
            out.add(new Row(shape, format, t, b, st.getMin(), st.getPercentile(50), st.getN(), bytes, weights));
        }
        out.sort((x, y) -> x.threads != y.threads ? Integer.compare(x.threads, y.threads) : Integer.compare(x.batch, y.batch));
        return out;
    }

    static int[] parseShape(String s) {
        String[] p = s.toLowerCase(Locale.ROOT).split("x");
        return new int[] {Integer.parseInt(p[0]), Integer.parseInt(p[1])};
    }

    static Row find(List<Row> rows, String shape, String format, int threads, int batch) {
        for (Row r : rows)
            if (r.shape.equals(shape) && r.format.equals(format) && r.threads == threads && r.batch == batch) return r;
        return null;
    }

    static String machine() {
        String model = "unknown CPU";
        try {
            for (String l : Files.readAllLines(Path.of("/proc/cpuinfo")))
                if (l.startsWith("model name")) {
                    model = l.substring(l.indexOf(':') + 1).trim();
                    break;
                }
        } catch (IOException ignored) {
            // not Linux
        }
        return String.format(Locale.ROOT, "%s, %d cores visible to the JVM, Java %s, %d-bit vectors (%s kernel)",
                model, Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"), Species.bits(),
                E8Kernel.kernelName());
    }

    static String markdown(List<Row> rows, Map<Integer, Triad.Result> triad, List<String> shapes, List<String> formats,
                           List<Integer> threads, String batchShape, Map<String, String> args) {
        StringBuilder sb = new StringBuilder();
        sb.append("# Kernel report\n\n");
        sb.append("- Machine: ").append(machine()).append('\n');
        sb.append("- Date: ").append(Instant.now()).append('\n');
        sb.append("- Arguments: ").append(args.isEmpty() ? "(defaults)" : args.toString()).append('\n');
        String forks = args.getOrDefault("forks", "0");
        boolean isolated = Boolean.parseBoolean(args.getOrDefault("isolate", "true"));
        sb.append("- Timings: JMH SampleTime, ").append(forks.equals("0") ? (isolated ? "one child JVM per format (JMH forks 0 inside it)" : "all in one JVM (JMH forks 0)")
                : forks + " JMH fork(s) per parameter set").append("; min and median of single calls. Ratios use the min.\n\n");
        sb.append("## Memory bandwidth (Java, float arrays far larger than the caches)\n\n");
        sb.append("| threads | triad best GB/s | triad median GB/s | read-only best GB/s | read-only median GB/s |\n|---:|---:|---:|---:|---:|\n");
        triad.forEach((t, r) -> sb.append(String.format(Locale.ROOT, "| %d | %.1f | %.1f | %.1f | %.1f |%n", t, r.triadBest(), r.triadMedian(), r.readBest(), r.readMedian())));
        sb.append("\n## Matrix-vector products y = W x\n\n");
        sb.append("Ratios first: speed-up over FP32 and over Q4_0 at the same thread count, and bytes of weights per second ÷ the triad bandwidth at that thread count. ");
        sb.append("e8q rows are whole layers: SU ⊙ x, M_nᵀ, fused decode-and-multiply, M_m, SV ⊙.\n\n");
        for (String shape : shapes) {
            sb.append("### ").append(shape).append(" (rows × cols)\n\n");
            sb.append("| format | bits/w | threads | × FP32 | × Q4_0 | weight B/s ÷ triad | G weights/s | min µs | median µs |\n");
            sb.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
            for (int t : threads) {
                Row fp = find(rows, shape, "FP32", t, 1), q4 = find(rows, shape, "Q4_0", t, 1);
                for (String f : formats) {
                    Row r = find(rows, shape, f, t, 1);
                    if (r == null) continue;
                    Triad.Result tr = triad.get(t);
                    sb.append(String.format(Locale.ROOT, "| %s | %s | %d | %s | %s | %.2f | %.1f | %.0f | %.0f |%n",
                            f, trim(Formats.bitsPerWeight(f)), t,
                            fp == null ? "–" : String.format(Locale.ROOT, "%.2f", fp.minUs / r.minUs),
                            q4 == null ? "–" : String.format(Locale.ROOT, "%.2f", q4.minUs / r.minUs),
                            tr == null ? Double.NaN : r.weightGBps() / tr.triadBest(), r.gWeightsPerS(), r.minUs, r.medianUs));
                }
            }
            sb.append('\n');
        }
        int maxT = threads.stream().max(Integer::compare).orElse(1);
        sb.append("## Batched products Y = X Wᵀ, ").append(batchShape).append(", ").append(maxT).append(" thread(s)\n\n");
        sb.append("| format | batch | µs per column ÷ batch-1 µs | G weight-products/s | min µs | median µs |\n|---|---:|---:|---:|---:|---:|\n");
        for (String f : formats) {
            Row one = find(rows, batchShape, f, maxT, 1);
            for (Row r : rows) {
                if (!r.shape.equals(batchShape) || !r.format.equals(f) || r.threads != maxT || r.batch == 1) continue;
                sb.append(String.format(Locale.ROOT, "| %s | %d | %s | %.1f | %.0f | %.0f |%n", f, r.batch,
                        one == null ? "–" : String.format(Locale.ROOT, "%.3f", r.minUs / r.batch / one.minUs),
                        r.gWeightsPerS(), r.minUs, r.medianUs));
            }
        }
        sb.append("\nChart: kernels.png (G weights/s per format and shape, one panel per thread count).\n");
        return sb.toString();
    }

    static String trim(double v) {
        return v == Math.rint(v) ? String.valueOf((long) v) : String.valueOf(v);
    }

    static String json(List<Row> rows, Map<Integer, Triad.Result> triad) {
        StringBuilder sb = new StringBuilder("{\n  \"machine\": \"").append(machine().replace("\"", "'")).append("\",\n");
        sb.append("  \"date\": \"").append(Instant.now()).append("\",\n  \"triad\": [");
        boolean first = true;
        for (var e : triad.entrySet()) {
            sb.append(first ? "\n" : ",\n").append(String.format(Locale.ROOT,
                    "    {\"threads\": %d, \"triadBestGBps\": %.3f, \"triadMedianGBps\": %.3f, \"readBestGBps\": %.3f, \"readMedianGBps\": %.3f}",
                    e.getKey(), e.getValue().triadBest(), e.getValue().triadMedian(), e.getValue().readBest(), e.getValue().readMedian()));
            first = false;
        }
        sb.append("\n  ],\n  \"products\": [");
        first = true;
        for (Row r : rows) {
            sb.append(first ? "\n" : ",\n").append(String.format(Locale.ROOT,
                    "    {\"shape\": \"%s\", \"format\": \"%s\", \"threads\": %d, \"batch\": %d, \"minUs\": %.3f, \"medianUs\": %.3f, \"samples\": %d, \"weightBytes\": %d, \"gWeightsPerS\": %.3f}",
                    r.shape, r.format, r.threads, r.batch, r.minUs, r.medianUs, r.samples, r.weightBytes, r.gWeightsPerS()));
            first = false;
        }
        return sb.append("\n  ]\n}\n").toString();
    }

    static void chart(List<Row> rows, List<String> shapes, List<String> formats, List<Integer> threads, Path file) throws IOException {
        System.setProperty("java.awt.headless", "true");
        int panelH = 300, w = 140 + shapes.size() * (formats.size() * 14 + 30), h = 70 + threads.size() * (panelH + 50);
        w = Math.max(w, 700);
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, w, h);
        Color[] pal = {new Color(0x555555), new Color(0x8c8c8c), new Color(0xb5b5b5), new Color(0x1f77b4), new Color(0x6baed6),
                new Color(0xd62728), new Color(0xff7f0e), new Color(0x2ca02c), new Color(0x9467bd), new Color(0x8c564b), new Color(0xe377c2)};
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
        g.drawString("Matrix-vector product throughput, G weights/s (higher is better)", 20, 24);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        int lx = 20;
        for (int i = 0; i < formats.size(); i++) {
            g.setColor(pal[i % pal.length]);
            g.fillRect(lx, 36, 10, 10);
            g.setColor(Color.BLACK);
            g.drawString(formats.get(i), lx + 13, 45);
            lx += 20 + g.getFontMetrics().stringWidth(formats.get(i)) + 8;
        }
        for (int p = 0; p < threads.size(); p++) {
            int t = threads.get(p), top = 70 + p * (panelH + 50), base = top + panelH;
            double max = 1;
            for (Row r : rows) if (r.threads == t && r.batch == 1 && shapes.contains(r.shape)) max = Math.max(max, r.gWeightsPerS());
            max = niceCeil(max);
            g.setColor(Color.BLACK);
            g.drawString(t + " thread" + (t > 1 ? "s" : ""), 20, top - 6);
            for (int k = 0; k <= 4; k++) {
                int y = base - (int) (panelH * k / 4.0);
                g.setColor(new Color(0xdddddd));
                g.drawLine(60, y, w - 20, y);
                g.setColor(Color.DARK_GRAY);
                g.drawString(trim(Math.round(max * k / 4 * 10) / 10.0), 20, y + 4);
            }
            int x = 70;
            for (String shape : shapes) {
                int gx = x;
                for (int i = 0; i < formats.size(); i++) {
                    Row r = find(rows, shape, formats.get(i), t, 1);
                    if (r != null) {
                        int bh = (int) Math.round(panelH * r.gWeightsPerS() / max);
                        g.setColor(pal[i % pal.length]);
                        g.fillRect(x, base - bh, 12, bh);
                    }
                    x += 14;
                }
                g.setColor(Color.BLACK);
                g.drawString(shape, gx, base + 14);
                x += 30;
            }
            g.setStroke(new BasicStroke(1));
            g.drawLine(60, base, w - 20, base);
        }
        g.dispose();
        ImageIO.write(img, "png", file.toFile());
    }

    static double niceCeil(double v) {
        double e = Math.pow(10, Math.floor(Math.log10(v)));
        for (double m : new double[] {1, 2, 2.5, 5, 10}) if (m * e >= v) return m * e;
        return 10 * e;
    }

    static List<String> list(String s) {
        return Arrays.stream(s.split(",")).map(String::trim).filter(x -> !x.isEmpty()).toList();
    }

    /** Checks the values of the options before any measuring starts, so that a typo fails at once and by name. */
    static void validate(Map<String, String> a) {
        for (String k : List.of("time-ms", "iters", "warmup", "triad-mib", "triad-reps"))
            if (a.containsKey(k)) atLeast(k, a.get(k), 1);
        if (a.containsKey("forks")) atLeast("forks", a.get("forks"), 0);
        for (String k : List.of("threads", "batches"))
            if (a.containsKey(k)) for (String v : list(a.get(k))) atLeast(k, v, 1);
        List<String> formats = list(a.getOrDefault("formats", String.join(",", Formats.ALL)));
        for (String f : formats)
            if (!Formats.ALL.contains(f))
                throw new IllegalArgumentException("--formats: unknown format " + f + " (known: " + String.join(",", Formats.ALL) + ")");
        boolean ggml = formats.contains("Q8_0") || formats.contains("Q4_0");
        for (String k : List.of("shapes", "batch-shape"))
            if (a.containsKey(k))
                for (String v : list(a.get(k))) {
                    String[] p = v.toLowerCase(Locale.ROOT).split("x");
                    if (p.length != 2) throw new IllegalArgumentException("--" + k + ": " + v + " is not ROWSxCOLS");
                    atLeast(k, p[0], 1);
                    if (ggml && atLeast(k, p[1], 1) % 32 != 0)
                        throw new IllegalArgumentException("--" + k + ": " + v + ": Q8_0 and Q4_0 need a column count that is a multiple of 32");
                }
        if (a.containsKey("isolate") && !a.get("isolate").equals("true") && !a.get("isolate").equals("false"))
            throw new IllegalArgumentException("--isolate must be true or false, got " + a.get("isolate"));
    }

    private static int atLeast(String k, String v, int min) {
        try {
            int n = Integer.parseInt(v.trim());
            if (n >= min) return n;
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException("--" + k + " needs integers of at least " + min + ", got " + v);
    }

    static Map<String, String> parse(String[] args) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--")) throw new IllegalArgumentException("unexpected argument " + args[i]);
            String k = args[i].substring(2);
            if (k.equals("quick") || k.equals("child")) m.put(k, "true");
            else if (!OPTIONS.contains(k)) throw new IllegalArgumentException("unknown option --" + k);
            else if (i + 1 < args.length) m.put(k, args[++i]);
            else throw new IllegalArgumentException("--" + k + " needs a value");
        }
        return m;
    }
}
