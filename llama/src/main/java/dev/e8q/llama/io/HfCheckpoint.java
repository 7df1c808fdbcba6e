package dev.e8q.llama.io;

import dev.e8q.llama.LlamaConfig;
import dev.e8q.llama.WeightSource;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A dense Hugging Face checkpoint directory ({@code config.json} + safetensors, single or sharded).
 * All tensors the forward pass needs are checked for presence and shape when the directory is opened,
 * so a broken checkpoint fails at once with the missing names. Tied embeddings stored once are aliased:
 * a missing {@code lm_head.weight} reads the embedding, and a missing {@code model.embed_tokens.weight}
 * reads {@code lm_head.weight} (TinyStories-656K stores only that, recording the sharing in
 * {@code __metadata__} as torch's shared-tensor convention {removed name: kept name}).
 */
public final class HfCheckpoint implements WeightSource {
    static final String SINGLE = SafetensorsShards.SINGLE;
    static final String INDEX = SafetensorsShards.INDEX;

    private final Path dir;
    private final LlamaConfig config;
    private final SafetensorsShards shards;
    /** Exposed name → stored name. */
    private final Map<String, String> names;

    private HfCheckpoint(Path dir, LlamaConfig config, SafetensorsShards shards, Map<String, String> names) {
        this.dir = dir;
        this.config = config;
        this.shards = shards;
        this.names = names;
    }

    public static HfCheckpoint open(Path dir) throws IOException {
        Path configFile = dir.resolve("config.json");
        var json = HfConfig.readJson(configFile);
        if (json.has("quip_params")) {
            throw new CheckpointFormatException(configFile, "is a QuIP# quantized checkpoint (quip_params present);"
                    + " the dense reader cannot load it");
        }
        LlamaConfig config = HfConfig.parse(configFile, json);
        SafetensorsShards shards = SafetensorsShards.open(dir);
        try {
            Map<String, String> names = new LinkedHashMap<>();
            for (String n : shards.names()) names.put(n, n);
            shards.metadata().forEach((removed, kept) -> {
                if (!names.containsKey(removed) && shards.has(kept) && removed.endsWith(".weight")) names.put(removed, kept);
            });
            String emb = "model.embed_tokens.weight", head = "lm_head.weight";
            if (config.tiedEmbeddings()) {
                if (!names.containsKey(head) && names.containsKey(emb)) names.put(head, names.get(emb));
                if (!names.containsKey(emb) && names.containsKey(head)) names.put(emb, names.get(head));
            }
            HfCheckpoint ck = new HfCheckpoint(dir, config, shards, names);
            ck.validate();
            return ck;
        } catch (IOException | RuntimeException e) {
            shards.close();
            throw e;
        }
    }

    /** The expected shape of every tensor a dense forward pass reads. */
    static Map<String, long[]> expectedShapes(LlamaConfig c) {
        Map<String, long[]> m = new LinkedHashMap<>();
        long dim = c.dim(), q = c.qDim(), kv = c.kvDim(), h = c.hiddenDim();
        m.put("model.embed_tokens.weight", new long[] {c.vocabSize(), dim});
        for (int i = 0; i < c.nLayers(); i++) {
            String p = "model.layers." + i + ".";
            m.put(p + "input_layernorm.weight", new long[] {dim});
            m.put(p + "self_attn.q_proj.weight", new long[] {q, dim});
            m.put(p + "self_attn.k_proj.weight", new long[] {kv, dim});
            m.put(p + "self_attn.v_proj.weight", new long[] {kv, dim});
            if (c.attentionBias()) {
                m.put(p + "self_attn.q_proj.bias", new long[] {q});
                m.put(p + "self_attn.k_proj.bias", new long[] {kv});
                m.put(p + "self_attn.v_proj.bias", new long[] {kv});
            }
            m.put(p + "self_attn.o_proj.weight", new long[] {dim, q});
            m.put(p + "post_attention_layernorm.weight", new long[] {dim});
            m.put(p + "mlp.gate_proj.weight", new long[] {h, dim});
            m.put(p + "mlp.up_proj.weight", new long[] {h, dim});
            m.put(p + "mlp.down_proj.weight", new long[] {dim, h});
        }
        m.put("model.norm.weight", new long[] {dim});
        m.put("lm_head.weight", new long[] {c.vocabSize(), dim});
        return m;
    }

    private void validate() throws CheckpointFormatException {
        // Every layer has at least 9 tensors; a config that claims more layers than there are tensors is
        // rejected before listing billions of expected names.
        if (config.nLayers() > names.size()) {
            throw new CheckpointFormatException(dir, "config.json declares " + config.nLayers() + " layers but the"
                    + " checkpoint holds only " + names.size() + " tensors");
        }
        List<String> missing = new ArrayList<>();
        List<String> wrong = new ArrayList<>();
        for (Map.Entry<String, long[]> e : expectedShapes(config).entrySet()) {
            String stored = names.get(e.getKey());
            if (stored == null) {
                missing.add(e.getKey());
                continue;
            }
            TensorInfo t = shards.info(stored);
            if (!Arrays.equals(t.shape(), e.getValue())) {
                wrong.add(e.getKey() + " " + Arrays.toString(t.shape()) + " (config implies " + Arrays.toString(e.getValue()) + ")");
            }
            if (!t.dtype().isFloating()) wrong.add(e.getKey() + " has dtype " + t.dtype());
        }
        if (!missing.isEmpty()) {
            throw new CheckpointFormatException(dir, missing.size() + " tensor(s) missing for " + config.architecture() + ": "
                    + String.join(", ", missing.subList(0, Math.min(10, missing.size()))) + (missing.size() > 10 ? ", ..." : ""));
        }
        if (!wrong.isEmpty()) {
            throw new CheckpointFormatException(dir, "tensor shape/dtype disagrees with config.json: "
                    + String.join("; ", wrong.subList(0, Math.min(10, wrong.size()))));
        }
    }

    public Path dir() {
        return dir;
    }

    /** Raw access to the safetensors files (other dtypes, metadata). */
    public SafetensorsShards tensors() {
        return shards;
    }

    @Override
    public LlamaConfig config() {
        return config;
    }

    @Override
    public List<String> names() {
        return new ArrayList<>(names.keySet());
    }

    @Override
    public boolean has(String name) {
        return names.containsKey(name);
    }

    @Override
    public long[] shape(String name) {
        return shards.info(stored(name)).shape();
    }

    @Override
    public float[] read(String name) throws IOException {
        String s = stored(name);
        return shards.reader(s).readFloats(s);
    }

    private String stored(String name) {
        String s = names.get(name);
        if (s == null) throw new IllegalArgumentException(dir + ": no tensor named '" + name + "'");
        return s;
    }

    @Override
    public void close() {
        shards.close();
    }
}
