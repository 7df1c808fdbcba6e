package dev.e8q.convert;

import dev.e8q.codec.E8Matrix;
import dev.e8q.llama.io.DType;
import dev.e8q.llama.io.SafetensorsReader;
import dev.e8q.llama.io.SafetensorsWriter;
import java.io.IOException;
import java.nio.file.Path;
import java.util.function.Function;

/**
 * QuIP#'s tensor names, dtypes and codebook ids (SPEC §7), shared by the writer and the loader.
 * A quantized linear {@code P} (e.g. {@code model.layers.3.self_attn.qkv_proj}) is stored as
 * {@code P.Qidxs} (I64, (paddedRows, paddedCols/32·bits/2)), {@code P.SU} (F16, paddedCols), {@code P.SV}
 * (F16, paddedRows), {@code P.Wscale} (F16 scalar 1.0), {@code P.codebook_id} (I64 scalar) and, for fused
 * groups, {@code P.fuse_scales} (F16, pieces).
 */
public final class QuipFormat {
    private QuipFormat() {}

    public static final String QKV = "self_attn.qkv_proj", O = "self_attn.o_proj", UPGATE = "mlp.upgate_proj", DOWN = "mlp.down_proj";

    /** codebook_id of SPEC §7: 7 = E8P12 (2 bit), 18 = E8P12RVQ3B, 17 = E8P12RVQ4B. */
    public static long codebookId(int bits) {
        return switch (bits) {
            case 2 -> 7;
            case 3 -> 18;
            case 4 -> 17;
            default -> throw new IllegalArgumentException("bits must be 2, 3 or 4, got " + bits);
        };
    }

    public static int bitsOfCodebookId(long id) {
        if (id == 7) return 2;
        if (id == 18) return 3;
        if (id == 17) return 4;
        throw new IllegalArgumentException("unknown codebook_id " + id + " (known: 7 E8P12, 18 E8P12RVQ3B, 17 E8P12RVQ4B)");
    }

    public static String codebookName(int bits) {
        return switch (bits) {
            case 2 -> "E8P12";
            case 3 -> "E8P12RVQ3B";
            case 4 -> "E8P12RVQ4B";
            default -> throw new IllegalArgumentException("bits must be 2, 3 or 4, got " + bits);
        };
    }

    public static int bitsOfCodebookName(String name) {
        return switch (name) {
            case "E8P12" -> 2;
            case "E8P12RVQ3B" -> 3;
            case "E8P12RVQ4B" -> 4;
            default -> throw new IllegalArgumentException("unsupported codebook '" + name + "' (supported: E8P12, E8P12RVQ3B, E8P12RVQ4B)");
        };
    }

    /** quip_params.codebook_version: 1 for E8P12 and RVQ4B, 0 for RVQ3B (SPEC §7). */
    public static int codebookVersion(int bits) {
        return bits == 3 ? 0 : 1;
    }

    /** quip_params.packsz: 4, 8/3 or 2 codes... as QuIP# writes it. */
    public static double packsz(int bits) {
        return switch (bits) {
            case 2 -> 4;
            case 3 -> 8.0 / 3;
            default -> 2;
        };
    }

    /** fp16 round trip. */
    public static float fp16(float x) {
        return Float.float16ToFloat(Float.floatToFloat16(x));
    }

    public static float[] fp16(float[] a) {
        float[] o = new float[a.length];
        for (int i = 0; i < a.length; i++) o[i] = fp16(a[i]);
        return o;
    }

    /**
     * The matrix with SU and SV rounded to what fp16 storage keeps. They carry the matrix scale and the row/column
     * scales, so weights of extreme magnitude can overflow fp16's 65,504: that is an error naming {@code what} (e.g.
     * "layer 3 qkv") rather than an ∞ in a checkpoint.
     */
    public static E8Matrix roundSigns(E8Matrix m, String what) {
        float[] su = fp16(m.su()), sv = fp16(m.sv());
        for (float[] v : new float[][] {su, sv})
            for (float x : v)
                if (!Float.isFinite(x))
                    throw new IllegalArgumentException(what + ": a scale of " + (v == su ? "SU" : "SV")
                            + " does not fit in fp16 (|value| > 65504): the weights are too large for the QuIP# format");
        return m.withSignVectors(su, sv);
    }

    /** Declares the tensors of one quantized linear (fuseScales null for unfused). Values are rounded to fp16 on write. */
    public static void write(SafetensorsWriter w, String prefix, E8Matrix m, float[] fuseScales) {
        int pm = m.paddedRows(), pn = m.paddedCols();
        long[] q = m.qidxs();
        w.addI64(prefix + ".Qidxs", new long[] {pm, q.length / pm}, q);
        w.addF16(prefix + ".SU", new long[] {pn}, m.su());
        w.addF16(prefix + ".SV", new long[] {pm}, m.sv());
        w.addF16(prefix + ".Wscale", new long[] {}, new float[] {1f});
        w.addI64(prefix + ".codebook_id", new long[] {}, new long[] {codebookId(m.bits())});
        if (fuseScales != null) w.addF16(prefix + ".fuse_scales", new long[] {fuseScales.length}, fuseScales);
    }

