package dev.e8q.llama.io;

import dev.e8q.llama.WeightSource;
import java.io.IOException;
import java.nio.file.Path;

/** Placeholder until the safetensors reader lands. */
public final class HfCheckpoint {
    static final String SINGLE = "model.safetensors";
    static final String INDEX = "model.safetensors.index.json";

    private HfCheckpoint() {}

    public static WeightSource open(Path dir) throws IOException {
        throw new CheckpointFormatException(dir, "Hugging Face checkpoints are not supported yet");
    }
}
