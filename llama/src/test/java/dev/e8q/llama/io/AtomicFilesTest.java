package dev.e8q.llama.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {
    @TempDir
    Path tmp;

    static List<String> names(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void writeAndCopyReplaceTheTargetWhole() throws IOException {
        Path t = tmp.resolve("a.json");
        AtomicFiles.write(t, new byte[] {1, 2, 3});
        AtomicFiles.write(t, new byte[] {4});
        assertArrayEquals(new byte[] {4}, Files.readAllBytes(t));
        AtomicFiles.copy(t, tmp.resolve("b.json"));
        assertArrayEquals(new byte[] {4}, Files.readAllBytes(tmp.resolve("b.json")));
        assertEquals(List.of("a.json", "b.json"), names(tmp));
    }

    @Test
    void aFailedWriteNamesTheTargetKeepsItAndLeavesNoTemporaryFile() throws IOException {
        Path t = Files.createDirectory(tmp.resolve("model.json")); // a non-empty directory cannot be replaced by a file
        Files.writeString(t.resolve("inside"), "x");
        IOException e = assertThrows(IOException.class, () -> AtomicFiles.write(t, new byte[] {1}));
        assertTrue(e.getMessage().contains("model.json"), e.getMessage());
        assertThrows(IOException.class, () -> AtomicFiles.copy(t.resolve("inside"), t));
        assertEquals(List.of("model.json"), names(tmp));
        assertEquals(List.of("inside"), names(t));
    }

    @Test
    void messagesWithoutThePathGetIt() {
        Path t = Path.of("/out/model.safetensors");
        IOException bare = new IOException("No space left on device");
        IOException named = AtomicFiles.naming(t, bare);
        assertEquals("cannot write /out/model.safetensors: No space left on device", named.getMessage());
        assertEquals(bare, named.getCause());
        IOException already = new java.nio.file.AccessDeniedException("/out/model.safetensors");
        assertEquals(already, AtomicFiles.naming(t, already));
    }
}
