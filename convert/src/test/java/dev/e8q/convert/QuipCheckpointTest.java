package dev.e8q.convert;

import static org.junit.jupiter.api.Assertions.*;

import dev.e8q.codec.QidxsPacking;
import dev.e8q.llama.io.SafetensorsWriter;
import dev.e8q.llama.model.DType;
import dev.e8q.llama.model.LinearKind;
import dev.e8q.llama.model.LlamaModel;
import dev.e8q.llama.model.ModelLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.quicktheories.QuickTheory;
import org.quicktheories.generators.SourceDSL;

/**
 * A checkpoint written by hand the way QuIP# lays it out (SPEC §7: no e8q block, Wscale ≠ 1, fuse_scales per piece),
 * with codes whose decoded 8-vectors are SPEC §1.3's test vectors, loads to the expected weights
 * Ŵ = diag(SV·Wscale)·M_m·Ŵr·M_nᵀ·diag(SU) (M = Sylvester/√n, all sizes powers of two), piece i times fuse_scales[i].
 */
class QuipCheckpointTest {
    @TempDir
    Path tmp;

    /** SPEC §1.3: code → decoded vector. */
    static final int[] CODES = {0x0000, 0x0001, 0x0003, 0x0080, 0x00FF, 0x0100, 0x0102, 0x1234, 0xE3A5, 0xFF00, 0xFFFF};
    static final double[][] VECS = {
            {.75, .75, .75, .75, .75, .75, .75, .75}, {.25, .25, .25, .25, .25, .25, .25, .25},
            {-.25, .75, -.25, .75, .75, .75, .75, .75}, {-.75, .25, .25, .25, .25, .25, .25, -.75},
            {-.25, -.25, -.25, -.25, -.25, -.25, -.25, -.25}, {.75, .75, .75, .75, .75, .75, .75, -1.25},
            {-.75, .25, -.75, .25, .25, .25, .25, -1.75}, {-.75, -.75, .25, -.75, -1.75, .25, .25, 1.25},
            {-1.25, .75, .75, -.25, -1.25, 1.75, 1.75, 1.75}, {1.75, 1.75, .75, .75, 1.75, 1.75, 1.75, -.25},
            {-1.25, -1.25, -.25, -.25, -1.25, -1.25, -1.25, .75}};

    static int pick(int seed, int r, int b) {
        return Math.floorMod(seed * 5 + r * 7 + b * 3, CODES.length);
    }

    /** SPEC §1.5 test vector: m=16, n=64, code[r][b] = ((8r+b)·0x9E37) mod 65536. */
    @Test
    void packedWordsMatchSpecVector() {
        int[] codes = new int[16 * 8];
        for (int r = 0; r < 16; r++) for (int b = 0; b < 8; b++) codes[r * 8 + b] = ((8 * r + b) * 0x9E37) & 0xFFFF;
        long[] w = QidxsPacking.packE8p(16, 64, codes);
        assertEquals(0xA8E6ACCC8F9EF100L, w[0]);
        assertEquals(0x49789F3CCCDA2E3CL, w[1]);
        assertEquals(0xB90793CC08176A78L, w[2]);
        assertEquals(0xB9079F3CAFBE111FL, w[5]);
        assertEquals(0x4907903C7D8BDFEDL, w[31]);
    }

    record Lin(String name, int rows, int cols, int seed, float[] su, float[] sv, float wscale, float[] fuse) {}

    static Lin lin(Random r, String name, int rows, int cols, int seed, float wscale, float[] fuse) {
        float[] su = new float[cols], sv = new float[rows];
        for (int i = 0; i < cols; i++) su[i] = QuipFormat.fp16(r.nextBoolean() ? 1f : -1f);
        for (int i = 0; i < rows; i++) sv[i] = QuipFormat.fp16((float) ((r.nextBoolean() ? 1 : -1) * (0.01 + 0.02 * r.nextDouble())));
        return new Lin(name, rows, cols, seed, su, sv, wscale, fuse);
    }

