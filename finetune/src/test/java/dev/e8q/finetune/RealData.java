package dev.e8q.finetune;

import dev.e8q.llama.io.Checkpoints;
import dev.e8q.llama.model.DType;
import dev.e8q.llama.model.LlamaModel;
import dev.e8q.llama.WeightSource;
import dev.e8q.llama.tokenizer.Llama2cTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The shared real models and text (shared/data; E8Q_DATA overrides). */
final class RealData {
    private RealData() {}

    static Path dir() {
        String o = System.getenv("E8Q_DATA");
        if (o != null && !o.isEmpty()) return Path.of(o);
        try {
            for (Path start : new Path[] {Path.of("").toAbsolutePath(), Path.of("").toAbsolutePath().toRealPath()}) {
                for (Path p = start; p != null; p = p.getParent()) {
                    Path c = p.resolve("shared").resolve("data");
                    if (Files.exists(c.resolve("README.md"))) return c;
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        throw new IllegalStateException("no shared/data above " + Path.of("").toAbsolutePath());
    }

    static LlamaModel stories260K() throws IOException {
        try (WeightSource ws = Checkpoints.open(dir().resolve("stories260K/stories260K.bin"))) {
            return LlamaModel.load(ws, DType.F32);
        }
    }

    static dev.e8q.llama.tokenizer.Tokenizer tinyStories656KTokenizer() throws IOException {
        return dev.e8q.llama.tokenizer.Tokenizers.load(dir().resolve("tinystories656K"));
    }

    static LlamaModel tinyStories656K() throws IOException {
        try (WeightSource ws = Checkpoints.open(dir().resolve("tinystories656K"))) {
            return LlamaModel.load(ws, DType.F32);
        }
    }

    /**
     * {@code count} windows of {@code len} tokens ([BOS] + story tokens, stories concatenated) from the
     * TinyStories training text, tokenized with tok512.
     */
    static List<int[]> storiesTokens(int count, int len) throws IOException {
        return storiesTokens(Llama2cTokenizer.load(dir().resolve("stories260K/tok512.bin")), count, len);
    }

    static List<int[]> storiesTokens(dev.e8q.llama.tokenizer.Tokenizer tok, int count, int len) throws IOException {
        String text = Files.readString(dir().resolve("text/tinystories_train_2MiB.txt"));
        List<int[]> out = new ArrayList<>();
        int[] buf = new int[len];
        int fill = 0;
        for (String story : text.split("<\\|endoftext\\|>")) {
            String s = story.strip();
            if (s.isEmpty()) continue;
            for (int id : tok.encode(s, true, false)) {
                buf[fill++] = id;
                if (fill == len) {
                    out.add(buf.clone());
                    if (out.size() == count) return out;
                    fill = 0;
                }
            }
        }
        return out;
    }
}
