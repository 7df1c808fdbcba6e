package dev.e8q.convert.fuzz;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.e8q.llama.fuzz.FuzzSupport;
import dev.e8q.llama.io.CheckpointFormatException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Quantized checkpoints that broke the loader's invariant (a documented IOException naming the directory),
 * each built from the 2-bit seed with one field changed. docs/robustness.md lists them.
 */
@Timeout(60)
class FuzzRegressionTest {
    @TempDir
    Path tmp;

    static byte[] seed() throws IOException {
        try (InputStream in = FuzzRegressionTest.class.getResourceAsStream("QuantizedCheckpointFuzzTestInputs/fuzz/quip_2bit")) {
            return in.readAllBytes();
        }
    }

    /** The seed with tensor {@code name}'s data bytes starting at element 0 replaced by {@code bytes}. */
    static byte[] patchTensor(byte[] input, String name, byte[] bytes) throws IOException {
        byte[] marker = QuantizedCheckpointFuzzTest.MARKER.getBytes(StandardCharsets.ISO_8859_1);
        List<byte[]> parts = FuzzSupport.split(input, marker);
        byte[] st = parts.get(1).clone();
        long n = ByteBuffer.wrap(st).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        JsonNode h = new ObjectMapper().readTree(new String(st, 8, (int) n, StandardCharsets.UTF_8));
        int at = 8 + (int) n + h.get(name).get("data_offsets").get(0).intValue();
        System.arraycopy(bytes, 0, st, at, bytes.length);
        return concat(parts.get(0), marker, st);
    }

    static byte[] concat(byte[]... a) {
        var out = new java.io.ByteArrayOutputStream();
        for (byte[] b : a) out.writeBytes(b);
        return out.toByteArray();
    }

    static byte[] le64(long v) {
        return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array();
    }

    static byte[] f16(float v) {
        return ByteBuffer.allocate(2).order(ByteOrder.LITTLE_ENDIAN).putShort(Float.floatToFloat16(v)).array();
    }

    private void rejected(byte[] input, String problem) throws IOException {
        Path dir = Files.createTempDirectory(tmp, "q");
        QuantizedCheckpointFuzzTest.materialize(dir, input);
        boolean[] threw = {false};
        FuzzSupport.run(input.length, () -> {
            try {
                QuantizedCheckpointFuzzTest.load(dir);
            } catch (IOException e) {
                threw[0] = true;
                assertTrue(e.getMessage().contains(problem), "'" + problem + "' not in: " + e.getMessage());
                throw e;
            }
        }, dir.toString(), IOException.class);
        assertTrue(threw[0], "accepted a checkpoint with " + problem);
    }

    /** codebook_id 5 escaped as IllegalArgumentException from QuipFormat.bitsOfCodebookId. */
    @Test
    void unknownCodebookIdIsAFormatError() throws IOException {
        rejected(patchTensor(seed(), "model.layers.0.self_attn.o_proj.codebook_id", le64(5)), "codebook_id");
    }

    /** NaN or ∞ in fuse_scales, Wscale, norms or the embedding loaded and made every logit NaN. */
    @Test
    void nonFiniteScalesAndNormsAreRejected() throws IOException {
        rejected(patchTensor(seed(), "model.layers.0.self_attn.qkv_proj.fuse_scales", f16(Float.NaN)), "fuse_scales");
        rejected(patchTensor(seed(), "model.layers.0.mlp.down_proj.Wscale", f16(Float.POSITIVE_INFINITY)), "Wscale");
        rejected(patchTensor(seed(), "model.layers.0.input_layernorm.weight", f16(Float.NaN)), "input_layernorm");
        rejected(patchTensor(seed(), "lm_head.weight", f16(Float.NEGATIVE_INFINITY)), "lm_head");
    }

    /** A config.json that is not JSON gave Jackson's message without the file's name. */
    @Test
    void malformedConfigNamesTheFile() throws IOException {
        byte[] s = seed();
        byte[] broken = concat("{\"quip_params\": {".getBytes(StandardCharsets.UTF_8), java.util.Arrays.copyOfRange(s, indexOf(s, '\n'), s.length));
        rejected(broken, "config.json");
    }

    /** A config whose shapes exceed the stored matrices (more K/V heads, a wider MLP) is refused naming the linear. */
    @Test
    void inconsistentShapesAreFormatErrors() throws IOException {
        String s = new String(seed(), StandardCharsets.ISO_8859_1);
        rejected(s.replace("\"num_key_value_heads\": 2", "\"num_key_value_heads\": 4").getBytes(StandardCharsets.ISO_8859_1), "qkv_proj");
        rejected(s.replace("\"intermediate_size\": 32", "\"intermediate_size\": 48").getBytes(StandardCharsets.ISO_8859_1), "upgate_proj");
    }

    static int indexOf(byte[] b, char c) {
        for (int i = 0; i < b.length; i++) if (b[i] == c) return i;
        return -1;
    }

    @Test
    void rejectionsAreCheckpointFormatExceptions() throws IOException {
        Path dir = Files.createTempDirectory(tmp, "q");
        QuantizedCheckpointFuzzTest.materialize(dir, patchTensor(seed(), "model.layers.0.self_attn.o_proj.codebook_id", le64(5)));
        try {
            QuantizedCheckpointFuzzTest.load(dir);
        } catch (IOException e) {
            assertTrue(e instanceof CheckpointFormatException, e.getClass() + ": " + e.getMessage());
            assertTrue(e.getMessage().startsWith(dir.toString()), e.getMessage());
            return;
        }
        throw new AssertionError("accepted");
    }
}
