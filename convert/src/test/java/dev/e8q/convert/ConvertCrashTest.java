package dev.e8q.convert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.e8q.cli.Main;
import dev.e8q.llama.testdata.TestData;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Crash consistency of {@code e8q convert} (issue #8): a conversion of stories260K in a child JVM is killed
 * with SIGKILL ({@link Process#destroyForcibly}) at a random moment of its run; the directory it leaves is
 * refused by {@code e8q eval} with a message to resume; {@code --resume} then finishes it, and the result is
 * byte for byte the uninterrupted conversion's, with no stray files.
 *
 * <p>The default suite runs {@value #DEFAULT_TRIALS} trials (< 2 min); {@code -De8q.crashTrials=20} (or more) runs
 * the full series. {@code -De8q.crashSeed=N} repeats a series; every trial prints its seed and kill time.
 */
class ConvertCrashTest {
    static final int DEFAULT_TRIALS = 2;
    /**
     * Compared byte for byte. report.json holds timings: it must exist and be complete JSON. (activation_stats.json
     * is bit-reproducible since the calibration forward sums in a fixed order.)
     */
    static final List<String> MODEL_FILES = List.of("model.safetensors", "config.json", "tokenizer.bin", "activation_stats.json");
    @TempDir
    Path tmp;

    static List<String> convertArgs(Path out) {
        return List.of("convert", "--model", TestData.stories260K().toString(), "--calibration", TestData.train().toString(),
                "--out", out.toString(), "--bits", "2", "--samples", "16", "--context", "64", "--finetune", "none",
                "--refine-passes", "2", "--threads", "1", "--quiet");
    }

    /** {@code e8q <args>} in a child JVM with the test's class path. */
    static Process start(List<String> args, Path log) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx1g", "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        cmd.addAll(args);
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    static int run(List<String> args, Path log) throws Exception {
        return waitFor(start(args, log), args, log);
    }

    static int waitFor(Process p, List<String> args, Path log) throws Exception {
        if (!p.waitFor(5, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new AssertionError("e8q " + args + " did not finish in 5 minutes; log " + log);
        }
        return p.exitValue();
    }

    static TreeSet<String> listing(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            TreeSet<String> names = new TreeSet<>();
            s.filter(p -> !p.equals(dir)).forEach(p -> names.add(dir.relativize(p).toString()));
            return names;
        }
    }

    /** {@code e8q eval} in this JVM: exit code and everything it printed. */
    static String[] eval(Path model) {
        StringWriter out = new StringWriter();
        var cl = Main.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(out, true));
        int code = cl.execute("eval", "--model", model.toString(), "--text", TestData.valid().toString(), "--max-tokens", "64");
        return new String[] {Integer.toString(code), out.toString()};
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.MINUTES)
    void killedAtRandomMomentsThenResumedIsByteIdentical() throws Exception {
        int trials = Integer.getInteger("e8q.crashTrials", DEFAULT_TRIALS);
        long seed = Long.getLong("e8q.crashSeed", System.nanoTime());
        System.out.println("ConvertCrashTest: " + trials + " trials, -De8q.crashSeed=" + seed);
        Random rnd = new Random(seed);

        Path ref = tmp.resolve("reference");
        long t0 = System.nanoTime();
        assertEquals(0, run(convertArgs(ref), tmp.resolve("reference.log")), () -> log(tmp.resolve("reference.log")));
        long full = System.nanoTime() - t0;
        TreeSet<String> refFiles = listing(ref);
        assertTrue(refFiles.containsAll(MODEL_FILES.subList(0, 2)), refFiles::toString);
        System.out.printf("reference conversion %.1f s, files %s%n", full / 1e9, refFiles);

        int interrupted = 0;
        for (int t = 0; t < trials; t++) {
            Path out = tmp.resolve("trial" + t);
            // Uniform over the whole run, JVM start-up included, so every phase (start-up, calibration,
            // each layer, writing, renaming) is hit across trials.
            long killAfterMs = (long) (rnd.nextDouble() * full / 1e6);
            System.out.println("trial " + t + ": SIGKILL after " + killAfterMs + " ms");
            Path log = tmp.resolve("trial" + t + ".log");
            Process p = start(convertArgs(out), log);
            boolean finished = p.waitFor(killAfterMs, TimeUnit.MILLISECONDS);
            if (!finished) {
                p.destroyForcibly(); // SIGKILL: no shutdown hooks, no finally blocks
                p.waitFor();
            }
            boolean complete = Files.exists(out.resolve("config.json")) && !Files.exists(out.resolve(QuantizedCheckpoint.PARTIAL));
            if (!complete && Files.exists(out)) {
                interrupted++;
                String[] r = eval(out);
                assertNotEquals("0", r[0], "e8q eval accepted an interrupted conversion (trial " + t + ")");
                assertTrue(r[1].contains("--resume"), "trial " + t + ": eval of an interrupted conversion does not say to resume: " + r[1]);
            }
            List<String> resume = new ArrayList<>(convertArgs(out));
            resume.add("--resume");
            int code = run(Files.exists(out) ? resume : convertArgs(out), log);
            assertEquals(0, code, "trial " + t + " (kill after " + killAfterMs + " ms, seed " + seed + "): resume failed: " + log(log));
            assertEquals(refFiles, listing(out), "trial " + t + ": files after resume");
            for (String f : refFiles) {
                if (MODEL_FILES.contains(f)) {
                    assertArrayEquals(Files.readAllBytes(ref.resolve(f)), Files.readAllBytes(out.resolve(f)),
                            "trial " + t + " (kill after " + killAfterMs + " ms, seed " + seed + "): " + f + " differs after resume");
                } else if (f.endsWith(".json")) {
                    new com.fasterxml.jackson.databind.ObjectMapper().readTree(out.resolve(f).toFile()); // complete, parseable
                }
            }
        }
        System.out.println("ConvertCrashTest: " + interrupted + " of " + trials + " trials left an interrupted conversion");
    }

    /**
     * A read-only output directory fails at once with a message naming it, and nothing is written there. As root,
     * permissions do not stop writes, so the check then uses /proc, which no user can create files in.
     */
    @Test
    void readOnlyOutputDirectoryFailsClearly() throws Exception {
        Path ro = Files.createDirectory(tmp.resolve("readonly"));
        assertTrue(ro.toFile().setWritable(false, false));
        try {
            if (Files.isWritable(ro)) {
                Assumptions.assumeTrue(Files.isDirectory(Path.of("/proc/self")), "root without /proc: no read-only directory to test");
                ro = Path.of("/proc");
            }
            Path log = tmp.resolve("ro.log");
            TreeSet<String> before = ro.startsWith("/proc") ? null : listing(ro);
            Path inside = ro.resolve("e8q-out-" + System.nanoTime());
            assertNotEquals(0, run(convertArgs(inside), log));
            String text = log(log);
            assertTrue(text.contains(inside.toString()), text);
            assertFalse(text.contains("Exception in thread"), text);
            assertFalse(Files.exists(inside), inside + " was created");
            if (before != null) {
                assertEquals(before, listing(ro), "files left in the read-only directory");
                assertNotEquals(0, run(convertArgs(ro), log)); // the read-only directory itself as --out
                assertTrue(log(log).contains(ro.toString()), log(log));
                assertEquals(before, listing(ro), "files left in the read-only directory");
            }
        } finally {
            tmp.resolve("readonly").toFile().setWritable(true, false);
        }
    }

    /**
     * A full disk, simulated with a file-size limit (RLIMIT_FSIZE, {@code ulimit -f}; SIGXFSZ ignored so that the write
     * fails with EFBIG like a full disk fails with ENOSPC, instead of killing the process; it applies to root too): the
     * per-layer files fit, the final model.safetensors does not. The run must fail with a message naming the file, no
     * stack trace, leave nothing that looks finished or half-written (no model.safetensors, no temporary file), be refused
     * by {@code e8q eval} with a message to resume, and {@code --resume} on a disk with room must give the uninterrupted
     * conversion's bytes.
     */
    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    void diskFullFailsClearlyLeavesNoPartialFileAndResumes() throws Exception {
        Path bash = Path.of("/bin/bash");
        Assumptions.assumeTrue(Files.isExecutable(bash), "no /bin/bash to set a file-size limit");
        Path ref = tmp.resolve("reference");
        assertEquals(0, run(convertArgs(ref), tmp.resolve("reference.log")), () -> log(tmp.resolve("reference.log")));
        long modelBytes = Files.size(ref.resolve("model.safetensors"));
        long limitKiB = modelBytes / 1024 * 2 / 3; // below the model file, above every per-layer file
        Path out = tmp.resolve("full");
        Path log = tmp.resolve("full.log");
        List<String> java = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx1g", "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        java.addAll(convertArgs(out));
        StringBuilder cmd = new StringBuilder("trap '' XFSZ; ulimit -f " + limitKiB + " && exec");
        for (String a : java) cmd.append(" '").append(a.replace("'", "'\\''")).append('\'');
        Process p = new ProcessBuilder(bash.toString(), "-c", cmd.toString()).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
        int code = waitFor(p, java, log);
        String text = log(log);
        assertNotEquals(0, code, "conversion with the disk full succeeded: " + text);
        assertTrue(text.contains("model.safetensors"), "the message does not name the file: " + text);
        assertFalse(text.contains("Exception in thread") || text.contains("\tat "), "stack trace: " + text);
        TreeSet<String> left = listing(out);
        assertFalse(left.contains("model.safetensors"), "a model.safetensors was left behind: " + left);
        assertFalse(left.contains("config.json"), "config.json marks a failed conversion finished: " + left);
        assertTrue(left.stream().noneMatch(f -> f.endsWith(".tmp")), "temporary files left behind: " + left);
        String[] r = eval(out);
        assertNotEquals("0", r[0], "e8q eval accepted the failed conversion");
        assertTrue(r[1].contains("--resume"), r[1]);

        List<String> resume = new ArrayList<>(convertArgs(out));
        resume.add("--resume");
        assertEquals(0, run(resume, log), () -> log(log));
        assertEquals(listing(ref), listing(out));
        for (String f : MODEL_FILES)
            assertArrayEquals(Files.readAllBytes(ref.resolve(f)), Files.readAllBytes(out.resolve(f)), f + " differs after resume");
    }

    static String log(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }
}
