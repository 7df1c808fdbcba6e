package dev.e8q.llama.io;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.e8q.llama.LlamaConfig;
import dev.e8q.llama.WeightSource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Converts a checkpoint with interleaved RoPE (llama2.c) into a Hugging Face Llama directory:
 * {@code config.json} and an F32 {@code model.safetensors}, with the q/k rows permuted to the rotate_half
 * layout ({@link RopePermutation}) so the exported model computes the same logits under HF conventions.
 * Tied embeddings are written once, as {@code model.embed_tokens.weight}, as transformers does.
 */
public final class ExportHf {
    private ExportHf() {}

    /** Exports {@code llama2cBin} to {@code outDir} (created if needed) and returns {@code outDir}. */
    public static Path export(Path llama2cBin, Path outDir) throws IOException {
        try (WeightSource src = Checkpoints.open(llama2cBin)) {
            export(src, outDir);
        }
        return outDir;
    }

    public static void export(WeightSource src, Path outDir) throws IOException {
        LlamaConfig c = src.config();
        Files.createDirectories(outDir);
        SafetensorsWriter w = new SafetensorsWriter().metadata("format", "pt");
        for (String name : src.names()) {
            if (c.tiedEmbeddings() && name.equals("lm_head.weight")) continue;
            long[] shape = src.shape(name);
            // Read lazily at write time: only one tensor is in memory at once.
            w.add(name, DType.F32, shape, sink -> {
                float[] v = transform(src, c, name);
                for (float x : v) sink.putFloat(x);
            });
        }
        w.write(outDir.resolve(SafetensorsShards.SINGLE));
        AtomicFiles.write(outDir.resolve("config.json"), configJson(c));
    }

    private static float[] transform(WeightSource src, LlamaConfig c, String name) throws IOException {
        float[] v = src.read(name);
        if (!c.ropeInterleaved()) return v;
        boolean q = name.endsWith("self_attn.q_proj.weight") || name.endsWith("self_attn.q_proj.bias");
        boolean k = name.endsWith("self_attn.k_proj.weight") || name.endsWith("self_attn.k_proj.bias");
        if (!q && !k) return v;
        int heads = q ? c.nHeads() : c.nKvHeads();
        int cols = v.length / (heads * c.headDim());
        return RopePermutation.interleavedToHalf(v, heads, c.headDim(), cols);
    }

    static byte[] configJson(LlamaConfig c) throws IOException {
        ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode o = HfConfig.toJson(c, c.tiedEmbeddings(), "float32");
        return json.writeValueAsBytes(o);
    }

    /** Copies a tokenizer file into {@code outDir} under {@code targetName}, atomically. */
    public static void copyTokenizer(Path tokenizer, Path outDir, String targetName) throws IOException {
        AtomicFiles.copy(tokenizer, outDir.resolve(targetName));
    }

}
