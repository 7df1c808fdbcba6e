package dev.e8q.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Runs a benchmark's main class in a fresh JVM with this JVM's executable, options and class path, so that one
 * measured variant's JIT profiles and heap cannot slow the next one's.
 */
final class ChildJvm {
    private ChildJvm() {}

    /** Runs main with args, passes each output line to lines, and fails naming what when the child fails. */
    static void run(Class<?> main, List<String> args, String what, Consumer<String> lines) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse("java"));
        cmd.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(main.getName());
        cmd.addAll(args);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream()))) {
            String l;
            while ((l = in.readLine()) != null) lines.accept(l);
        }
        if (p.waitFor() != 0) throw new IllegalStateException("child run for " + what + " failed (exit " + p.exitValue() + ")");
    }
}
