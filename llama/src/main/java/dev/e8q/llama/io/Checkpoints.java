package dev.e8q.llama.io;

import dev.e8q.llama.WeightSource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Opens any supported checkpoint by looking at what the path is. */
public final class Checkpoints {
    private Checkpoints() {}

    /**
     * A llama2.c {@code .bin} file, a Hugging Face directory ({@code config.json} with
     * {@code model.safetensors} or a sharded {@code model.safetensors.index.json}), or a
     * {@code .safetensors} file inside such a directory.
     */
    public static WeightSource open(Path path) throws IOException {
        if (!Files.exists(path)) {
            throw new java.nio.file.NoSuchFileException(path.toString(), null, "checkpoint not found");
        }
        if (Files.isDirectory(path)) {
            if (Files.exists(path.resolve("config.json"))
                    && (Files.exists(path.resolve(HfCheckpoint.SINGLE)) || Files.exists(path.resolve(HfCheckpoint.INDEX)))) {
                return HfCheckpoint.open(path);
            }
            Path[] bins;
            try (var s = Files.list(path)) {
                bins = s.filter(p -> p.getFileName().toString().endsWith(".bin") && !isTokenizerName(p)).toArray(Path[]::new);
            }
            if (bins.length == 1) return Llama2cCheckpoint.open(bins[0]);
            throw new CheckpointFormatException(path, "directory holds neither config.json with "
                    + HfCheckpoint.SINGLE + " / " + HfCheckpoint.INDEX + " nor exactly one llama2.c .bin file");
        }
        String name = path.getFileName().toString();
        if (name.endsWith(".safetensors") || name.equals(HfCheckpoint.INDEX)) {
            Path dir = path.toAbsolutePath().getParent();
            if (dir != null && Files.exists(dir.resolve("config.json"))) return HfCheckpoint.open(dir);
            throw new CheckpointFormatException(path, "safetensors file without a config.json beside it");
        }
        if (name.endsWith(".bin")) return Llama2cCheckpoint.open(path);
        throw new CheckpointFormatException(path, "unrecognised checkpoint: expected a llama2.c .bin file or a Hugging Face directory");
    }

    private static boolean isTokenizerName(Path p) {
        String n = p.getFileName().toString();
        return n.startsWith("tok");
    }
}
