package dev.e8q.llama.model;

import java.nio.file.Files;
import java.nio.file.Path;

/** Finds the shared real test files: a {@code shared/data} directory found walking up from the working dir. */
final class ModelTestData {
    private ModelTestData() {}

    static Path file(String relative) {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            Path d = p.resolve("shared").resolve("data");
            if (Files.isDirectory(d) && Files.exists(d.resolve("README.md"))) return d.resolve(relative);
        }
        throw new IllegalStateException("no shared/data directory above " + Path.of("").toAbsolutePath());
    }
}
