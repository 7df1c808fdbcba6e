package dev.e8q.llama.tokenizer;

import dev.e8q.llama.io.CheckpointFormatException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** Loads a tokenizer by looking at what the path is. */
public final class Tokenizers {
    private Tokenizers() {}

    /**
     * A llama2.c {@code .bin} tokenizer, a Hugging Face {@code tokenizer.json}, or a model directory holding
     * {@code tokenizer.json} (preferred) or {@code tokenizer.bin}.
     */
    public static Tokenizer load(Path path) throws IOException {
        return load(path, HfTokenizer.Options.DEFAULT);
    }

    /** As {@link #load(Path)}; {@code options} apply to tokenizer.json files. */
    public static Tokenizer load(Path path, HfTokenizer.Options options) throws IOException {
        if (!Files.exists(path)) throw new NoSuchFileException(path.toString(), null, "tokenizer not found");
        if (Files.isDirectory(path)) {
            if (Files.exists(path.resolve("tokenizer.json"))) return HfTokenizer.load(path.resolve("tokenizer.json"), options);
            if (Files.exists(path.resolve("tokenizer.bin"))) return Llama2cTokenizer.load(path.resolve("tokenizer.bin"));
            throw new CheckpointFormatException(path, "directory holds neither tokenizer.json nor tokenizer.bin");
        }
        String name = path.getFileName().toString();
        if (name.endsWith(".json")) return HfTokenizer.load(path, options);
        if (name.endsWith(".bin")) return Llama2cTokenizer.load(path);
        if (name.endsWith(".model")) {
            throw new CheckpointFormatException(path, "SentencePiece .model files are not supported; use tokenizer.json"
                    + " or a llama2.c tokenizer.bin (llama2.c's tokenizer.py exports one)");
        }
        throw new CheckpointFormatException(path, "unrecognised tokenizer file (expected tokenizer.json or a llama2.c .bin)");
    }
}
