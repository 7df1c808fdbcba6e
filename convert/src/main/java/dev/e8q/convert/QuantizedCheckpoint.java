package dev.e8q.convert;

import com.fasterxml.jackson.databind.JsonNode;
import dev.e8q.llama.Linear;
import dev.e8q.llama.LlamaConfig;
import dev.e8q.llama.io.CheckpointFormatException;
import dev.e8q.llama.io.HfConfig;
import dev.e8q.llama.io.SafetensorsReader;
import dev.e8q.llama.io.SafetensorsShards;
import dev.e8q.llama.model.DType;
import dev.e8q.llama.model.DecoderBlock;
import dev.e8q.llama.model.DenseLinear;
import dev.e8q.llama.model.LinearKind;
import dev.e8q.llama.model.LlamaModel;
import dev.e8q.llama.model.ModelLoader;
import dev.e8q.llama.model.Rope;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;

/**
 * Reads a QuIP#-layout quantized checkpoint directory (SPEC §7: {@code config.json} with {@code quip_params},
 * safetensors with Qidxs/SU/SV/Wscale/codebook_id/fuse_scales) into a {@link LlamaModel} whose decoder linears are
 * {@link QuantizedLinear}s. Works for directories written by {@code e8q convert} and by QuIP#'s {@code hfize_llama}
 * (no {@code e8q} block: dimensions come from the config, SU/SV lengths give the padded shape).
 *
 * <p>A directory that still holds {@code .e8q-partial} (an unfinished or interrupted conversion) is refused.
 * Norms, embeddings and a dense lm_head are read as float (F16 in the file); {@code lm_head.Qidxs} (an e8q
 * extension, {@code --quantize-lm-head}) makes the head quantized too.
 */
public final class QuantizedCheckpoint {
    /** Work directory of an unfinished conversion inside the output directory. */
    public static final String PARTIAL = ".e8q-partial";

    private QuantizedCheckpoint() {}

    /** quip_params as far as inference needs them. */
    public record QuipParams(int bits, String codebook, double residScaleOverride) {
        /** The residual scale to decode with: the override when > 0, else ≤ 0 meaning "the codebook default". */
        public double residScale() {
            return residScaleOverride > 0 ? residScaleOverride : -1;
        }
    }

    /** True when {@code dir} is a directory with a config.json holding quip_params, or an unfinished conversion. */
    public static boolean looksQuantized(Path dir) {
        if (!Files.isDirectory(dir)) return false;
        if (Files.isDirectory(dir.resolve(PARTIAL))) return true;
        Path cfg = dir.resolve("config.json");
        if (!Files.isRegularFile(cfg)) return false;
        try {
            return Files.readString(cfg, StandardCharsets.UTF_8).contains("\"quip_params\"");
        } catch (IOException e) {
            return false;
        }
    }

    public static QuipParams quipParams(Path dir) throws IOException {
        Path cfg = dir.resolve("config.json");
        JsonNode root = HfConfig.readJson(cfg); // malformed JSON: a CheckpointFormatException naming the file
        JsonNode q = root.get("quip_params");
        if (q == null || !q.isObject()) throw new IOException(cfg + ": no quip_params object (not a quantized checkpoint)");
        String cb = q.path("codebook").asText("");
        int bits;
        try {
            bits = QuipFormat.bitsOfCodebookName(cb);
        } catch (IllegalArgumentException e) {
            throw new IOException(cfg + ": " + e.getMessage());
        }
        String idx = q.path("idx_dtype").asText("torch.int64");
        if (!idx.equals("torch.int64")) throw new IOException(cfg + ": idx_dtype " + idx + " is not supported (only torch.int64)");
        if (q.has("codebook_version") && q.get("codebook_version").asInt() != QuipFormat.codebookVersion(bits))
            throw new IOException(cfg + ": codebook_version " + q.get("codebook_version").asInt() + " of " + cb + " is not supported (want "
                    + QuipFormat.codebookVersion(bits) + "; old checkpoints used a different packing, QuIP# issue #31)");
        if (q.path("lora_rank").asInt(0) != 0) throw new IOException(cfg + ": lora_rank " + q.get("lora_rank") + " is not supported (only 0)");
        if (q.path("rescale_WH").asBoolean(false)) throw new IOException(cfg + ": rescale_WH=true is not supported");
        return new QuipParams(bits, cb, q.path("resid_scale_override").asDouble(-1));
    }

    /** Throws when {@code dir} holds an unfinished conversion. */
    static void checkComplete(Path dir) throws IOException {
        if (Files.exists(dir.resolve(PARTIAL)))
            throw new IOException(dir + " holds an unfinished conversion (" + PARTIAL + " is present); run the same e8q convert "
                    + "command with --resume to finish it");
        if (!Files.exists(dir.resolve("config.json")))
            throw new IOException(dir + " has no config.json: the conversion did not finish; run e8q convert with --resume");
    }