    static void write(SafetensorsWriter w, String prefix, Lin l) {
        int[] codes = new int[l.rows * (l.cols / 8)];
        for (int r = 0; r < l.rows; r++) for (int b = 0; b < l.cols / 8; b++) codes[r * (l.cols / 8) + b] = CODES[pick(l.seed, r, b)];
        long[] q = QidxsPacking.packE8p(l.rows, l.cols, codes);
        w.addI64(prefix + ".Qidxs", new long[] {l.rows, l.cols / 32}, q);
        w.addF16(prefix + ".SU", new long[] {l.cols}, l.su);
        w.addF16(prefix + ".SV", new long[] {l.rows}, l.sv);
        w.addF16(prefix + ".Wscale", new long[] {}, new float[] {l.wscale});
        w.addI64(prefix + ".codebook_id", new long[] {}, new long[] {7});
        if (l.fuse != null) w.addF16(prefix + ".fuse_scales", new long[] {l.fuse.length}, l.fuse);
    }

    /** Ŵ in double, straight from the definition. */
    static double[] expected(Lin l) {
        int m = l.rows, n = l.cols;
        double[] wr = new double[m * n];
        for (int r = 0; r < m; r++) for (int b = 0; b < n / 8; b++) System.arraycopy(VECS[pick(l.seed, r, b)], 0, wr, r * n + 8 * b, 8);
        double[] t = new double[m * n]; // M_m · Ŵr
        for (int i = 0; i < m; i++)
            for (int k = 0; k < m; k++) {
                double h = had(i, k) / Math.sqrt(m);
                for (int j = 0; j < n; j++) t[i * n + j] += h * wr[k * n + j];
            }
        double[] out = new double[m * n]; // · M_nᵀ (M symmetric)
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int k = 0; k < n; k++) s += t[i * n + k] * had(j, k) / Math.sqrt(n);
                out[i * n + j] = (double) l.sv[i] * l.wscale * s * l.su[j];
            }
        return out;
    }

    static int had(int i, int j) {
        return Integer.bitCount(i & j) % 2 == 0 ? 1 : -1;
    }

    @Test
    void handWrittenQuipCheckpointDecodesToExpectedWeights() throws Exception {
        // dim 64, 2 heads of 32 (1 KV head): qkv 128×64, o 64×64, upgate 128×64 (hidden 64), down 64×64 — all powers of two
        Path dir = Files.createDirectories(tmp.resolve("quip"));
        Random rnd = new Random(3);
        int d = 64;
        Lin qkv = lin(rnd, "qkv", 128, d, 1, 1f, new float[] {1.5f, 0.5f, 2f});
        Lin o = lin(rnd, "o", d, d, 2, 0.5f, null);
        Lin ug = lin(rnd, "upgate", 128, d, 3, 1f, new float[] {0.75f, 1.25f});
        Lin dn = lin(rnd, "down", d, d, 4, 2f, null);
        SafetensorsWriter w = new SafetensorsWriter();
        String p = "model.layers.0.";
        write(w, p + "self_attn.qkv_proj", qkv);
        write(w, p + "self_attn.o_proj", o);
        write(w, p + "mlp.upgate_proj", ug);
        write(w, p + "mlp.down_proj", dn);
        float[] ones = new float[d];
        java.util.Arrays.fill(ones, 1f);
        w.addF16(p + "input_layernorm.weight", new long[] {d}, ones);
        w.addF16(p + "post_attention_layernorm.weight", new long[] {d}, ones);
        float[] emb = new float[512 * d];
        for (int i = 0; i < emb.length; i++) emb[i] = (float) rnd.nextGaussian();
        w.addF16("model.embed_tokens.weight", new long[] {512, d}, emb);
        w.addF16("model.norm.weight", new long[] {d}, ones);
        w.addF16("lm_head.weight", new long[] {512, d}, emb);
        w.write(dir.resolve("model.safetensors"));
        String cfg = TinyModels.config("LlamaForCausalLM", 1, false).replace("}", ",\"torch_dtype\":\"float16\",\"quip_params\":{\"codebook\":\"E8P12\","
                + "\"codebook_version\":1,\"codesz\":8,\"idx_dtype\":\"torch.int64\",\"packsz\":4,\"lora_rank\":0,\"rescale_WH\":false,"
                + "\"resid_scale_override\":-1,\"model_version\":1}}");
        Files.writeString(dir.resolve("config.json"), cfg);

        LlamaModel m = ModelLoader.load(dir, DType.F32);
        check(qkv, m, new LinearKind[] {LinearKind.Q, LinearKind.K, LinearKind.V}, new int[] {64, 32, 32});
        check(o, m, new LinearKind[] {LinearKind.O}, new int[] {64});
        check(ug, m, new LinearKind[] {LinearKind.UP, LinearKind.GATE}, new int[] {64, 64});
        check(dn, m, new LinearKind[] {LinearKind.DOWN}, new int[] {64});

        // The products agree with the expected dense weights for arbitrary inputs.
        QuickTheory.qt().withExamples(20).forAll(SourceDSL.integers().between(0, 1 << 20)).checkAssert(seed -> {
            Random r = new Random(seed);
            float[] x = new float[d];
            for (int i = 0; i < d; i++) x[i] = (float) r.nextGaussian();
            float[] y = new float[64];
            m.block(0).linear(LinearKind.O).forward(x, 0, y, 0);
            double[] e = expected(o);
            for (int i = 0; i < 64; i++) {
                double s = 0;
                for (int j = 0; j < d; j++) s += e[i * d + j] * x[j];
                assertEquals(s, y[i], 1e-4 + 1e-4 * Math.abs(s));
            }
        });
    }

    private static void check(Lin l, LlamaModel m, LinearKind[] kinds, int[] rows) {
        double[] e = expected(l);
        int off = 0;
        for (int i = 0; i < kinds.length; i++) {
            float[] got = ((QuantizedLinear) m.block(0).linear(kinds[i])).decode();
            double f = l.fuse == null ? 1 : l.fuse[i];
            for (int r = 0; r < rows[i]; r++)
                for (int c = 0; c < l.cols; c++) {
                    double want = e[(off + r) * l.cols + c] * f;
                    assertEquals(want, got[r * l.cols + c], 1e-5 + 1e-4 * Math.abs(want), l.name + " " + kinds[i] + " (" + r + "," + c + ")");
                }
            off += rows[i];
        }
    }

    /** Views of a fused matrix never serve a stale product when the same array is refilled with new values. */
    @Test
    void fusedCacheKeysOnInputContent() throws Exception {
        Random r = new Random(9);
        Lin l = lin(r, "qkv", 128, 64, 5, 1f, new float[] {1f, 2f, 3f});
        int[] codes = new int[128 * 8];
        for (int i = 0; i < 128; i++) for (int b = 0; b < 8; b++) codes[i * 8 + b] = CODES[pick(5, i, b)];
        var mat = dev.e8q.codec.E8Matrix.fromQidxs(128, 64, 2, QidxsPacking.packE8p(128, 64, codes), l.su, l.sv, -1);
        var views = QuantizedLinear.fused(mat, new int[] {64, 32, 32}, l.fuse);
        QuickTheory.qt().withExamples(30).forAll(SourceDSL.integers().between(0, 1000)).checkAssert(seed -> {
            Random g = new Random(seed);
            float[] x = new float[64];
            for (int round = 0; round < 3; round++) {
                for (int i = 0; i < 64; i++) x[i] = (float) g.nextGaussian();
                float[] all = new float[128];
                mat.multiply(x, all);
                int off = 0;
                int[] order = {2, 0, 1};
                for (int v : order) {
                    QuantizedLinear q = views.get(v);
                    float[] y = new float[q.outFeatures()];
                    q.forward(x, 0, y, 0);
                    int o2 = v == 0 ? 0 : v == 1 ? 64 : 96;
                    for (int i = 0; i < y.length; i++) assertEquals(all[o2 + i] * l.fuse[v], y[i], 1e-5 + 1e-5 * Math.abs(y[i]));
                }
            }
        });
    }
}
