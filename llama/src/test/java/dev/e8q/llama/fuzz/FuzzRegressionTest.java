package dev.e8q.llama.fuzz;

import dev.e8q.llama.tokenizer.HfTokenizer;

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
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Inputs that broke a parser's invariant (found by the fuzz targets or by reading the parser while writing
 * them), kept as plain tests with the input built inline. docs/robustness.md lists them.
 */
@Timeout(60)
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

    /**
     * Found by Llama2cCheckpointFuzzTest (2026-11-22, after 458,101 runs; seed Llama2cCheckpointFuzzTestInputs/fuzz/vocab_1.bin):
     * a llama2.c header with vocab_size ±1 loaded, with llama2.c's fixed BOS id 1 and EOS id 2 outside the vocabulary.
     */
    @Test
    void llama2cVocabularyTooSmallForItsFixedIdsIsRejected() throws Exception {
        Path p = Path.of(FuzzRegressionTest.class.getResource("Llama2cCheckpointFuzzTestInputs/fuzz/vocab_1.bin").toURI());
        rejected(p, Files.size(p), () -> dev.e8q.llama.io.Llama2cCheckpoint.open(p).close(), "vocab_size -1");
    }

    /**
     * Found by HfTokenizerFuzzTest (2026-11-22, after 1,094,279 runs; seed HfTokenizerFuzzTestInputs/fuzz/
     * metaspace_replacement_array.json): a Metaspace {@code replacement} that is an array read as "" and the split loop
     * found "" at every index forever (OutOfMemoryError on a 1,905-byte file). Found by review while fixing it: a Replace
     * normalizer whose pattern matches the empty string, and a chain of Replace steps that doubles the text each time.
     */
    @Test
    void tokenizerJsonThatWouldGrowTheTextWithoutBoundIsRejected() throws Exception {
        Path seed = Path.of(FuzzRegressionTest.class.getResource("HfTokenizerFuzzTestInputs/fuzz/metaspace_replacement_array.json").toURI());
        rejected(seed, Files.size(seed), () -> HfTokenizer.load(seed), "Metaspace replacement");

        String vocab = "\"a\":0,\"b\":1";
        Path empty = Files.writeString(tmp.resolve("empty.json"), "{\"normalizer\":{\"type\":\"Replace\",\"pattern\":{\"Regex\":\"x*\"},"
                + "\"content\":\"a\"}," + tokenizerJson(vocab, "").substring(1));
        rejected(empty, Files.size(empty), () -> HfTokenizer.load(empty), "matches the empty string");

        StringBuilder chain = new StringBuilder("{\"normalizer\":{\"type\":\"Sequence\",\"normalizers\":[");
        for (int i = 0; i < 40; i++) chain.append(i == 0 ? "" : ",").append("{\"type\":\"Replace\",\"pattern\":{\"String\":\"a\"},\"content\":\"aa\"}");
        chain.append("]},").append(tokenizerJson(vocab, "").substring(1));
        Path doubling = Files.writeString(tmp.resolve("doubling.json"), chain.toString());
        HfTokenizer t = HfTokenizer.load(doubling); // 2^40-fold growth is only visible on text
        var e = assertThrows(IllegalArgumentException.class, () -> t.encode("ab", false, false));
        assertTrue(e.getMessage().contains("normalizers expand the text"), e.getMessage());
        assertEquals(1, t.encode("b", false, false).length, "text the chain does not grow still encodes");
    }

    /** Runs {@code load} on {@code file} and expects a CheckpointFormatException naming {@code where} and mentioning {@code problem}. */
    static void rejected(Path where, long inputBytes, FuzzSupport.Body load, String problem) {
        boolean[] threw = {false};
        FuzzSupport.run(inputBytes, () -> {
            try {
                load.run();
            } catch (CheckpointFormatException e) {
                threw[0] = true;
                assertTrue(e.getMessage().contains(problem), "'" + problem + "' not in: " + e.getMessage());
                throw e;
            }
        }, where.toString(), CheckpointFormatException.class);
        assertTrue(threw[0], "accepted");
    }

    static String tokenizerJson(String vocab, String addedTokens) {
        return "{\"added_tokens\":[" + addedTokens + "],\"model\":{\"type\":\"BPE\",\"vocab\":{" + vocab + "},\"merges\":[]}}";
    }

    @Test
    void hfTokenizerRejectsIdsBeyondAnyArray() throws Exception {
        for (String[] c : new String[][] {{"\"a\":0,\"b\":2147483647", ""}, {"\"a\":0,\"b\":400000000", ""},
                {"\"a\":0", "{\"id\":2147483647,\"content\":\"<x>\",\"special\":true}"}, {"\"a\":0,\"b\":3000000000", ""}}) {
            byte[] json = tokenizerJson(c[0], c[1]).getBytes(StandardCharsets.UTF_8);
            Path p = Files.write(tmp.resolve("tokenizer.json"), json);
            rejected(p, json.length, () -> dev.e8q.llama.tokenizer.HfTokenizer.load(p), "id");
        }
    }

    @Test
    void hfConfigRejectsNumbersThatAreNotNumbers() throws Exception {
        String base = "\"architectures\":[\"LlamaForCausalLM\"],\"hidden_size\":8,\"intermediate_size\":8,\"num_hidden_layers\":1,"
                + "\"num_attention_heads\":2,\"vocab_size\":4";
        for (String[] c : new String[][] {{",\"rms_norm_eps\":\"NaN\"", "rms_norm_eps"}, {",\"rope_theta\":-1", "rope_theta"},
                {",\"rope_theta\":1e999", "rope_theta"}, {",\"head_dim\":1073741824", "head_dim"},
                {",\"bos_token_id\":7", "bos_token_id"}, {",\"eos_token_id\":[-9]", "eos_token_id"},
                {",\"rope_scaling\":{\"rope_type\":\"llama3\",\"factor\":8,\"low_freq_factor\":1,\"high_freq_factor\":1,"
                        + "\"original_max_position_embeddings\":8192}", "rope_scaling"}}) {
            byte[] json = ("{" + base + c[0] + "}").getBytes(StandardCharsets.UTF_8);
            Path p = Files.write(tmp.resolve("config.json"), json);
            rejected(p, json.length, () -> HfConfigFuzzTest.load(p), c[1]);
        }
    }

    @Test
    void hfCheckpointWithAbsurdLayerCountIsRejectedBeforeListingTensors() throws Exception {
        byte[] seed = FuzzSeedsTest.seed("HfCheckpointFuzzTest", "tiny_single");
        String s = new String(seed, StandardCharsets.ISO_8859_1).replace("\"num_hidden_layers\": 1", "\"num_hidden_layers\": 2000000000");
        byte[] input = s.getBytes(StandardCharsets.ISO_8859_1);
        Path dir = Files.createDirectory(tmp.resolve("layers"));
        HfCheckpointFuzzTest.materialize(dir, input);
        rejected(dir, input.length, () -> HfCheckpointFuzzTest.load(dir), "2000000000");
    }

    @Test
    void shardNamedDotIsRejectedAsAFormatError() throws Exception {
        for (String shard : new String[] {".", "", "sub/x.safetensors", "..", "missing.safetensors"}) {
            byte[] index = ("{\"weight_map\":{\"a\":\"" + shard + "\"}}").getBytes(StandardCharsets.UTF_8);
            Path dir = Files.createTempDirectory(tmp, "shards");
            SafetensorsShardsFuzzTest.materialize(dir, index);
            rejected(dir, index.length, () -> SafetensorsShardsFuzzTest.load(dir), "shard");
        }
    }

    /**
     * Four leading bytes 00 00 00 06 make Jackson read the file as UTF-32; the invalid code point then surfaced
     * as a bare CharConversionException (an IOException without the file's name). Found by HfTokenizerFuzzTest.
     */
    @Test
    void jsonThatLooksLikeUtf32IsAFormatError() throws Exception {
        byte[] bad = {0, 0, 0, 6, 0x73, (byte) 0xa4, '{', '"', 'a', '"', ':', '1', '}'};
        Path tok = Files.write(tmp.resolve("tokenizer.json"), bad);
        rejected(tok, bad.length, () -> dev.e8q.llama.tokenizer.HfTokenizer.load(tok), "JSON");
        Path cfg = Files.write(tmp.resolve("config.json"), bad);
        rejected(cfg, bad.length, () -> HfConfigFuzzTest.load(cfg), "JSON");
        Path dir = Files.createDirectory(tmp.resolve("utf32"));
        SafetensorsShardsFuzzTest.materialize(dir, bad);
        rejected(dir, bad.length, () -> SafetensorsShardsFuzzTest.load(dir), "JSON");
    }
}
