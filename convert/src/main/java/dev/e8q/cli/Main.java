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
        cl.addSubcommand("eval", new EvalCommand());
        cl.addSubcommand("export-hf", new ExportHfCommand());
        cl.addSubcommand("convert", new ConvertCommand());
        cl.addSubcommand("compare", new CompareCommand());
        return cl;
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }
}
