package dev.e8q.cli;

import dev.e8q.llama.io.ExportHf;
import dev.e8q.llama.tokenizer.Llama2cToHf;
import dev.e8q.llama.tokenizer.Llama2cTokenizer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code e8q export-hf}: a llama2.c checkpoint as a Hugging Face Llama directory (config.json +
 * model.safetensors in F32, q/k rows permuted to the rotate_half RoPE layout), optionally with its
 * tokenizer copied in as {@code tokenizer.bin} and converted to an equivalent {@code tokenizer.json}.
 */
@Command(name = "export-hf", mixinStandardHelpOptions = true,
        description = "Convert a llama2.c .bin checkpoint to a Hugging Face Llama directory (config.json + model.safetensors).")
public final class ExportHfCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "llama2.c checkpoint (.bin)")
    Path model;

    @Option(names = "--out", required = true, description = "output directory (created if missing; files are replaced)")
    Path out;

    @Option(names = "--tokenizer", description = "llama2.c tokenizer (.bin): copied as tokenizer.bin and converted to tokenizer.json")
    Path tokenizer;

    @Override
    public Integer call() throws IOException {
        ExportHf.export(model, out);
        if (tokenizer != null) {
            // Loading first validates the file, so a wrong one is reported here rather than at load time.
            Llama2cTokenizer tok = Llama2cTokenizer.load(tokenizer);
            ExportHf.copyTokenizer(tokenizer, out, "tokenizer.bin");
            Llama2cToHf.write(tok, out);
        }
        System.out.println("wrote " + out.resolve("config.json") + " and " + out.resolve("model.safetensors")
                + (tokenizer != null ? ", tokenizer.bin, tokenizer.json and tokenizer_config.json" : ""));
        return 0;
    }
}
