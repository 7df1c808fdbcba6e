package dev.e8q.convert;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The shared real models and texts: shared/data beside the repository, found by walking up (E8Q_DATA overrides). */
final class TestData {
    private TestData() {}

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

    static Path stories260K() { return dir().resolve("stories260K/stories260K.bin"); }

    static Path tinyStories656K() { return dir().resolve("tinystories656K"); }

    static Path train() { return dir().resolve("text/tinystories_train_2MiB.txt"); }

    static Path valid() { return dir().resolve("text/tinystories_valid_head.txt"); }
}
