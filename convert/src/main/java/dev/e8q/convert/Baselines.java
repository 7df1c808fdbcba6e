package dev.e8q.convert;

import dev.e8q.codec.RtnQuantizer;
import dev.e8q.llama.Linear;
import dev.e8q.llama.WeightSource;
import dev.e8q.llama.io.Checkpoints;
import dev.e8q.llama.model.DType;
import dev.e8q.llama.model.DecoderBlock;
import dev.e8q.llama.model.DenseLinear;
import dev.e8q.llama.model.LinearKind;
import dev.e8q.llama.model.LlamaModel;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;

/**
 * Comparison models for {@code e8q compare} and the tests: the dense source in the converter's layout, round-to-nearest
 * baselines of it, and the dense equivalent of a quantized model.
 */
public final class Baselines {
    private Baselines() {}

    /** The source model exactly as the converter sees it (Hugging Face RoPE layout, NaN-checked), dense F32. */
    public static LlamaModel dense(Path model) throws IOException {
        try (WeightSource ws = new HfLayoutSource(Checkpoints.open(model))) {
            return LlamaModel.load(ws, DType.F32);
        }
    }

    /**
     * A copy of {@code dense} whose seven decoder linears per block (each on its own, unfused) are replaced by their
     * RTN-dequantized weights; embeddings, norms and lm_head unchanged. Example: {@code rtn(m, RtnQuantizer.perGroup(
     * RtnQuantizer.Scheme.ASYMMETRIC, 2, 64))}.
     */
    public static LlamaModel rtn(LlamaModel dense, RtnQuantizer q) {
        return mapLinears(dense, (k, l) -> {
            float[] w = ((DenseLinear) l).weights();
            return DenseLinear.of(q.quantize(w, l.outFeatures(), l.inFeatures()).dequantized(), l.outFeatures(), l.inFeatures(), DType.F32);
        });
    }

    /** The same model with every {@link QuantizedLinear} (lm_head included) replaced by a dense F32 linear of its decoded Ŵ. */
    public static LlamaModel decodedDense(LlamaModel quantized) {
        LlamaModel m = mapLinears(quantized, (k, l) -> l instanceof QuantizedLinear q
                ? DenseLinear.of(q.decode(), q.outFeatures(), q.inFeatures(), DType.F32) : l);
        if (m.lmHead() instanceof QuantizedLinear q) m.setLmHead(DenseLinear.of(q.decode(), q.outFeatures(), q.inFeatures(), DType.F32));
        return m;
    }

    /** Maps each decoder linear; builds new blocks (the input model is not changed; arrays of norms are shared). */
    public static LlamaModel mapLinears(LlamaModel m, java.util.function.BiFunction<LinearKind, Linear, Linear> f) {
        List<DecoderBlock> blocks = new ArrayList<>();
        for (DecoderBlock b : m.blocks()) {
            EnumMap<LinearKind, Linear> lin = new EnumMap<>(LinearKind.class);
            for (LinearKind k : LinearKind.values()) lin.put(k, f.apply(k, b.linear(k)));
            blocks.add(new DecoderBlock(b.layer(), b.config(), b.rope(), b.attnNorm(), b.ffnNorm(), lin, b.bias(LinearKind.Q),
                    b.bias(LinearKind.K), b.bias(LinearKind.V)));
        }
        return new LlamaModel(m.config(), m.embedding(), blocks, m.finalNorm(), m.lmHead());
    }
}
