package dev.e8q.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of the {@code e8q} command line. Each subcommand is its own class. */
@Command(name = "e8q", mixinStandardHelpOptions = true, version = "e8q 0.1.0",
        description = "QuIP# E8P lattice quantization of Llama-class models.",
        subcommands = {CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        // Subcommands register here, one line each.
        cl.addSubcommand("demo", new DemoCommand());
        cl.addSubcommand("generate", new GenerateCommand());
        cl.addSubcommand("chat", new ChatCommand());
        cl.addSubcommand("serve", new ServeCommand());
        cl.addSubcommand("bench", new BenchCommand());
        cl.addSubcommand("eval", new EvalCommand());
        cl.addSubcommand("export-hf", new ExportHfCommand());
        cl.addSubcommand("convert", new ConvertCommand());
        cl.addSubcommand("compare", new CompareCommand());
        cl.setExecutionExceptionHandler(Main::inputError);
        return cl;
    }

    /**
     * Bad input (a missing or corrupt file, an option out of range, no GPU for --device cuda) ends every command the
     * same way: one line naming the command and the problem, exit code 2. Anything else is a bug and keeps its stack
     * trace; {@code E8Q_DEBUG=1} shows the trace for input errors too.
     */
    static int inputError(Exception e, CommandLine cmd, CommandLine.ParseResult parsed) throws Exception {
        boolean input = e instanceof java.io.IOException || e instanceof java.io.UncheckedIOException
                || e instanceof IllegalArgumentException || e instanceof IllegalStateException
                || e instanceof UnsupportedOperationException || e instanceof dev.e8q.codec.E8FormatException
                || e instanceof dev.e8q.cuda.CudaUnavailableException;
        if (!input || System.getenv("E8Q_DEBUG") != null) throw e;
        cmd.getErr().println("e8q " + cmd.getCommandName() + ": " + describe(e));
        return 2;
    }

    private static String describe(Exception e) {
        // java.nio's file exceptions carry only the path as their message
        if (e instanceof java.nio.file.NoSuchFileException f && !String.valueOf(f.getMessage()).contains("not found"))
            return f.getFile() + ": no such file";
        if (e instanceof java.nio.file.AccessDeniedException f) return f.getFile() + ": permission denied";
        if (e instanceof java.nio.file.FileAlreadyExistsException f) return f.getFile() + ": already exists";
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }
}
