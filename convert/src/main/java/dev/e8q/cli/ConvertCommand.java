package dev.e8q.cli;

import dev.e8q.codec.ProgressListener;
import dev.e8q.convert.ConvertOptions;
import dev.e8q.convert.ConvertReport;
import dev.e8q.convert.Converter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code e8q convert}: quantize a Llama-class checkpoint to a QuIP#-layout 2/3/4-bit checkpoint directory. */
@Command(name = "convert", mixinStandardHelpOptions = true,
        description = {"Quantize a Llama-class model with QuIP# (E8P lattice codebooks, RHT, BlockLDLQ) and write a "
                + "QuIP#-compatible checkpoint directory (config.json with quip_params, model.safetensors, tokenizer, "
                + "report.json, activation_stats.json).",
                "Calibration: N windows of L tokens ([BOS] + L-1 tokens of the text's token stream; documents split at "
                        + "<|endoftext|>). Too short a text is an error.",
                "An interrupted run leaves OUT/.e8q-partial; rerun the same command with --resume to continue."})
public final class ConvertCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "llama2.c .bin or Hugging Face directory")
    Path model;

    @Option(names = "--bits", required = true, description = "2 (E8P12), 3 (E8P12RVQ3B) or 4 (E8P12RVQ4B)")
    int bits;

    @Option(names = "--calibration", required = true, description = "UTF-8 calibration text")
    Path calibration;

    @Option(names = "--out", required = true, description = "output directory (new or empty, or an interrupted run with --resume)")
    Path out;

    @Option(names = "--tokenizer", description = "tokenizer .bin (llama2.c) or tokenizer.json; default: found beside the model")
    Path tokenizer;

    @Option(names = "--samples", defaultValue = "128", description = "calibration windows N (default: ${DEFAULT-VALUE})")
    int samples;

    @Option(names = "--context", defaultValue = "256", description = "calibration window length L in tokens (default: ${DEFAULT-VALUE})")
    int context;

    @Option(names = "--seed", defaultValue = "0", description = "seed of the random Hadamard sign vectors (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--threads", description = "worker threads (default: all cores)")
    Integer threads;

    @Option(names = "--quantize-lm-head", description = "also quantize lm_head (Hessian of the final-normed hidden states)")
    boolean quantizeLmHead;

    @Option(names = "--resume", description = "continue an interrupted conversion in --out (same model, text and options)")
    boolean resume;

    @Option(names = "--finetune", defaultValue = "both", description = "none, block, e2e or both (default: ${DEFAULT-VALUE})")
    String finetune;

    @Option(names = "--ft-samples", defaultValue = "96", description = "fine-tuning sequences (1/3 held out for validation; default: ${DEFAULT-VALUE})")
    int ftSamples;

    @Option(names = "--ft-context", defaultValue = "256", description = "fine-tuning sequence length (default: ${DEFAULT-VALUE})")
    int ftContext;

    @Option(names = "--ft-epochs", defaultValue = "5", description = "maximum epochs of each tuning run (default: ${DEFAULT-VALUE})")
    int ftEpochs;

    @Option(names = "--ft-lr", defaultValue = "1e-3", description = "learning rate of dense weights and norms in block tuning; e2e uses a tenth (default: ${DEFAULT-VALUE})")
    double ftLr;

    @Option(names = "--ft-sign-lr", defaultValue = "1e-3", description = "learning rate of SU/SV (default: ${DEFAULT-VALUE})")
    double ftSignLr;

    @Option(names = "--refine-passes", defaultValue = "10", description = "greedy refinement passes after BlockLDLQ (default: ${DEFAULT-VALUE})")
    int refinePasses;

    @Option(names = "--scale-override", description = "ρ, the RMS the codebook sees (default: 1.03 / 0.98 / 1.03 for 2 / 3 / 4 bits)")
    Double rho;

    @Option(names = "--row-scale", defaultValue = "0.75", description = "exponent α of per-row scales ‖w_i‖^α stored in SV; "
            + "0 = plain QuIP# (default: ${DEFAULT-VALUE})")
    double rowScale;

    @Option(names = "--col-scale", defaultValue = "0.5", description = "exponent β of per-column scales (√H_jj/‖w_:j‖)^β "
            + "stored in SU; 0 = plain QuIP# (default: ${DEFAULT-VALUE})")
    double colScale;

    @Option(names = "--greedy-rvq", description = "4 bits: pick the two E8P codes of a block greedily, as QuIP# does, instead "
            + "of jointly (the default; lower error, slower rounding)")
    boolean greedyRvq;

    @Option(names = "--dense-dtype", defaultValue = "f16", description = "embedding, norms and unquantized lm_head: f16 (SPEC, default) or f32")
    String denseDtype;

    @Option(names = "--quiet", description = "no progress bars")
    boolean quiet;

    @Override
    public Integer call() throws Exception {
        Bar bar = new Bar();
        ConvertOptions o = ConvertOptions.builder(model, calibration, out).bits(bits).tokenizer(tokenizer).samples(samples)
                .context(context).seed(seed).threads(threads).quantizeLmHead(quantizeLmHead).resume(resume)
                .finetune(ConvertOptions.Finetune.parse(finetune)).ftSamples(ftSamples).ftContext(ftContext).ftEpochs(ftEpochs)
                .ftLr(ftLr).ftSignLr(ftSignLr).refinePasses(refinePasses).rho(rho == null ? Double.NaN : rho).rowScale(rowScale).colScale(colScale).jointRvq(!greedyRvq)
                .denseF32(switch (denseDtype.toLowerCase(Locale.ROOT)) {
                    case "f16", "fp16", "float16" -> false;
                    case "f32", "fp32", "float32" -> true;
                    default -> throw new IllegalArgumentException("--dense-dtype must be f16 or f32, got " + denseDtype);
                })
                .progress(quiet ? ProgressListener.NONE : bar).log(bar::log);
        ConvertReport r;
        try {
            r = Converter.convert(o);
        } finally {
            bar.finish(); // errors go to Main's handler, after the status line is closed
        }
        System.out.println("wrote " + out + ": " + r);
        return 0;
    }

    /**
     * Two-part status line on stderr: overall progress over the decoder layers with an ETA from the average layer
     * time, then the current step (calibration, each linear's encoding, block/e2e tuning) with its own bar and ETA.
     * Redrawn at most every 1/10 s.
     */
    static final class Bar implements ProgressListener {
        private final long start = System.nanoTime();
        private long last, layersDone = -1, layersTotal, taskStart;
        private String task = "";
        private int width;

        @Override
        public synchronized void update(String t, long done, long total) {
            long now = System.nanoTime();
            if (t.equals("layers")) {
                layersDone = done;
                layersTotal = total;
            } else if (!t.equals(task)) {
                task = t;
                taskStart = now;
            }
            if (done < total && now - last < 100_000_000L) return;
            last = now;
            StringBuilder sb = new StringBuilder();
            if (layersTotal > 0) {
                double el = (now - start) / 1e9;
                sb.append(String.format(Locale.ROOT, "layers %d/%d", layersDone, layersTotal));
                if (layersDone > 0 && layersDone < layersTotal)
                    sb.append(" ETA ").append(fmt(el / layersDone * (layersTotal - layersDone)));
                sb.append(" | ");
            }
            if (!t.equals("layers")) {
                int w = 24, filled = total <= 0 ? w : (int) (w * Math.min(done, total) / total);
                double el = (now - taskStart) / 1e9;
                sb.append(t).append(" [").append("#".repeat(filled)).append(".".repeat(w - filled)).append("] ")
                        .append(done).append('/').append(total);
                if (done > 0 && done < total) sb.append(" ETA ").append(fmt(el / done * (total - done)));
            }
            String s = sb.toString();
            int pad = Math.max(0, width - s.length());
            width = s.length();
            System.err.print("\r" + s + " ".repeat(pad));
        }

        synchronized void log(String msg) {
            System.err.print("\r" + " ".repeat(width) + "\r");
            width = 0;
            System.err.println(msg);
        }

        synchronized void finish() {
            if (width > 0) System.err.println();
            width = 0;
        }

        private static String fmt(double s) {
            long t = Math.round(s);
            return t >= 3600 ? String.format(Locale.ROOT, "%d:%02d:%02d", t / 3600, t / 60 % 60, t % 60)
                    : String.format(Locale.ROOT, "%d:%02d", t / 60, t % 60);
        }
    }
}
