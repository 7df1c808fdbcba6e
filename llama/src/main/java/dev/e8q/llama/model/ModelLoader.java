package dev.e8q.llama.model;

import dev.e8q.llama.WeightSource;
import dev.e8q.llama.io.Checkpoints;
import dev.e8q.llama.tokenizer.HfTokenizer;
import dev.e8q.llama.tokenizer.Tokenizer;
import dev.e8q.llama.tokenizer.Tokenizers;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The one place the command line gets a model and its tokenizer from a path. Other formats (e.g. quantized
 * checkpoint directories) plug in as {@link Handler}s, registered with {@link #register} or listed in
 * {@code META-INF/services/dev.e8q.llama.model.ModelLoader$Handler}; handlers are asked first, in that order,
 * and the dense reader ({@link Checkpoints#open} + {@link LlamaModel#load}) is the fallback.
 */
public final class ModelLoader {
    private ModelLoader() {}

    /** Loads models of some format. */
    public interface Handler {
        /** True when this handler reads {@code path}. Should be cheap (look at files, not load them). */
        boolean accepts(Path path);

        /** Loads the model; {@code storage} is the dense storage wanted for layers that stay dense. */
        LlamaModel load(Path path, DType storage) throws IOException;
    }

    private static final List<Handler> REGISTERED = new CopyOnWriteArrayList<>();

    public static void register(Handler h) {
        REGISTERED.add(0, h);
    }

    private static List<Handler> handlers() {
        List<Handler> all = new ArrayList<>(REGISTERED);
        for (Handler h : ServiceLoader.load(Handler.class)) all.add(h);
        return all;
    }

    /** The model at {@code path}: a llama2.c .bin, a Hugging Face directory, or whatever a handler accepts. */
    public static LlamaModel load(Path path, DType storage) throws IOException {
        for (Handler h : handlers()) if (h.accepts(path)) return h.load(path, storage);
        try (WeightSource ws = Checkpoints.open(path)) {
            return LlamaModel.load(ws, storage);
        }
    }

    /**
     * The tokenizer for a model: {@code explicit} when given (a llama2.c .bin, a tokenizer.json, or a directory
     * holding one); otherwise tokenizer.json / tokenizer.bin in the model directory, or, for a .bin model file, a
     * single tok*.bin / tokenizer*.bin beside it.
     */
    public static Tokenizer tokenizer(Path model, Path explicit) throws IOException {
        return tokenizer(model, explicit, HfTokenizer.Options.DEFAULT);
    }

    /** As {@link #tokenizer(Path, Path)}; {@code options} apply to tokenizer.json files. */
    public static Tokenizer tokenizer(Path model, Path explicit, HfTokenizer.Options options) throws IOException {
        Path t = explicit != null ? explicit : findTokenizer(model);
        if (t == null) {
            throw new IOException("no tokenizer found for " + model + "; pass --tokenizer (a llama2.c tokenizer .bin or a tokenizer.json)");
        }
        return Tokenizers.load(t, options);
    }

    private static Path findTokenizer(Path model) throws IOException {
        if (Files.isDirectory(model)) return findIn(model);
        Path dir = model.toAbsolutePath().getParent();
        if (dir == null) return null;
        Path inDir = Files.exists(dir.resolve("tokenizer.json")) ? dir.resolve("tokenizer.json") : null;
        if (inDir != null) return inDir;
        List<Path> bins;
        try (var s = Files.list(dir)) {
            bins = s.filter(p -> {
                String n = p.getFileName().toString();
                return n.endsWith(".bin") && (n.startsWith("tok") || n.startsWith("tokenizer"));
            }).toList();
        }
        return bins.size() == 1 ? bins.get(0) : null;
    }

    private static Path findIn(Path dir) {
        for (String n : new String[] {"tokenizer.json", "tokenizer.bin"}) {
            if (Files.exists(dir.resolve(n))) return dir.resolve(n);
        }
        return null;
    }
}
