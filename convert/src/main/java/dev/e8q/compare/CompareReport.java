package dev.e8q.compare;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** compare.md and compare.json, each written to a temporary file in the same directory and renamed over the target. */
public final class CompareReport {
    public static final String MARKDOWN = "compare.md", JSON = "compare.json";
    private static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private CompareReport() {}

    public static void write(CompareResult r, Path dir) throws IOException {
        Files.createDirectories(dir);
        dev.e8q.llama.io.AtomicFiles.write(dir.resolve(JSON), MAPPER.writeValueAsBytes(r.toMap()));
        dev.e8q.llama.io.AtomicFiles.write(dir.resolve(MARKDOWN), markdown(r).getBytes(StandardCharsets.UTF_8));
    }
    /** Both tables with a header that states the settings. */
    public static String markdown(CompareResult r) {
        Map<String, Object> s = r.settings();
        StringBuilder b = new StringBuilder();
        b.append("## ").append(r.modelName()).append("\n\n");
        b.append(String.format(Locale.ROOT,
                "Calibration: %s windows x %s tokens of `%s`. Perplexity: first %s text tokens of each eval text (CRLF -> LF), "
                        + "non-overlapping windows of %s tokens ([BOS] + %s). Divergence: mean number of greedy tokens before the "
                        + "first one that differs from FP's greedy continuation, %s prompts (first %s words of paragraphs of `%s`), "
                        + "cap %s. Threads %s. Wall time of the whole run %.0f s.%n%n",
                s.get("samples"), s.get("context"), fileName(s.get("calibration")), s.get("eval_tokens"), s.get("eval_context"),
                "L-1", s.get("prompts"), s.get("prompt_words"), fileName(((List<?>) s.get("eval")).get(0)), s.get("gen_tokens"),
                s.get("threads"), r.wallSeconds()));
        int g = ((Number) s.get("gen_tokens")).intValue();
        b.append("| method | bits/weight | size (bytes) | local error |");
        for (CompareResult.Eval e : r.evals()) b.append(" ppl ").append(e.name()).append(" |");
        b.append(" divergence (of ").append(g).append(") | time (s) |\n|---|---:|---:|---:|");
        b.append("---:|".repeat(r.evals().size())).append("---:|---:|\n");
        for (CompareResult.Row row : r.rows()) {
            b.append("| ").append(row.method()).append(" | ").append(fmt("%.3f", row.bitsPerWeight())).append(" | ")
                    .append(String.format(Locale.ROOT, "%,d", row.sizeBytes())).append(" | ").append(fmt("%.3g", row.localError())).append(" |");
            for (double p : row.perplexity()) b.append(' ').append(fmt("%.3f", p)).append(" |");
            b.append(' ').append(fmt("%.1f", row.divergence())).append(" | ").append(fmt("%.1f", row.quantizeSeconds())).append(" |\n");
        }
        if (!r.finetuneRows().isEmpty()) {
            b.append("\nFine-tuning stages (e8q, ").append(s.get("ft_samples") == null ? "converter default" : s.get("ft_samples"))
                    .append(" fine-tuning windows of ").append(s.get("ft_context") == null ? "default" : s.get("ft_context"))
                    .append(" tokens, at most ").append(s.get("ft_epochs") == null ? "default" : s.get("ft_epochs")).append(" epochs per stage):\n\n");
            b.append("| bits | fine-tuning | proxy loss (report) | block-tune val MSE | local error (final) |");
            for (CompareResult.Eval e : r.evals()) b.append(" ppl ").append(e.name()).append(" |");
            b.append(" divergence (of ").append(g).append(") | convert wall (s) |\n|---:|---|---:|---:|---:|");
            b.append("---:|".repeat(r.evals().size())).append("---:|---:|\n");
            for (CompareResult.Row row : r.finetuneRows()) {
                b.append("| ").append(row.bits()).append(" | ").append(row.finetune()).append(" | ").append(fmt("%.3g", row.reportProxyLoss()))
                        .append(" | ").append(fmt("%.3g", row.tuneValAfter())).append(" | ").append(fmt("%.3g", row.localError())).append(" |");
                for (double p : row.perplexity()) b.append(' ').append(fmt("%.3f", p)).append(" |");
                b.append(' ').append(fmt("%.1f", row.divergence())).append(" | ").append(fmt("%.1f", row.quantizeSeconds())).append(" |\n");
            }
        }
        b.append("\nLocal error by linear kind (mean over layers of tr(ΔHΔᵀ)/tr(WHWᵀ), final weights):\n\n| method |");
        List<String> kinds = r.rows().get(0).localErrorByKind().keySet().stream().filter(k -> !k.equals("all")).toList();
        for (String k : kinds) b.append(' ').append(k).append(" |");
        b.append("\n|---|").append("---:|".repeat(kinds.size())).append('\n');
        java.util.Set<String> done = new java.util.HashSet<>(List.of("fp"));
        for (CompareResult.Row row : r.allRows()) {
            if (!done.add(row.id())) continue;
            b.append("| ").append(row.method()).append(" |");
            for (String k : kinds) b.append(' ').append(fmt("%.3g", row.localErrorByKind().get(k))).append(" |");
            b.append('\n');
        }
        return b.toString();
    }

    private static String fmt(String f, double v) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, f, v) : "–";
    }

    private static String fileName(Object path) {
        return Path.of(String.valueOf(path)).getFileName().toString();
    }
}
