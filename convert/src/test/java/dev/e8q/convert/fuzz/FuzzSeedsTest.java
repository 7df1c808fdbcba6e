package dev.e8q.convert.fuzz;

import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The hand-written QuIP#-layout seeds load and run, so fuzzing starts from accepted checkpoints. */
class FuzzSeedsTest {
    @TempDir
    Path tmp;

    @Test
    void validSeedsLoadAndRun() throws Exception {
        for (String s : new String[] {"quip_2bit", "quip_3bit"}) {
            byte[] data;
            try (InputStream in = FuzzSeedsTest.class.getResourceAsStream("QuantizedCheckpointFuzzTestInputs/fuzz/" + s)) {
                assertNotNull(in, s);
                data = in.readAllBytes();
            }
            Path dir = Files.createDirectory(tmp.resolve(s));
            QuantizedCheckpointFuzzTest.materialize(dir, data);
            QuantizedCheckpointFuzzTest.load(dir);
        }
    }
}
