package dev.e8q.llama.io;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A checkpoint or tokenizer file whose contents do not match its format. The message always names the
 * file and the problem so that a user can tell a truncated download from a wrong path.
 */
public class CheckpointFormatException extends IOException {
    private static final long serialVersionUID = 1L;

    public CheckpointFormatException(Path file, String problem) {
        super(file + ": " + problem);
    }

    public CheckpointFormatException(Path file, String problem, Throwable cause) {
        super(file + ": " + problem, cause);
    }
}
