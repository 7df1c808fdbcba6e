package dev.e8q.llama.io;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Locates the shared real test files ({@code shared/data} next to the repository root) by walking up
 * from the working directory, so tests work from the module dir, the repo root or an IDE. The
 * environment variable {@code E8Q_DATA} overrides the search (for builds outside the checkout).
 */
public final class TestData {
    private TestData() {}

    public static Path dir() {
        String override = System.getenv("E8Q_DATA");
        if (override != null && !override.isEmpty()) return Path.of(override);
        Path p = Path.of("").toAbsolutePath();
        for (; p != null; p = p.getParent()) {
            Path candidate = p.resolve("shared").resolve("data");
            if (Files.isDirectory(candidate) && Files.exists(candidate.resolve("README.md"))) return candidate;
        }
        throw new IllegalStateException("no shared/data directory above " + Path.of("").toAbsolutePath());
    }

    public static Path file(String relative) {
        return dir().resolve(relative);
    }
}
