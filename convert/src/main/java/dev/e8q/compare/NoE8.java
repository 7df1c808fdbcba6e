package dev.e8q.compare;

import dev.e8q.codec.E8Codec;
import dev.e8q.codec.E8Matrix;
import dev.e8q.codec.EncodeResult;
import dev.e8q.convert.Converter;
import dev.e8q.convert.FusedPieces;
import dev.e8q.convert.QuipFormat;
import dev.e8q.hadamard.Hadamard;
import dev.e8q.llama.model.DType;
import dev.e8q.llama.model.DecoderBlock;
import dev.e8q.llama.model.DenseLinear;
import dev.e8q.llama.model.LinearGroup;
import dev.e8q.llama.model.LinearKind;
import dev.e8q.llama.model.LlamaModel;
import java.util.EnumMap;
import java.util.Map;

/**
 * The paper's "no E8" ablation (SPEC §8): the same pipeline as {@code e8q convert} (fused qkv and upgate with fp16
 * per-piece RMS scales, RHT with random signs, BlockLDLQ with 10 refinement passes and the same Hessians, the same
 * per-linear ρ search over {1, 0.875, 0.75, 0.625} × default, fp16 SU/SV) but with the 1-D half-integer grid
 * instead of the E8P codebook. There is no QuIP# file format for it, so the decoded Ŵ is evaluated in memory as dense
 * F32 linears; its storage is counted as codes + fp16 SU/SV/Wscale/fuse scales, as for e8q.
 */
final class NoE8 {
    /** The quantized model, its bits per weight (linears only) and the stored bits of its linears. */
    record Result(LlamaModel model, double bitsPerWeight, long linearBits) {}

    private NoE8() {}

    static Result quantize(LlamaModel dense, LocalError hessians, int bits, long seed) {
        var c = dense.config();
        Map<Integer, EnumMap<LinearKind, float[]>> decoded = new java.util.HashMap<>();
        long[] totals = new long[2]; // stored bits, logical weights
        for (int l = 0; l < c.nLayers(); l++) {
            DecoderBlock b = dense.block(l);
            EnumMap<LinearKind, float[]> out = new EnumMap<>(LinearKind.class);
            fused(b, l, new LinearKind[] {LinearKind.Q, LinearKind.K, LinearKind.V}, hessians, bits, seed, 0, out, totals);
            fused(b, l, new LinearKind[] {LinearKind.O}, hessians, bits, seed, 1, out, totals);
            fused(b, l, new LinearKind[] {LinearKind.UP, LinearKind.GATE}, hessians, bits, seed, 2, out, totals);
            fused(b, l, new LinearKind[] {LinearKind.DOWN}, hessians, bits, seed, 3, out, totals);
            decoded.put(l, out);
        }
        LlamaModel m = Models.withLinears(dense,
                (l, k, lin) -> DenseLinear.of(decoded.get(l).get(k), lin.outFeatures(), lin.inFeatures(), DType.F32));
        return new Result(m, (double) totals[0] / totals[1], totals[0]);
    }

    private static void fused(DecoderBlock b, int layer, LinearKind[] kinds, LocalError hessians, int bits, long seed, int slot,
                              EnumMap<LinearKind, float[]> out, long[] totals) {
        int cols = b.linear(kinds[0]).inFeatures();
        float[][] pieces = new float[kinds.length][];
        for (int i = 0; i < kinds.length; i++) pieces[i] = ((DenseLinear) b.linear(kinds[i])).weights();
        FusedPieces f = FusedPieces.stack(pieces, cols);
        int rows = f.rows();
        float[] scale = f.scales();
        LinearGroup g = kinds[0].group();
        EncodeResult r = E8Codec.encoder().bits(bits).noE8(true).seed(seed * 1_000_003L + layer * 8L + slot)
                .hessian(hessians.hessian(layer, g)).rhoSearch(Converter.RHO_FACTORS)
                .rowScaleExponent(dev.e8q.convert.ConvertOptions.DEFAULT_ROW_SCALE)
                .columnScaleExponent(dev.e8q.convert.ConvertOptions.DEFAULT_COL_SCALE).encodeWithReport(f.weights(), rows, cols);
        E8Matrix m = QuipFormat.roundSigns(r.matrix(), "no-E8 layer " + layer);
        int off = 0;
        float[] dec = m.decodeRowMajor();
        for (int i = 0; i < kinds.length; i++) {
            int n = b.linear(kinds[i]).outFeatures() * cols;
            float[] p = new float[n];
            for (int j = 0; j < n; j++) p[j] = dec[off + j] * scale[i];
            out.put(kinds[i], p);
            off += n;
        }
        int pr = Hadamard.paddedSize(rows, 16), pc = Hadamard.paddedSize(cols, 64);
        // codes + fp16 SU, SV, Wscale, codebook id (as QuIP# stores them) + fp16 fuse scales when fused
        totals[0] += (long) pr * pc * bits + 16L * (pr + pc + 2) + (kinds.length > 1 ? 16L * kinds.length : 0);
        totals[1] += (long) rows * cols;
    }
}
