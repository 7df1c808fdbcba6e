package dev.e8q.compare;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What {@link CompareRunner} measured.
 *
 * @param settings     the options (as in compare.json)
 * @param modelName    a short name of the compared model
 * @param evals        the eval texts, in column order
 * @param rows         the method rows (issue #4), FP first
 * @param finetuneRows the fine-tuning rows (issue #6): e8q at each bit width × none/block/e2e/both; empty when off
 * @param wallSeconds  wall time of the whole run
 */
public record CompareResult(Map<String, Object> settings, String modelName, List<Eval> evals, List<Row> rows, List<Row> finetuneRows,
                            double wallSeconds) {

    /** One eval text: display name, text tokens scored, windows run. */
    public record Eval(String name, String path, long tokens, int windows) {
        Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", name);
            m.put("path", path);
            m.put("tokens", tokens);
            m.put("windows", windows);
            return m;
        }
    }

    /**
     * One compared model.
     *
     * @param id              stable identifier (e.g. {@code rtn-zp-g64-3}, {@code e8q-2-both})
     * @param method          what the row is, for the table
     * @param bits            nominal bit width (32 for the FP row)
     * @param finetune        none/block/e2e/both for e8q rows, "-" otherwise
     * @param lmHeadQuantized whether lm_head is quantized too
     * @param bitsPerWeight   stored bits of the quantized linears per weight (scales, sign vectors included)
     * @param sizeBytes       model size as stored (see docs/compare.md for what each row counts)
     * @param localError      mean post-hoc proxy loss over the decoder linears ({@link LocalError}); 0 for FP
     * @param localErrorByKind the same per linear kind (q, k, v, o, gate, up, down: mean over layers)
     * @param reportProxyLoss mean proxy loss of the converter's report (fused linears, before tuning); NaN when no report
     * @param tuneValAfter    mean block-tuning validation MSE after tuning (converter report); NaN when no block tuning
     * @param meanNll         mean NLL per eval text (nats/token), eval column order
     * @param perplexity      exp(meanNll) per eval text
     * @param divergence      mean first-difference index of greedy continuations against FP (≤ genTokens)
     * @param fullAgreement   prompts whose continuation agrees with FP's on all genTokens tokens
     * @param quantizeSeconds wall time to produce the model (conversion incl. writing; RTN / no-E8 quantization)
     * @param evalSeconds     wall time of perplexity and generation
     */
    public record Row(String id, String method, int bits, String finetune, boolean lmHeadQuantized, double bitsPerWeight, long sizeBytes,
                      double localError, Map<String, Double> localErrorByKind, double reportProxyLoss, double tuneValAfter, List<Double> meanNll, List<Double> perplexity,
                      double divergence, int fullAgreement, double quantizeSeconds, double evalSeconds) {
        Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", id);
            m.put("method", method);
            m.put("bits", bits);
            m.put("finetune", finetune);
            m.put("lm_head_quantized", lmHeadQuantized);
            m.put("bits_per_weight", num(bitsPerWeight));
            m.put("size_bytes", sizeBytes);
            m.put("local_error", num(localError));
            Map<String, Object> bk = new LinkedHashMap<>();
            localErrorByKind.forEach((k, v) -> bk.put(k, num(v)));
            m.put("local_error_by_kind", bk);
            m.put("report_mean_proxy_loss", num(reportProxyLoss));
            m.put("block_tune_val_mse_after", num(tuneValAfter));
            m.put("mean_nll", meanNll.stream().map(CompareResult::num).toList());
            m.put("perplexity", perplexity.stream().map(CompareResult::num).toList());
            m.put("divergence", num(divergence));
            m.put("full_agreement", fullAgreement);
            m.put("quantize_seconds", num(quantizeSeconds));
            m.put("eval_seconds", num(evalSeconds));
            return m;
        }
    }

    /** All rows: FP and methods first, then the fine-tuning rows. */
    public List<Row> allRows() {
        List<Row> a = new ArrayList<>(rows);
        a.addAll(finetuneRows);
        return a;
    }

    /** The row with this id. */
    public Row row(String id) {
        return allRows().stream().filter(r -> r.id().equals(id)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no row " + id));
    }

    Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("model_name", modelName);
        m.put("settings", settings);
        m.put("evals", evals.stream().map(Eval::toMap).toList());
        m.put("rows", rows.stream().map(Row::toMap).toList());
        m.put("finetune_rows", finetuneRows.stream().map(Row::toMap).toList());
        m.put("wall_seconds", wallSeconds);
        return m;
    }

    static Object num(double d) {
        return Double.isFinite(d) ? (Object) d : null;
    }
}
