package dev.e8q.llama.io;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Small files written whole or not at all: the bytes go to a hidden temporary sibling ({@code .name.<nanos>.tmp}),
 * which is renamed over the target. A failed write (full disk, read-only directory) deletes the temporary file and
 * leaves the target as it was. Large tensors go through {@link SafetensorsWriter}, which does the same while streaming.
 */
public final class AtomicFiles {
    private AtomicFiles() {}

    public static void write(Path target, byte[] bytes) throws IOException {
        Path tmp = tempFor(target);
        try {
            Files.write(tmp, bytes);
            rename(tmp, target);
        } catch (IOException e) {
            throw naming(target, e);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    public static void copy(Path from, Path target) throws IOException {
        Path tmp = tempFor(target);
        try {
            Files.copy(from, tmp, StandardCopyOption.REPLACE_EXISTING);
            rename(tmp, target);
        } catch (IOException e) {
            throw naming(target, e);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /**
     * {@code e} with the file it failed on in its message. A full disk reports only "No space left on device" (and a
     * file-size limit "File too large"), without the path, which leaves the user guessing which output failed.
     */
    public static IOException naming(Path target, IOException e) {
        String m = e.getMessage();
        if (m != null && m.contains(target.getFileName().toString())) return e;
        return new IOException("cannot write " + target + ": " + (m == null ? e.getClass().getSimpleName() : m), e);
    }

    private static Path tempFor(Path target) {
        return target.toAbsolutePath().resolveSibling("." + target.getFileName() + "." + System.nanoTime() + ".tmp");
    }

    private static void rename(Path tmp, Path target) throws IOException {
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
