package dev.e8q.convert;

import dev.e8q.llama.io.SafetensorsWriter;
import dev.e8q.llama.testdata.TestData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

/** Small random Hugging Face Llama directories for fast tests (tok512 tokenizer, vocab 512). */
final class TinyModels {
    private TinyModels() {}

    static final int DIM = 64, HIDDEN = 64, HEADS = 2, KV = 1, HD = 32, VOCAB = 512;

    static String config(String arch, int layers, boolean bias) {
        return "{\"architectures\":[\"" + arch + "\"],\"model_type\":\"llama\",\"hidden_size\":" + DIM + ",\"intermediate_size\":" + HIDDEN
                + ",\"num_hidden_layers\":" + layers + ",\"num_attention_heads\":" + HEADS + ",\"num_key_value_heads\":" + KV
                + ",\"vocab_size\":" + VOCAB + ",\"max_position_embeddings\":256,\"rms_norm_eps\":1e-5,\"rope_theta\":10000.0,"
                + "\"tie_word_embeddings\":false,\"attention_bias\":" + bias + ",\"hidden_act\":\"silu\",\"bos_token_id\":1,\"eos_token_id\":2}";
    }

    /** Writes a random model; {@code nanIn} (nullable) names a tensor that gets one NaN. */
    static Path write(Path dir, String arch, int layers, String nanIn) throws IOException {
        return write(dir, arch, layers, nanIn, null);
    }

    /** Also: {@code hugeIn} (nullable) names a tensor whose weights are 10⁶ times larger than the others'. */
    static Path write(Path dir, String arch, int layers, String nanIn, String hugeIn) throws IOException {
        return write(dir, arch, layers, nanIn, hugeIn, false);
    }

    /** Also: with {@code bias}, q/k/v biases of scale 0.5 (write a Qwen2ForCausalLM with them). */
    static Path write(Path dir, String arch, int layers, String nanIn, String hugeIn, boolean bias) throws IOException {
        Files.createDirectories(dir);
        Random r = new Random(42);
        huge = hugeIn;
        SafetensorsWriter w = new SafetensorsWriter();
        add(w, r, "model.embed_tokens.weight", VOCAB, DIM, 1.0, nanIn);
        for (int l = 0; l < layers; l++) {
            String p = "model.layers." + l + ".";
            add(w, r, p + "self_attn.q_proj.weight", HEADS * HD, DIM, 0.1, nanIn);
            add(w, r, p + "self_attn.k_proj.weight", KV * HD, DIM, 0.1, nanIn);
            add(w, r, p + "self_attn.v_proj.weight", KV * HD, DIM, 0.1, nanIn);
            if (bias) {
                addVector(w, r, p + "self_attn.q_proj.bias", HEADS * HD);
                addVector(w, r, p + "self_attn.k_proj.bias", KV * HD);
                addVector(w, r, p + "self_attn.v_proj.bias", KV * HD);
            }
            add(w, r, p + "self_attn.o_proj.weight", DIM, HEADS * HD, 0.1, nanIn);
            add(w, r, p + "mlp.gate_proj.weight", HIDDEN, DIM, 0.1, nanIn);
            add(w, r, p + "mlp.up_proj.weight", HIDDEN, DIM, 0.1, nanIn);
            add(w, r, p + "mlp.down_proj.weight", DIM, HIDDEN, 0.1, nanIn);
            ones(w, p + "input_layernorm.weight");
            ones(w, p + "post_attention_layernorm.weight");
        }
        ones(w, "model.norm.weight");
        add(w, r, "lm_head.weight", VOCAB, DIM, 0.1, nanIn);
        w.write(dir.resolve("model.safetensors"));
        Files.writeString(dir.resolve("config.json"), config(arch, layers, bias));
        Files.copy(TestData.dir().resolve("stories260K/tok512.bin"), dir.resolve("tokenizer.bin"));
        return dir;
    }

    private static String huge;

    private static void add(SafetensorsWriter w, Random r, String name, int rows, int cols, double scale, String nanIn) {
        float[] v = new float[rows * cols];
        for (int i = 0; i < v.length; i++) v[i] = (float) (r.nextGaussian() * scale);
        if (name.equals(nanIn)) v[v.length / 2] = Float.NaN;
        if (name.equals(huge)) for (int i = 0; i < v.length; i++) v[i] *= 1e6f;
        w.addF32(name, new long[] {rows, cols}, v);
    }

    private static void addVector(SafetensorsWriter w, Random r, String name, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (r.nextGaussian() * 0.5);
        w.addF32(name, new long[] {n}, v);
    }

    private static void ones(SafetensorsWriter w, String name) {
        float[] v = new float[DIM];
        java.util.Arrays.fill(v, 1f);
        w.addF32(name, new long[] {DIM}, v);
    }
}
