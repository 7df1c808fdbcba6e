package dev.e8q.llama.testdata;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Locates the shared real test files ({@code shared/data} beside the repository root, recognised by its
 * README.md) by walking up from the working directory (as given and with links resolved), so tests work
 * from a module dir, the repo root, a clone with {@code shared} linked beside it, or an IDE. The
 * environment variable {@code E8Q_DATA} overrides the search (for builds outside the checkout).
 *
 * <p>The one copy for every module: llama publishes it in its test-jar ({@code <type>test-jar</type>}),
 * which finetune, cuda and convert depend on in test scope.
 */
public final class TestData {
    private TestData() {}

    /** The shared/data directory. */
    public static Path dir() {
        String override = System.getenv("E8Q_DATA");
        if (override != null && !override.isEmpty()) return Path.of(override);
        Path cwd = Path.of("").toAbsolutePath();
        try {
            for (Path start : new Path[] {cwd, cwd.toRealPath()}) {
                for (Path p = start; p != null; p = p.getParent()) {
                    Path candidate = p.resolve("shared").resolve("data");
                    if (Files.isDirectory(candidate) && Files.exists(candidate.resolve("README.md"))) return candidate;
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        throw new IllegalStateException("no shared/data directory above " + cwd);
    }

    /** A file or directory under shared/data. */
    public static Path file(String relative) {
        return dir().resolve(relative);
    }

    /** Karpathy's stories260K llama2.c checkpoint. */
    public static Path stories260K() { return file("stories260K/stories260K.bin"); }

    /** stories260K's 512-token llama2.c tokenizer. */
    public static Path tok512() { return file("stories260K/tok512.bin"); }

    /** The Llama 2 32000-token llama2.c tokenizer. */
    public static Path tokenizer32k() { return file("tokenizers/tokenizer_llama2_32000.bin"); }

    /** The tinystories656K Hugging Face checkpoint directory (safetensors, config.json, tokenizer.json). */
    public static Path tinyStories656K() { return file("tinystories656K"); }

    /** 2 MiB of TinyStories training text (stories separated by {@code <|endoftext|>}). */
    public static Path train() { return file("text/tinystories_train_2MiB.txt"); }

    /** The head of the TinyStories validation text. */
    public static Path valid() { return file("text/tinystories_valid_head.txt"); }

    /** The WikiText-2 raw test text. */
    public static Path wiki() { return file("text/wikitext2_raw_test.txt"); }

    /**
     * TinyStories-656K as an "instruct" model: its files in {@code dir}, with a tokenizer_config.json that carries
     * {@code chatTemplate}. The model is not an instruct model; this exercises the chat machinery. The weights are
     * linked (the memory-mapped reader never writes); every file a test might rewrite is a copy, so that a write lands
     * in {@code dir} and never in the shared data.
     */
    public static Path chatModel(Path dir, String chatTemplate) throws IOException {
        Path src = tinyStories656K();
        Files.createSymbolicLink(dir.resolve("model.safetensors"), src.resolve("model.safetensors").toAbsolutePath());
        for (String f : new String[] {"config.json", "tokenizer.json", "generation_config.json"}) {
            Files.copy(src.resolve(f), dir.resolve(f));
        }
        var json = new com.fasterxml.jackson.databind.ObjectMapper();
        var cfg = (com.fasterxml.jackson.databind.node.ObjectNode) json.readTree(src.resolve("tokenizer_config.json").toFile());
        cfg.put("chat_template", chatTemplate);
        Files.write(dir.resolve("tokenizer_config.json"), json.writeValueAsBytes(cfg));
        return dir;
    }

    /** A template that makes each user turn the start of a story and each reply its continuation (for {@link #chatModel}). */
    public static final String STORY_CHAT_TEMPLATE = "{% for m in messages %}{% if m.role == 'user' %}{{ bos_token }}{{ m.content }}"
            + "{% elif m.role == 'assistant' %}{{ m.content }}{{ eos_token }}{% else %}{{ raise_exception('no ' + m.role + ' role') }}"
            + "{% endif %}{% endfor %}";
}