    /** Rejects NaN and ±∞ (a corrupt or overflowed fp16 tensor would make every output NaN). */
    static void requireFinite(String name, float[] a) throws IOException {
        for (int i = 0; i < a.length; i++)
            if (!Float.isFinite(a[i])) throw new IOException("tensor " + name + " holds a non-finite value " + a[i] + " at index " + i);
    }

    /** One quantized linear as read from a checkpoint. fuseScales is null when the tensor is absent. */
    public record Stored(E8Matrix matrix, float[] fuseScales) {}

    /** Looks tensors up by name (several shards may hold them). */
    public interface Tensors {
        boolean has(String name);

        SafetensorsReader reader(String name);

        Path where(String name);
    }

    /**
     * Reads one quantized linear of logical shape rows × cols (the padded shape comes from SU/SV). {@code bits} is the
     * checkpoint's bit width (from quip_params); the tensor's codebook_id must agree. SV is multiplied by Wscale.
     */
    public static Stored read(Tensors t, String prefix, int rows, int cols, int bits, double residScale, int pieces)
            throws IOException {
        Function<String, String> n = s -> prefix + "." + s;
        for (String s : new String[] {"Qidxs", "SU", "SV"})
            if (!t.has(n.apply(s))) throw new IOException("quantized checkpoint has no tensor " + n.apply(s));
        float[] su = t.reader(n.apply("SU")).readFloats(n.apply("SU"));
        float[] sv = t.reader(n.apply("SV")).readFloats(n.apply("SV"));
        if (t.has(n.apply("codebook_id"))) {
            long[] id = t.reader(n.apply("codebook_id")).readLongs(n.apply("codebook_id"));
            if (id.length != 1) throw new IOException(n.apply("codebook_id") + " has " + id.length + " values, want 1");
            int b;
            try {
                b = bitsOfCodebookId(id[0]);
            } catch (IllegalArgumentException e) {
                throw new IOException(n.apply("codebook_id") + ": " + e.getMessage());
            }
            if (b != bits)
                throw new IOException(n.apply("codebook_id") + " = " + id[0] + " (" + b + " bits) but quip_params says " + bits + " bits");
        }
        if (t.has(n.apply("Wscale"))) {
            float[] ws = t.reader(n.apply("Wscale")).readFloats(n.apply("Wscale"));
            if (ws.length != 1) throw new IOException(n.apply("Wscale") + " has " + ws.length + " values, want 1");
            requireFinite(n.apply("Wscale"), ws);
            if (ws[0] != 1f) for (int i = 0; i < sv.length; i++) sv[i] *= ws[0];
        }
        SafetensorsReader qr = t.reader(n.apply("Qidxs"));
        long[] shape = qr.shape(n.apply("Qidxs"));
        if (qr.dtype(n.apply("Qidxs")) != DType.I64)
            throw new IOException(n.apply("Qidxs") + " has dtype " + qr.dtype(n.apply("Qidxs")) + ", want I64 (idx_dtype torch.int64)");
        long[] q = qr.readLongs(n.apply("Qidxs"));
        if (shape.length != 2 || shape[0] != sv.length)
            throw new IOException(n.apply("Qidxs") + " has shape " + java.util.Arrays.toString(shape) + ", want (" + sv.length + ", ...) to match SV");
        for (float v : su) if (!Float.isFinite(v)) throw new IOException(n.apply("SU") + " holds a non-finite value " + v);
        for (float v : sv) if (!Float.isFinite(v)) throw new IOException(n.apply("SV") + " holds a non-finite value " + v);
        E8Matrix m;
        try {
            m = E8Matrix.fromQidxs(rows, cols, bits, q, su, sv, residScale);
        } catch (IllegalArgumentException e) {
            throw new IOException(prefix + ": " + e.getMessage(), e);
        }
        float[] fs = null;
        if (pieces > 0) {
            if (!t.has(n.apply("fuse_scales"))) throw new IOException("fused linear " + prefix + " has no fuse_scales tensor");
            fs = t.reader(n.apply("fuse_scales")).readFloats(n.apply("fuse_scales"));
            if (fs.length != pieces) throw new IOException(n.apply("fuse_scales") + " has " + fs.length + " values, want " + pieces);
            requireFinite(n.apply("fuse_scales"), fs);
        }
        return new Stored(m, fs);
    }
}
