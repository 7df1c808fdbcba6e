package dev.e8q.llama.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.e8q.llama.io.CheckpointFormatException;
import dev.e8q.llama.tokenizer.Llama2cTokenizer;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Inputs that broke a parser's invariant (found by the fuzz targets or by reading the parser while writing
 * them), kept as plain tests with the input built inline. docs/robustness.md lists them.
 */
class FuzzRegressionTest {
    @TempDir
    Path tmp;

    /** llama2.c tokenizer: max_token_length, then (score, length, bytes) per piece; longer pieces score higher. */
    static byte[] tokenizerBin(int maxLen, byte[]... pieces) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(maxLen).array());
        for (byte[] p : pieces) {
            out.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putFloat(p.length).putInt(p.length).array());
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    /**
     * A 65,536-byte piece (the largest max_token_length accepted) made the pair table split it at every byte
     * into two fresh substrings: for this 128 KiB file 5.7·10⁹ characters copied (seconds, gigabytes of garbage).
     */
    @Test
    void llama2cTokenizerWithHugePiecesLoadsInLinearTime() throws Exception {
        byte[][] pieces = new byte[20][];
        pieces[0] = ascii("<unk>");
        pieces[1] = ascii("\n<s>\n");
        pieces[2] = ascii("\n</s>\n");
        for (int k = 0; k <= 16; k++) pieces[3 + k] = ascii("a".repeat(1 << k)); // "a", "aa", ..., 65,536 × "a"
        byte[] file = tokenizerBin(1 << 16, pieces);
        Path p = Files.write(tmp.resolve("huge.bin"), file);
        FuzzSupport.run(file.length, () -> {
            Llama2cTokenizer t = Llama2cTokenizer.load(p);
            assertEquals(20, t.vocabSize());
            // Merges still reach the long pieces (through the direct lookup): the text becomes the 65,536-byte piece.
            int[] ids = t.encode("a".repeat(1 << 16), false, false);
            assertEquals(19, ids[ids.length - 1], java.util.Arrays.toString(java.util.Arrays.copyOf(ids, Math.min(ids.length, 10))));
            assertTrue(ids.length <= 2, "merged to " + ids.length + " ids");
        }, p.toString());
    }

    @Test
    void llama2cTokenizerRejectsTruncatedEntriesByName() throws Exception {
        Path p = Files.write(tmp.resolve("t.bin"), java.util.Arrays.copyOf(tokenizerBin(8, ascii("<unk>"), ascii("x")), 15));
        var e = assertThrows(CheckpointFormatException.class, () -> Llama2cTokenizer.load(p));
        assertTrue(e.getMessage().startsWith(p.toString()), e.getMessage());
    }
}