    /**
     * Loads the model; dense parts (embedding, a dense lm_head) use {@code storage}. Any inconsistency (missing or
     * mis-shaped tensor, wrong dtype, unknown codebook id, Qidxs length, non-finite scale) is an IOException whose
     * message starts with the directory (a {@link CheckpointFormatException} unless it came from the file system).
     */
    public static LlamaModel load(Path dir, DType storage) throws IOException {
        try {
            return loadChecked(dir, storage);
        } catch (CheckpointFormatException e) {
            if (e.getMessage() != null && e.getMessage().contains(dir.toString())) throw e;
            throw new CheckpointFormatException(dir, e.getMessage(), e);
        } catch (IOException e) {
            if (e.getMessage() != null && e.getMessage().startsWith(dir.toString())) throw e;
            throw new CheckpointFormatException(dir, e.getMessage(), e);
        } catch (IllegalArgumentException | ArithmeticException e) {
            // Shape preconditions of the model's constructors (fused pieces, block dimensions) that the file violates.
            throw new CheckpointFormatException(dir, "inconsistent quantized checkpoint: " + e.getMessage(), e);
        }
    }

    private static LlamaModel loadChecked(Path dir, DType storage) throws IOException {
        checkComplete(dir);
        QuipParams qp = quipParams(dir);
        LlamaConfig c = HfConfig.read(dir.resolve("config.json"));
        try (SafetensorsShards sh = SafetensorsShards.open(dir)) {
            QuipFormat.Tensors t = new QuipFormat.Tensors() {
                public boolean has(String n) { return sh.has(n); }

                public SafetensorsReader reader(String n) { return sh.reader(n); }

                public Path where(String n) { return sh.reader(n).path(); }
            };
            int bits = qp.bits();
            double rs = qp.residScale();
            Rope rope = new Rope(c);
            List<DecoderBlock> blocks = new ArrayList<>();
            for (int l = 0; l < c.nLayers(); l++) {
                String p = "model.layers." + l + ".";
                EnumMap<LinearKind, Linear> lin = new EnumMap<>(LinearKind.class);
                QuipFormat.Stored qkv = QuipFormat.read(t, p + QuipFormat.QKV, c.qDim() + 2 * c.kvDim(), c.dim(), bits, rs, 3);
                List<QuantizedLinear> v = QuantizedLinear.fused(qkv.matrix(), new int[] {c.qDim(), c.kvDim(), c.kvDim()}, qkv.fuseScales());
                lin.put(LinearKind.Q, v.get(0));
                lin.put(LinearKind.K, v.get(1));
                lin.put(LinearKind.V, v.get(2));
                lin.put(LinearKind.O, QuantizedLinear.of(QuipFormat.read(t, p + QuipFormat.O, c.dim(), c.qDim(), bits, rs, 0).matrix()));
                QuipFormat.Stored ug = QuipFormat.read(t, p + QuipFormat.UPGATE, 2 * c.hiddenDim(), c.dim(), bits, rs, 2);
                List<QuantizedLinear> u = QuantizedLinear.fused(ug.matrix(), new int[] {c.hiddenDim(), c.hiddenDim()}, ug.fuseScales());
                lin.put(LinearKind.UP, u.get(0));
                lin.put(LinearKind.GATE, u.get(1));
                lin.put(LinearKind.DOWN, QuantizedLinear.of(QuipFormat.read(t, p + QuipFormat.DOWN, c.dim(), c.hiddenDim(), bits, rs, 0).matrix()));
                boolean b = c.attentionBias(); // Qwen2: q/k/v biases stored beside the codes, as in the source
                blocks.add(new DecoderBlock(l, c, rope, floats(sh, p + "input_layernorm.weight", c.dim()),
                        floats(sh, p + "post_attention_layernorm.weight", c.dim()), lin,
                        b ? floats(sh, LinearKind.Q.biasName(l), c.qDim()) : null, b ? floats(sh, LinearKind.K.biasName(l), c.kvDim()) : null,
                        b ? floats(sh, LinearKind.V.biasName(l), c.kvDim()) : null));
            }
            String embName = "model.embed_tokens.weight", headName = "lm_head.weight";
            long vd = (long) c.vocabSize() * c.dim();
            float[] emb = sh.has(embName) ? floats(sh, embName, vd) : sh.has(headName) ? floats(sh, headName, vd) : null;
            if (emb == null) throw new IOException(dir + ": neither " + embName + " nor " + headName + " is present");
            Linear head;
            if (sh.has("lm_head.Qidxs")) {
                head = QuantizedLinear.of(QuipFormat.read(t, "lm_head", c.vocabSize(), c.dim(), bits, rs, 0).matrix());
            } else if (sh.has(headName)) {
                head = DenseLinear.of(sh.has(embName) ? floats(sh, headName, vd) : emb, c.vocabSize(), c.dim(), storage);
            } else {
                head = DenseLinear.of(emb, c.vocabSize(), c.dim(), storage);
            }
            return new LlamaModel(c, emb, blocks, floats(sh, "model.norm.weight", c.dim()), head);
        }
    }

    private static float[] floats(SafetensorsShards sh, String name, long n) throws IOException {
        if (!sh.has(name)) throw new IOException(sh.dir() + ": quantized checkpoint has no tensor " + name);
        float[] a = sh.reader(name).readFloats(name);
        if (a.length != n) throw new IOException(sh.dir() + ": tensor " + name + " has " + a.length + " values, want " + n);
        QuipFormat.requireFinite(name, a);
        return a;
    }

    /** The {@link ModelLoader} plug-in (listed in META-INF/services). */
    public static final class Handler implements ModelLoader.Handler {
        @Override
        public boolean accepts(Path path) {
            return looksQuantized(path);
        }

        @Override
        public LlamaModel load(Path path, DType storage) throws IOException {
            return QuantizedCheckpoint.load(path, storage);
        }
    }
}
