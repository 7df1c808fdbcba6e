package dev.e8q.convert;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a conversion did (also written as {@code report.json}).
 *
 * @param linears          one entry per quantized (possibly fused) linear, in conversion order
 * @param bitsPerWeight    stored bits of the quantized linears (codes of the padded matrices + fp16 SU/SV/scales) per
 *                         logical weight
 * @param quantizedWeights logical weights in quantized linears
 * @param modelBytes       size of the written model.safetensors
 * @param sourceBytes      size of the source checkpoint's weight file(s)
 * @param wallSeconds      wall time of this run (a resumed run counts only its own time)
 * @param peakHeapBytes    sum over heap memory pools of their peak usage during the run (an upper bound of the peak)
 * @param resumedLayers    decoder layers taken from the work directory of an earlier, interrupted run
 * @param e2e              summary of end-to-end tuning, or null when it did not run
 */
public record ConvertReport(Path out, List<LinearReport> linears, double bitsPerWeight, long quantizedWeights, long modelBytes,
                            long sourceBytes, double wallSeconds, long peakHeapBytes, int resumedLayers, String e2e) {

    /**
     * One quantized linear. proxyLoss = tr(ΔHΔᵀ)/tr(WHWᵀ) and relativeError = ‖Δ‖²/‖W‖² of the encoder (SPEC §5, before
     * fine-tuning, W the per-piece RMS-normalized matrix); rho = the ρ used (searched or given); tuneBefore/tuneAfter = the block tuner's validation MSE
     * after this linear was quantized, before and after tuning (NaN when no tuning ran).
     */
    public record LinearReport(int layer, String name, int rows, int cols, int paddedRows, int paddedCols, double proxyLoss,
                               double rho, double relativeError, double damping, boolean dampingIncreased, double seconds,
                               double tuneBefore, double tuneAfter) {
        Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("layer", layer);
            m.put("name", name);
            m.put("shape", List.of(rows, cols));
            m.put("padded_shape", List.of(paddedRows, paddedCols));
            m.put("proxy_loss", num(proxyLoss));
            m.put("rho", num(rho));
            m.put("relative_error", num(relativeError));
            m.put("damping", num(damping));
            m.put("damping_increased", dampingIncreased);
            m.put("seconds", seconds);
            m.put("block_tune_val_before", num(tuneBefore));
            m.put("block_tune_val_after", num(tuneAfter));
            return m;
        }

        static LinearReport fromMap(Map<?, ?> m) {
            List<?> s = (List<?>) m.get("shape"), p = (List<?>) m.get("padded_shape");
            return new LinearReport(((Number) m.get("layer")).intValue(), (String) m.get("name"), ((Number) s.get(0)).intValue(),
                    ((Number) s.get(1)).intValue(), ((Number) p.get(0)).intValue(), ((Number) p.get(1)).intValue(),
                    d(m.get("proxy_loss")), d(m.get("rho")), d(m.get("relative_error")), d(m.get("damping")), (Boolean) m.get("damping_increased"),
                    d(m.get("seconds")), d(m.get("block_tune_val_before")), d(m.get("block_tune_val_after")));
        }
    }

    private static Object num(double d) {
        return Double.isFinite(d) ? d : null;
    }

    private static double d(Object o) {
        return o == null ? Double.NaN : ((Number) o).doubleValue();
    }

    /** report.json content. */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("linears", linears.stream().map(LinearReport::toMap).toList());
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("bits_per_weight", bitsPerWeight);
        t.put("quantized_weights", quantizedWeights);
        t.put("model_safetensors_bytes", modelBytes);
        t.put("source_bytes", sourceBytes);
        t.put("wall_seconds", wallSeconds);
        t.put("peak_heap_bytes", peakHeapBytes);
        t.put("resumed_layers", resumedLayers);
        double proxy = 0;
        int np = 0;
        for (LinearReport r : linears) if (Double.isFinite(r.proxyLoss())) { proxy += r.proxyLoss(); np++; }
        t.put("mean_proxy_loss", np == 0 ? null : proxy / np);
        if (e2e != null) t.put("e2e", e2e);
        m.put("totals", t);
        return m;
    }

    @Override
    public String toString() {
        return String.format(java.util.Locale.ROOT, "%d quantized linears, %.3f bits/weight, model.safetensors %d bytes (source %d), %.1f s, peak heap %.1f MiB%s",
                linears.size(), bitsPerWeight, modelBytes, sourceBytes, wallSeconds, peakHeapBytes / 1048576.0,
                resumedLayers > 0 ? ", " + resumedLayers + " layers resumed" : "");
    }
}
