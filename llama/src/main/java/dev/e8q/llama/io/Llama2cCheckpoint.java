package dev.e8q.llama.io;

import dev.e8q.llama.LlamaConfig;
import dev.e8q.llama.WeightSource;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A llama2.c legacy ("version 0") checkpoint: a header of 7 little-endian int32
 * (dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len) followed by float32 arrays
 * stacked over layers. A negative vocab_size means the classifier {@code wcls} is stored separately
 * after the (unused) RoPE frequency tables; otherwise it is tied to the token embedding.
 *
 * <p>Tensors are exposed under Hugging Face names so the model code sees one naming scheme. The file
 * is memory-mapped; {@link #read} copies one tensor. Note llama2.c's q/k rows use the interleaved RoPE
 * layout, hence {@code ropeInterleaved = true} in the config (see {@link ExportHf} for the permutation
 * to Hugging Face's layout).
 */
public final class Llama2cCheckpoint implements WeightSource {
    static final int HEADER_BYTES = 7 * Integer.BYTES;
    /** "ak42" little-endian: the header of llama2.c's newer (version 1 and 2) export formats. */
    static final int LLAMA2C_V1_MAGIC = 0x616b3432;
    /** Larger than any real model's dimensions, small enough that size arithmetic cannot overflow. */
    private static final int MAX_DIM = 1 << 24;

    private final MappedFile file;
    private final LlamaConfig config;
    private final Map<String, TensorSlot> tensors;

    /** Byte offset and shape of one tensor inside the file. */
    private record TensorSlot(long offset, long[] shape) {
        long count() {
            long n = 1;
            for (long d : shape) n *= d;
            return n;
        }
    }

    /** Lays tensors out one after another from the end of the header, as llama2.c's memory_map_weights does. */
    private static final class Layout {
        final Map<String, TensorSlot> tensors = new LinkedHashMap<>();
        long cursor = HEADER_BYTES;

        void add(String name, long... shape) {
            TensorSlot slot = new TensorSlot(cursor, shape);
            tensors.put(name, slot);
            cursor += slot.count() * Float.BYTES;
        }

        /** A [layers][shape] array: layer i is tensor {@code pattern} with {i} replaced. */
        void stacked(String pattern, int layers, long... shape) {
            for (int i = 0; i < layers; i++) add(pattern.replace("{i}", Integer.toString(i)), shape);
        }

        void skipFloats(long n) {
            cursor += n * Float.BYTES;
        }
    }

    private Llama2cCheckpoint(MappedFile file, LlamaConfig config, Map<String, TensorSlot> tensors) {
        this.file = file;
        this.config = config;
        this.tensors = tensors;
    }

    public static Llama2cCheckpoint open(Path path) throws IOException {
        MappedFile f = MappedFile.open(path);
        try {
            return parse(f);
        } catch (IOException | RuntimeException e) {
            f.close();
            throw e;
        }
    }

    private static Llama2cCheckpoint parse(MappedFile f) throws CheckpointFormatException {
        Path path = f.path();
        if (f.size() < HEADER_BYTES) {
            throw new CheckpointFormatException(path, "llama2.c checkpoint is " + f.size()
                    + " bytes, shorter than its 28-byte header (truncated or not a llama2.c .bin file)");
        }
        if (f.int32(0) == LLAMA2C_V1_MAGIC) {
            throw new CheckpointFormatException(path, "llama2.c export version " + f.int32(4)
                    + " (magic 'ak42') is not supported; export with --version 0 (legacy) instead");
        }
        int dim = f.int32(0), hidden = f.int32(4), layers = f.int32(8), heads = f.int32(12);
        int kvHeads = f.int32(16), vocabRaw = f.int32(20), seqLen = f.int32(24);
        String header = "dim=" + dim + " hidden_dim=" + hidden + " n_layers=" + layers + " n_heads=" + heads
                + " n_kv_heads=" + kvHeads + " vocab_size=" + vocabRaw + " seq_len=" + seqLen;
        boolean shared = vocabRaw > 0;
        long vocabLong = Math.abs((long) vocabRaw);
        for (long v : new long[] {dim, hidden, layers, heads, kvHeads, vocabLong, seqLen}) {
            if (v <= 0 || v > MAX_DIM) {
                throw new CheckpointFormatException(path, "implausible llama2.c header (" + header
                        + "): every value must be in 1.." + MAX_DIM + " (is this a llama2.c version-0 .bin?)");
            }
        }
        int vocab = (int) vocabLong;
        if (vocab < 3) {
            // llama2.c's ids are fixed: 0 = <unk>, 1 = BOS, 2 = EOS
            throw new CheckpointFormatException(path, "llama2.c header (" + header + "): vocab_size " + vocabRaw
                    + " cannot hold llama2.c's fixed <unk>/BOS/EOS ids 0, 1, 2");
        }
        if (dim % heads != 0 || heads % kvHeads != 0) {
            throw new CheckpointFormatException(path, "inconsistent llama2.c header (" + header
                    + "): dim must be a multiple of n_heads and n_heads a multiple of n_kv_heads");
        }
        int headDim = dim / heads;
        if (headDim % 2 != 0) {
            throw new CheckpointFormatException(path, "head size " + headDim + " is odd; RoPE needs pairs (" + header + ")");
        }
        long kvDim = (long) kvHeads * headDim;

        // Size check first, in closed form: a lying header (say 16M layers) must not make us build the layout.
        long expected;
        try {
            expected = expectedBytes(dim, hidden, layers, kvDim, vocab, seqLen, headDim, shared);
        } catch (ArithmeticException e) {
            throw new CheckpointFormatException(path, "llama2.c header (" + header + ") implies more than 2^63 bytes");
        }
        if (f.size() != expected) {
            throw new CheckpointFormatException(path, "llama2.c header (" + header + ") implies " + expected
                    + " bytes but the file has " + f.size()
                    + (f.size() < expected ? " (truncated?)" : " (trailing data: header wrong or not version 0)"));
        }
        Layout l = new Layout();
        lay(l, dim, hidden, layers, kvDim, vocab, seqLen, headDim, shared);
        if (l.cursor != expected) throw new IllegalStateException("layout " + l.cursor + " != size formula " + expected);
        Map<String, TensorSlot> t = l.tensors;
        LlamaConfig config = new LlamaConfig("llama2c", dim, hidden, layers, heads, kvHeads, headDim, vocab,
                seqLen, 1e-5f, 10000f, null, true, shared, false, 1, 2);
        return new Llama2cCheckpoint(f, config, Collections.unmodifiableMap(t));
    }

    private static long expectedBytes(long dim, long hidden, long layers, long kvDim, long vocab, long seqLen,
            long headDim, boolean shared) {
        long perLayer = Math.addExact(Math.addExact(2 * dim, Math.multiplyExact(2 * dim, dim)),
                Math.addExact(Math.multiplyExact(2 * kvDim, dim), Math.multiplyExact(3 * hidden, dim)));
        long floats = Math.multiplyExact(vocab, dim) * (shared ? 1 : 2);
        floats = Math.addExact(floats, Math.multiplyExact(layers, perLayer));
        floats = Math.addExact(floats, dim + seqLen * headDim); // final norm + both freq_cis tables
        return Math.addExact(HEADER_BYTES, Math.multiplyExact(floats, (long) Float.BYTES));
    }

    private static void lay(Layout l, int dim, int hidden, int layers, long kvDim, int vocab, int seqLen, int headDim,
            boolean shared) {
        String p = "model.layers.{i}.";
        l.add("model.embed_tokens.weight", vocab, dim);
        l.stacked(p + "input_layernorm.weight", layers, dim);
        l.stacked(p + "self_attn.q_proj.weight", layers, dim, dim);
        l.stacked(p + "self_attn.k_proj.weight", layers, kvDim, dim);
        l.stacked(p + "self_attn.v_proj.weight", layers, kvDim, dim);
        l.stacked(p + "self_attn.o_proj.weight", layers, dim, dim);
        l.stacked(p + "post_attention_layernorm.weight", layers, dim);
        l.stacked(p + "mlp.gate_proj.weight", layers, hidden, dim); // w1
        l.stacked(p + "mlp.down_proj.weight", layers, dim, hidden); // w2
        l.stacked(p + "mlp.up_proj.weight", layers, hidden, dim);   // w3
        l.add("model.norm.weight", dim);
        // freq_cis_real and freq_cis_imag: seq_len × head_size/2 each, unused (RoPE is recomputed).
        l.skipFloats(2L * seqLen * (headDim / 2));
        if (shared) {
            l.tensors.put("lm_head.weight", l.tensors.get("model.embed_tokens.weight"));
        } else {
            l.add("lm_head.weight", vocab, dim); // wcls
        }
    }

    public Path path() {
        return file.path();
    }

    @Override
    public LlamaConfig config() {
        return config;
    }

    @Override
    public List<String> names() {
        return new ArrayList<>(tensors.keySet());
    }

    @Override
    public boolean has(String name) {
        return tensors.containsKey(name);
    }

    @Override
    public long[] shape(String name) {
        return slot(name).shape().clone();
    }

    @Override
    public float[] read(String name) throws IOException {
        TensorSlot s = slot(name);
        long n = s.count();
        if (n > Integer.MAX_VALUE - 8) {
            throw new CheckpointFormatException(file.path(), "tensor " + name + " has " + n
                    + " elements, too many for one float[]");
        }
        return file.floats(s.offset(), (int) n);
    }

    private TensorSlot slot(String name) {
        TensorSlot s = tensors.get(name);
        if (s == null) {
            throw new IllegalArgumentException(file.path() + ": no tensor named '" + name + "' in llama2.c checkpoint");
        }
        return s;
    }

    @Override
    public void close() {
        file.close();
    }
}
