package dev.e8q.llama.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.e8q.llama.LlamaConfig;
import dev.e8q.llama.WeightSource;
import dev.e8q.llama.testdata.TestData;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HfCheckpointTest {
    static final Path TINY = TestData.file("tinystories656K");

    @TempDir
    Path tmp;

    @Test
    void tinyStoriesConfigAndAliasedEmbedding() throws IOException {
        try (WeightSource ws = Checkpoints.open(TINY)) {
            assertSame(HfCheckpoint.class, ws.getClass());
            assertEquals(new LlamaConfig("llama", 128, 384, 2, 8, 4, 16, 2048, 512, 1e-6f, 10000f, null, false, true,
                    false, 1, 2), ws.config());
            assertTrue(ws.has("model.embed_tokens.weight"));
            assertArrayEquals(new long[] {2048, 128}, ws.shape("model.embed_tokens.weight"));
            assertArrayEquals(ws.read("lm_head.weight"), ws.read("model.embed_tokens.weight"));
            assertEquals(2 * 9 + 3, ws.names().size());
        }
        // A .safetensors path inside the directory opens the directory.
        try (WeightSource ws = Checkpoints.open(TINY.resolve("model.safetensors"))) {
            assertEquals(2, ws.config().nLayers());
        }
    }

    @Test
    void shardedDirectoryReadsTheSameTensors() throws IOException {
        Path dir = tmp.resolve("sharded");
        Files.createDirectories(dir);
        Files.copy(TINY.resolve("config.json"), dir.resolve("config.json"));
        StringBuilder index = new StringBuilder("{\"metadata\":{},\"weight_map\":{");
        try (SafetensorsReader r = SafetensorsReader.open(TINY.resolve("model.safetensors"))) {
            SafetensorsWriter a = new SafetensorsWriter(), b = new SafetensorsWriter();
            List<String> names = r.names();
            for (int i = 0; i < names.size(); i++) {
                String n = names.get(i);
                String shard = i % 2 == 0 ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors";
                (i % 2 == 0 ? a : b).addF32(n, r.shape(n), r.readFloats(n));
                index.append(i == 0 ? "" : ",").append('"').append(n).append("\":\"").append(shard).append('"');
            }
            a.write(dir.resolve("model-00001-of-00002.safetensors"));
            b.write(dir.resolve("model-00002-of-00002.safetensors"));
        }
        Files.writeString(dir.resolve(SafetensorsShards.INDEX), index.append("}}"));
        try (WeightSource sharded = Checkpoints.open(dir); WeightSource single = Checkpoints.open(TINY)) {
            assertEquals(single.config(), sharded.config());
            assertEquals(new java.util.TreeSet<>(single.names()), new java.util.TreeSet<>(sharded.names()));
            for (String n : single.names()) assertArrayEquals(single.read(n), sharded.read(n), n);
        }
        // An index pointing at a missing shard names it.
        Files.writeString(dir.resolve(SafetensorsShards.INDEX), "{\"weight_map\":{\"lm_head.weight\":\"gone.safetensors\"}}");
        Files.delete(dir.resolve("model-00001-of-00002.safetensors"));
        var e = assertThrows(CheckpointFormatException.class, () -> Checkpoints.open(dir));
        assertTrue(e.getMessage().contains("gone.safetensors"), e.getMessage());
        Files.writeString(dir.resolve(SafetensorsShards.INDEX), "{\"weight_map\":{\"lm_head.weight\":\"../x\"}}");
        e = assertThrows(CheckpointFormatException.class, () -> Checkpoints.open(dir));
        assertTrue(e.getMessage().contains("invalid shard"), e.getMessage());
    }

    /** A synthetic model of the given architecture with every tensor present (random-free: value = index). */
    private Path synthetic(String name, Map<String, Object> extraConfig, LlamaConfig shapeOf, List<String> omit)
            throws IOException {
        Path dir = tmp.resolve(name);
        Files.createDirectories(dir);
        SafetensorsWriter w = new SafetensorsWriter();
        for (var e : HfCheckpoint.expectedShapes(shapeOf).entrySet()) {
            if (omit.contains(e.getKey())) continue;
            long n = 1;
            for (long d : e.getValue()) n *= d;
            float[] v = new float[(int) n];
            for (int i = 0; i < v.length; i++) v[i] = i;
            if (e.getKey().endsWith(".bias") || e.getKey().contains("layernorm") || e.getKey().contains("norm")) {
                w.addBF16(e.getKey(), e.getValue(), v);
            } else {
                w.addF16(e.getKey(), e.getValue(), v);
            }
        }
        w.write(dir.resolve("model.safetensors"));
        StringBuilder cfg = new StringBuilder("{");
        for (var e : extraConfig.entrySet()) {
            if (cfg.length() > 1) cfg.append(',');
            cfg.append('"').append(e.getKey()).append("\":").append(e.getValue());
        }
        Files.writeString(dir.resolve("config.json"), cfg.append('}'), StandardCharsets.UTF_8);
        return dir;
    }

    private static Map<String, Object> baseConfig(String arch) {
        Map<String, Object> m = new java.util.LinkedHashMap<>();
        m.put("architectures", "[\"" + arch + "\"]");
        m.put("hidden_size", 16);
        m.put("intermediate_size", 24);
        m.put("num_hidden_layers", 2);
        m.put("num_attention_heads", 4);
        m.put("num_key_value_heads", 2);
        m.put("vocab_size", 10);
        m.put("max_position_embeddings", 64);
        m.put("rms_norm_eps", 1e-5);
        m.put("rope_theta", 500000.0);
        m.put("tie_word_embeddings", false);
        m.put("bos_token_id", 3);
        m.put("eos_token_id", "[4, 5]");
        return m;
    }

    private static LlamaConfig shapes(boolean bias, int headDim) {
        return new LlamaConfig("x", 16, 24, 2, 4, 2, headDim, 10, 64, 1e-5f, 1e4f, null, false, false, bias, 0, 0);
    }

    @Test
    void qwen2WithBiasesAndHalfPrecision() throws IOException {
        Path dir = synthetic("qwen", baseConfig("Qwen2ForCausalLM"), shapes(true, 4), List.of());
        try (WeightSource ws = Checkpoints.open(dir)) {
            LlamaConfig c = ws.config();
            assertEquals("qwen2", c.architecture());
            assertTrue(c.attentionBias());
            assertFalse(c.tiedEmbeddings());
            assertFalse(c.ropeInterleaved());
            assertEquals(500000f, c.ropeTheta());
            assertEquals(3, c.bosId());
            assertEquals(4, c.eosId());
            float[] bias = ws.read("model.layers.1.self_attn.k_proj.bias");
            assertArrayEquals(new float[] {0, 1, 2, 3, 4, 5, 6, 7}, bias);
            assertEquals(100f, ws.read("model.layers.0.mlp.down_proj.weight")[100]);
        }
        Path noBias = synthetic("qwen-nobias", baseConfig("Qwen2ForCausalLM"), shapes(true, 4),
                List.of("model.layers.1.self_attn.v_proj.bias"));
        var e = assertThrows(CheckpointFormatException.class, () -> Checkpoints.open(noBias));
        assertTrue(e.getMessage().contains("model.layers.1.self_attn.v_proj.bias"), e.getMessage());
    }

    @Test
    void llama3RopeScalingAndExplicitHeadDim() throws IOException {
        Map<String, Object> cfg = baseConfig("LlamaForCausalLM");
        cfg.put("head_dim", 8);
        cfg.put("rope_scaling", "{\"rope_type\":\"llama3\",\"factor\":8.0,\"low_freq_factor\":1.0,"
                + "\"high_freq_factor\":4.0,\"original_max_position_embeddings\":8192}");
        Path dir = synthetic("llama3", cfg, shapes(false, 8), List.of());
        try (WeightSource ws = Checkpoints.open(dir)) {
            assertEquals(new LlamaConfig.RopeScaling(8f, 1f, 4f, 8192), ws.config().ropeScaling());
            assertEquals(8, ws.config().headDim());
            assertEquals(32, ws.config().qDim());
            assertArrayEquals(new long[] {32, 16}, ws.shape("model.layers.0.self_attn.q_proj.weight"));
            assertArrayEquals(new long[] {16, 32}, ws.shape("model.layers.0.self_attn.o_proj.weight"));
        }
        cfg.put("architectures", "[\"MistralForCausalLM\"]");
        cfg.put("rope_scaling", "{\"type\":\"yarn\",\"factor\":4.0}");
        Path yarn = synthetic("yarn", cfg, shapes(false, 8), List.of());
        var e = assertThrows(CheckpointFormatException.class, () -> Checkpoints.open(yarn));
        assertTrue(e.getMessage().contains("yarn"), e.getMessage());
    }

    /**
     * Mistral's sliding_window is read (null: full attention) and written back under Mistral's name, since Hugging Face's
     * Llama has no window; Llama ignores the key as Hugging Face does; a windowed Qwen2 and a bad window are refused.
     */
    @Test
    void slidingWindowIsReadForMistralOnly() throws IOException {
        Path file = tmp.resolve("config.json");
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        java.util.function.Function<Map<String, Object>, com.fasterxml.jackson.databind.JsonNode> node = cfg -> {
            StringBuilder b = new StringBuilder("{");
            for (var e : cfg.entrySet()) b.append(b.length() > 1 ? "," : "").append('"').append(e.getKey()).append("\":").append(e.getValue());
            try {
                return json.readTree(b.append('}').toString());
            } catch (IOException ex) {
                throw new java.io.UncheckedIOException(ex);
            }
        };
        Map<String, Object> mistral = baseConfig("MistralForCausalLM");
        mistral.put("sliding_window", 4096);
        LlamaConfig c = HfConfig.parse(file, node.apply(mistral));
        assertEquals(4096, c.slidingWindow());
        assertEquals(0, c.firstAttended(4096));
        assertEquals(1, c.firstAttended(4097));
        var written = HfConfig.toJson(c, false, "float16");
        assertEquals("MistralForCausalLM", written.get("architectures").get(0).asText());
        assertEquals(4096, written.get("sliding_window").asInt());
        assertEquals(c, HfConfig.parse(file, written));

        mistral.put("sliding_window", "null");
        LlamaConfig full = HfConfig.parse(file, node.apply(mistral));
        assertEquals(0, full.slidingWindow());
        assertEquals(0, full.firstAttended(100_000));
        assertTrue(HfConfig.toJson(full, false, "float16").get("sliding_window").isNull());

        Map<String, Object> llama = baseConfig("LlamaForCausalLM");
        llama.put("sliding_window", 16);
        assertEquals(0, HfConfig.parse(file, node.apply(llama)).slidingWindow());
        assertThrows(IllegalArgumentException.class,
                () -> HfConfig.toJson(HfConfig.parse(file, node.apply(llama)).withSlidingWindow(16), false, "float16"));

        Map<String, Object> qwen = baseConfig("Qwen2ForCausalLM");
        qwen.put("sliding_window", 4096);
        qwen.put("use_sliding_window", false);
        assertEquals(0, HfConfig.parse(file, node.apply(qwen)).slidingWindow());
        qwen.put("use_sliding_window", true);
        var e = assertThrows(CheckpointFormatException.class, () -> HfConfig.parse(file, node.apply(qwen)));
        assertTrue(e.getMessage().contains("use_sliding_window") && e.getMessage().contains("config.json"), e.getMessage());

        for (Object bad : new Object[] {0, -5, 2.5, "\"4096\""}) {
            mistral.put("sliding_window", bad);
            var b = assertThrows(CheckpointFormatException.class, () -> HfConfig.parse(file, node.apply(mistral)));
            assertTrue(b.getMessage().contains("sliding_window"), b.getMessage());
        }
    }

    /** Hugging Face's Llama with attention_bias biases o_proj as well, which the runtime does not model: refused by name. */
    @Test
    void llamaWithAttentionBiasIsRefused() throws IOException {
        Map<String, Object> cfg = baseConfig("LlamaForCausalLM");
        cfg.put("attention_bias", true);
        Path dir = synthetic("llama-bias", cfg, shapes(true, 4), List.of());
        var e = assertThrows(CheckpointFormatException.class, () -> Checkpoints.open(dir));
        assertTrue(e.getMessage().contains("attention_bias") && e.getMessage().contains("o_proj")
                && e.getMessage().contains("config.json"), e.getMessage());
    }

    @Test
    void quantizedCheckpointIsRecognised() throws IOException {
        Map<String, Object> cfg = baseConfig("LlamaForCausalLM");
        cfg.put("quip_params", "{\"codebook\":\"E8P12\",\"codebook_version\":1}");
        Path dir = synthetic("quip", cfg, shapes(false, 4), List.of("model.layers.0.self_attn.q_proj.weight"));
        var e = assertThrows(CheckpointFormatException.class, () -> Checkpoints.open(dir));
        assertTrue(e.getMessage().contains("quantized"), e.getMessage());
        // The base config still parses, for the quantized reader.
        assertEquals(16, HfConfig.read(dir.resolve("config.json")).dim());
        assertEquals("E8P12", HfConfig.readJson(dir.resolve("config.json")).path("quip_params").path("codebook").asText());
    }

    @Test
    void unknownArchitectureIsNamed() throws IOException {
        Path dir = synthetic("gpt2", baseConfig("GPT2LMHeadModel"), shapes(false, 4), List.of());
        var e = assertThrows(CheckpointFormatException.class, () -> Checkpoints.open(dir));
        assertTrue(e.getMessage().contains("GPT2LMHeadModel") && e.getMessage().contains("config.json"), e.getMessage());
    }

    @Test
    void missingTensorsAndWrongShapesAreNamed() throws IOException {
        Path dir = synthetic("missing", baseConfig("LlamaForCausalLM"), shapes(false, 4),
                List.of("lm_head.weight", "model.layers.0.mlp.up_proj.weight"));
        var e = assertThrows(CheckpointFormatException.class, () -> Checkpoints.open(dir));
        assertTrue(e.getMessage().contains("lm_head.weight") && e.getMessage().contains("model.layers.0.mlp.up_proj.weight")
                && e.getMessage().contains("2 tensor(s) missing"), e.getMessage());
        Map<String, Object> cfg = baseConfig("LlamaForCausalLM");
        cfg.put("intermediate_size", 32);
        Path wrong = synthetic("wrong", cfg, shapes(false, 4), List.of());
        e = assertThrows(CheckpointFormatException.class, () -> Checkpoints.open(wrong));
        assertTrue(e.getMessage().contains("gate_proj") && e.getMessage().contains("[24, 16]"), e.getMessage());
        Map<String, Object> noDim = baseConfig("LlamaForCausalLM");
        noDim.remove("hidden_size");
        Path nd = synthetic("nodim", noDim, shapes(false, 4), List.of());
        e = assertThrows(CheckpointFormatException.class, () -> Checkpoints.open(nd));
        assertTrue(e.getMessage().contains("hidden_size"), e.getMessage());
    }

    @Test
    void tiedEmbeddingWithOnlyEmbedStored() throws IOException {
        Map<String, Object> cfg = baseConfig("LlamaForCausalLM");
        cfg.put("tie_word_embeddings", true);
        Path dir = synthetic("tied", cfg, shapes(false, 4), List.of("lm_head.weight"));
        try (WeightSource ws = Checkpoints.open(dir)) {
            assertArrayEquals(ws.read("model.embed_tokens.weight"), ws.read("lm_head.weight"));
        }
    }

    @Test
    void notACheckpoint() throws IOException {
        var e = assertThrows(CheckpointFormatException.class, () -> Checkpoints.open(tmp));
        assertTrue(e.getMessage().startsWith(tmp.toString()), e.getMessage());
        Path txt = tmp.resolve("x.txt");
        Files.writeString(txt, "hi");
        assertThrows(CheckpointFormatException.class, () -> Checkpoints.open(txt));
        assertThrows(java.nio.file.NoSuchFileException.class, () -> Checkpoints.open(tmp.resolve("nope.bin")));
    }
}
