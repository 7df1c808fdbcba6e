package dev.e8q.compare;

import dev.e8q.codec.ProxyLoss;
import dev.e8q.llama.Linear;
import dev.e8q.llama.model.DecoderBlock;
import dev.e8q.llama.model.DenseLinear;
import dev.e8q.llama.model.LinearGroup;
import dev.e8q.llama.model.LinearKind;
import dev.e8q.llama.model.LlamaModel;
import dev.e8q.convert.QuantizedLinear;
import java.util.List;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;

/**
 * The local objective of SPEC §5, measured after the fact and the same way for every method: for each decoder linear
 * (q, k, v, o, gate, up, down of every layer, each on its own) the proxy loss tr((Ŵ−W)H(Ŵ−W)ᵀ)/tr(WHWᵀ), where W is
 * the original weight, Ŵ the weight the compared model actually computes with (decoded from the reloaded checkpoint
 * for e8q rows, the dequantized matrix for RTN rows), and H = E[xxᵀ] of that linear's input in the <b>original</b>
 * model over the calibration windows, regularized as the encoder does (H/mean diag + 0.01·I).
 *
 * <p>This differs from the converter's reported proxy loss in two ways: it is per unfused linear (the converter scores
 * the stacked, per-piece RMS-normalized qkv and upgate matrices), and it is taken from the final weights, so
 * fine-tuning that moves Ŵ (sign vectors, later linears quantized from tuned dense weights) shows up here.
 */
final class LocalError {
    /** Damping of {@link ProxyLoss#regularizedHessian} (SPEC §5's σ). */
    static final double SIGMA = 0.01;

    private final LlamaModel reference;
    /** Unnormalized Σxxᵀ per layer and group (fp64). */
    private final DMatrixRMaj[][] sums;
    private final double[][][] regularized;

    private LocalError(LlamaModel reference, DMatrixRMaj[][] sums) {
        this.reference = reference;
        this.sums = sums;
        this.regularized = new double[sums.length][LinearGroup.values().length][];
        for (int l = 0; l < sums.length; l++)
            for (int g = 0; g < sums[l].length; g++) regularized[l][g] = ProxyLoss.regularizedHessian(sums[l][g], SIGMA);
    }

    /** Runs {@code reference} (dense, original weights) over the windows, accumulating Σxxᵀ of every linear group's input. */
    static LocalError collect(LlamaModel reference, List<int[]> windows) {
        int L = reference.config().nLayers();
        DMatrixRMaj[][] h = new DMatrixRMaj[L][LinearGroup.values().length];
        for (int[] w : windows) {
            reference.hiddenSequence(w, (layer, group, in, rows, cols) -> {
                DMatrixRMaj acc = h[layer][group.ordinal()];
                if (acc == null) h[layer][group.ordinal()] = acc = new DMatrixRMaj(cols, cols);
                DMatrixRMaj x = new DMatrixRMaj(rows, cols);
                for (int i = 0; i < rows * cols; i++) x.data[i] = in[i];
                CommonOps_DDRM.multAddTransA(x, x, acc);
            });
        }
        for (int l = 0; l < L; l++)
            for (int g = 0; g < h[l].length; g++)
                if (h[l][g] == null) throw new IllegalStateException("no input seen for layer " + l + " group " + LinearGroup.values()[g]);
        return new LocalError(reference, h);
    }

    /** Σxxᵀ of one layer's group input (unnormalized; the encoder normalizes it). Live matrix: do not modify. */
    DMatrixRMaj hessian(int layer, LinearGroup g) {
        return sums[layer][g.ordinal()];
    }

    /** Mean proxy loss over all decoder linears of {@code m} (same shapes and layout as the reference). */
    double meanProxyLoss(LlamaModel m) {
        return byKind(m).get("all");
    }

    /**
     * Mean proxy loss per linear kind over the layers (keys q, k, v, o, gate, up, down in {@link LinearKind} order) and
     * over all decoder linears (key "all").
     */
    java.util.Map<String, Double> byKind(LlamaModel m) {
        int K = LinearKind.values().length, L = m.config().nLayers();
        double[] sum = new double[K];
        for (int l = 0; l < L; l++) {
            DecoderBlock ref = reference.block(l), q = m.block(l);
            for (LinearKind k : LinearKind.values()) {
                Linear r = ref.linear(k), x = q.linear(k);
                float[] w = weights(r), what = weights(x);
                sum[k.ordinal()] += ProxyLoss.proxyLoss(w, what, r.outFeatures(), r.inFeatures(), regularized[l][k.group().ordinal()]);
            }
        }
        java.util.Map<String, Double> out = new java.util.LinkedHashMap<>();
        double all = 0;
        for (LinearKind k : LinearKind.values()) {
            out.put(k.name().toLowerCase(java.util.Locale.ROOT), sum[k.ordinal()] / L);
            all += sum[k.ordinal()];
        }
        out.put("all", all / (K * L));
        return out;
    }

    /** W (out × in, row-major) of any linear: stored weights when dense, decoded when quantized, else probed with I. */
    static float[] weights(Linear lin) {
        if (lin instanceof DenseLinear d) return d.weights();
        if (lin instanceof QuantizedLinear q) return q.decode();
        int in = lin.inFeatures(), out = lin.outFeatures();
        float[] eye = new float[in * in];
        for (int j = 0; j < in; j++) eye[j * in + j] = 1;
        float[] cols = new float[in * out];
        lin.forwardBatch(eye, cols, in);
        float[] w = new float[out * in];
        for (int j = 0; j < in; j++)
            for (int i = 0; i < out; i++) w[i * in + j] = cols[j * out + i];
        return w;
    }
}
