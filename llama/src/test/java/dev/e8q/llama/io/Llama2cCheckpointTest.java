package dev.e8q.llama.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.e8q.llama.LlamaConfig;
import dev.e8q.llama.WeightSource;
import dev.e8q.llama.testdata.TestData;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class Llama2cCheckpointTest {
    static final Path STORIES = TestData.file("stories260K/stories260K.bin");

    @TempDir
    Path tmp;

    @Test
    void readsStories260KHeaderAndConfig() throws IOException {
        try (Llama2cCheckpoint ck = Llama2cCheckpoint.open(STORIES)) {
            LlamaConfig c = ck.config();
            assertEquals(new LlamaConfig("llama2c", 64, 172, 5, 8, 4, 8, 512, 512, 1e-5f, 10000f, null, true, true,
                    false, 1, 2), c);
            assertArrayEquals(new long[] {512, 64}, ck.shape("model.embed_tokens.weight"));
            assertArrayEquals(new long[] {32, 64}, ck.shape("model.layers.4.self_attn.k_proj.weight"));
            assertArrayEquals(new long[] {64, 172}, ck.shape("model.layers.0.mlp.down_proj.weight"));
            assertArrayEquals(new long[] {172, 64}, ck.shape("model.layers.0.mlp.up_proj.weight"));
            // 1 embedding + 9 per layer + final norm + lm_head
            assertEquals(1 + 9 * 5 + 1 + 1, ck.names().size());
        }
    }

    /** Every tensor must be read from the byte offset llama2.c's memory_map_weights gives it. */
    @Test
    void tensorsComeFromLlama2cOffsets() throws IOException {
        ByteBuffer raw = ByteBuffer.wrap(Files.readAllBytes(STORIES)).order(ByteOrder.LITTLE_ENDIAN);
        int dim = 64, hidden = 172, layers = 5, kv = 32, vocab = 512;
        long off = 28;
        long emb = off;
        off += 4L * vocab * dim;
        long rmsAtt = off;
        off += 4L * layers * dim;
        long wq = off;
        off += 4L * layers * dim * dim;
        long wk = off;
        off += 4L * layers * kv * dim;
        long wv = off;
        off += 4L * layers * kv * dim;
        long wo = off;
        off += 4L * layers * dim * dim;
        long rmsFfn = off;
        off += 4L * layers * dim;
        long w1 = off;
        off += 4L * layers * hidden * dim;
        long w2 = off;
        off += 4L * layers * dim * hidden;
        long w3 = off;
        off += 4L * layers * hidden * dim;
        long rmsFinal = off;
        try (Llama2cCheckpoint ck = Llama2cCheckpoint.open(STORIES)) {
            check(raw, emb, ck.read("model.embed_tokens.weight"));
            check(raw, emb, ck.read("lm_head.weight"));
            check(raw, rmsAtt + 4L * 2 * dim, ck.read("model.layers.2.input_layernorm.weight"));
            check(raw, wq + 4L * 3 * dim * dim, ck.read("model.layers.3.self_attn.q_proj.weight"));
            check(raw, wk + 4L * 1 * kv * dim, ck.read("model.layers.1.self_attn.k_proj.weight"));
            check(raw, wv + 4L * 4 * kv * dim, ck.read("model.layers.4.self_attn.v_proj.weight"));
            check(raw, wo, ck.read("model.layers.0.self_attn.o_proj.weight"));
            check(raw, rmsFfn + 4L * 4 * dim, ck.read("model.layers.4.post_attention_layernorm.weight"));
            check(raw, w1 + 4L * 2 * hidden * dim, ck.read("model.layers.2.mlp.gate_proj.weight"));
            check(raw, w2 + 4L * 2 * hidden * dim, ck.read("model.layers.2.mlp.down_proj.weight"));
            check(raw, w3 + 4L * 2 * hidden * dim, ck.read("model.layers.2.mlp.up_proj.weight"));
            check(raw, rmsFinal, ck.read("model.norm.weight"));
        }
    }

    private static void check(ByteBuffer raw, long offset, float[] got) {
        for (int i = 0; i < got.length; i++) {
            assertEquals(raw.getFloat((int) offset + 4 * i), got[i], "element " + i + " at offset " + offset);
        }
    }

    @Test
    void checkpointsOpenDetectsLlama2c() throws IOException {
        try (WeightSource ws = Checkpoints.open(STORIES)) {
            assertSame(Llama2cCheckpoint.class, ws.getClass());
            assertTrue(ws.config().ropeInterleaved());
        }
    }

    @Test
    void separateClassifierWhenVocabNegative() throws IOException {
        // A tiny synthetic model: dim 4, hidden 6, 1 layer, 2 heads, 1 kv head, vocab -3, seq 2.
        int dim = 4, hidden = 6, vocab = 3, seq = 2, kvDim = 2;
        long floats = vocab * dim + dim + dim * dim + 2L * kvDim * dim + dim * dim + dim + 3L * hidden * dim + dim
                + 2L * seq * 1 + vocab * dim;
        ByteBuffer b = ByteBuffer.allocate((int) (28 + 4 * floats)).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(dim).putInt(hidden).putInt(1).putInt(2).putInt(1).putInt(-vocab).putInt(seq);
        for (int i = 0; i < floats; i++) b.putFloat(i);
        Path f = tmp.resolve("wcls.bin");
        Files.write(f, b.array());
        try (Llama2cCheckpoint ck = Llama2cCheckpoint.open(f)) {
            assertEquals(false, ck.config().tiedEmbeddings());
            assertEquals(3, ck.config().vocabSize());
            float[] wcls = ck.read("lm_head.weight");
            assertEquals(floats - vocab * dim, (long) wcls[0]);
            assertEquals(0f, ck.read("model.embed_tokens.weight")[0]);
        }
    }

    @Test
    void truncatedFileNamesPathAndSizes() throws IOException {
        byte[] all = Files.readAllBytes(STORIES);
        Path f = tmp.resolve("cut.bin");
        Files.write(f, java.util.Arrays.copyOf(all, all.length - 100));
        var e = assertThrows(CheckpointFormatException.class, () -> Llama2cCheckpoint.open(f));
        assertTrue(e.getMessage().contains(f.toString()) && e.getMessage().contains("truncated")
                && e.getMessage().contains("1056540"), e.getMessage());
        Files.write(f, java.util.Arrays.copyOf(all, 10));
        e = assertThrows(CheckpointFormatException.class, () -> Llama2cCheckpoint.open(f));
        assertTrue(e.getMessage().contains("header"), e.getMessage());
    }

    @Test
    void headerLiesAreRejected() throws IOException {
        byte[] all = Files.readAllBytes(STORIES);
        int[][] lies = {
            {0, 128},          // dim too large for file
            {2, 0},            // zero layers
            {2, 1 << 24},      // 16M layers: must fail on size, not by building 150M layout entries
            {1, 1 << 24},      // huge hidden_dim
            {3, 7},            // n_heads does not divide dim
            {4, 3},            // n_kv_heads does not divide n_heads
            {5, 0x7fffffff},   // absurd vocab
            {6, -5},           // negative seq_len
            {5, -512},         // claims separate wcls that is not there
        };
        for (int[] lie : lies) {
            byte[] copy = all.clone();
            ByteBuffer.wrap(copy).order(ByteOrder.LITTLE_ENDIAN).putInt(4 * lie[0], lie[1]);
            Path f = tmp.resolve("lie" + lie[0] + ".bin");
            Files.write(f, copy);
            var e = assertThrows(CheckpointFormatException.class, () -> Llama2cCheckpoint.open(f),
                    "header field " + lie[0] + " = " + lie[1]);
            assertTrue(e.getMessage().startsWith(f.toString()), e.getMessage());
        }
    }

    @Test
    void newerExportVersionIsNamed() throws IOException {
        ByteBuffer b = ByteBuffer.allocate(256).order(ByteOrder.LITTLE_ENDIAN).putInt(0x616b3432).putInt(1);
        Path f = tmp.resolve("v1.bin");
        Files.write(f, b.array());
        var e = assertThrows(CheckpointFormatException.class, () -> Llama2cCheckpoint.open(f));
        assertTrue(e.getMessage().contains("version 1"), e.getMessage());
    }

    @Test
    void missingTensorIsNamed() throws IOException {
        try (Llama2cCheckpoint ck = Llama2cCheckpoint.open(STORIES)) {
            var e = assertThrows(IllegalArgumentException.class, () -> ck.read("model.layers.5.mlp.up_proj.weight"));
            assertTrue(e.getMessage().contains("model.layers.5.mlp.up_proj.weight"), e.getMessage());
        }
    }
}
