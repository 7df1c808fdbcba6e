package dev.e8q.cli;

import dev.e8q.compare.CompareOptions;
import dev.e8q.compare.CompareReport;
import dev.e8q.compare.CompareResult;
import dev.e8q.compare.CompareRunner;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code e8q compare}: every quantization method of issue #4 (and the fine-tuning stages of issue #6) on one model. */
@Command(name = "compare", mixinStandardHelpOptions = true,
        description = {"Quantize a model with FP / RTN / no-E8 / e8q (2-4 bits, lm_head, fine-tuning stages), evaluate each the same way, "
                + "print a Markdown table and write compare.md + compare.json.",
                "e8q rows are converted with e8q convert and evaluated from the checkpoint as written and reloaded."})
public final class CompareCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "llama2.c .bin or Hugging Face directory")
    Path model;

    @Option(names = "--calibration", required = true, description = "calibration text (Hessians of e8q and no-E8, local error)")
    Path calibration;

    @Option(names = "--eval", required = true, description = "evaluation text; repeat for more columns")
    List<Path> evals;

    @Option(names = "--tokenizer", description = "tokenizer .bin or tokenizer.json; default: found beside the model")
    Path tokenizer;

    @Option(names = "--out", description = "directory for compare.md, compare.json and the e8q checkpoints (default: print only)")
    Path out;

    @Option(names = "--samples", defaultValue = "128", description = "calibration windows (default: ${DEFAULT-VALUE})")
    int samples;

    @Option(names = "--context", defaultValue = "256", description = "calibration window length (default: ${DEFAULT-VALUE})")
    int context;

    @Option(names = "--eval-context", defaultValue = "256", description = "perplexity window length incl. BOS (default: ${DEFAULT-VALUE})")
    int evalContext;

    @Option(names = "--eval-tokens", defaultValue = "16384", description = "text tokens scored per eval text (default: ${DEFAULT-VALUE})")
    long evalTokens;

    @Option(names = "--prompts", defaultValue = "20", description = "generation prompts (default: ${DEFAULT-VALUE})")
    int prompts;

    @Option(names = "--prompt-words", defaultValue = "4", description = "words per prompt (default: ${DEFAULT-VALUE})")
    int promptWords;

    @Option(names = "--prompts-from", description = "text the prompts come from (default: the first --eval)")
    Path promptsFrom;

    @Option(names = "--gen-tokens", defaultValue = "64", description = "greedy tokens per prompt (default: ${DEFAULT-VALUE})")
    int genTokens;

    @Option(names = "--no-e8-bits", split = ",", defaultValue = "2",
            description = "bit widths of the 'no E8' ablation rows, comma-separated (default: ${DEFAULT-VALUE})")
    int[] noE8Bits;

    @Option(names = "--lm-head-bits", split = ",", defaultValue = "2",
            description = "bit widths of the 'lm_head quantized too' e8q rows, comma-separated (default: ${DEFAULT-VALUE})")
    int[] lmHeadBits;

    @Option(names = "--plain-quip-bits", split = ",", defaultValue = "4,3,2",
            description = "bit widths of 'plain QuIP#' rows (the converter without row/column scales and joint RVQ), "
                    + "comma-separated; 'none' for no such rows (default: ${DEFAULT-VALUE})")
    String[] plainBits;

    @Option(names = "--finetune-rows", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "issue #6 rows: 2/3/4 bits x block / e2e / both fine-tuning (default: on; --no-finetune-rows to skip)")
    boolean finetuneRows;

    @Option(names = "--ft-samples", description = "fine-tuning windows (default: the converter's)")
    Integer ftSamples;

    @Option(names = "--ft-context", description = "fine-tuning window length (default: the converter's)")
    Integer ftContext;

    @Option(names = "--ft-epochs", description = "maximum epochs per tuning stage (default: the converter's)")
    Integer ftEpochs;

    @Option(names = "--seed", defaultValue = "0", description = "seed of the random Hadamard signs (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--threads", description = "worker threads (default: all cores)")
    Integer threads;

    @Option(names = "--quiet", description = "no per-row log lines on stderr")
    boolean quiet;

    @Override
    public Integer call() throws Exception {
        CompareOptions o = CompareOptions.builder(model, calibration, evals).tokenizer(tokenizer).out(out).samples(samples).context(context)
                .evalContext(evalContext).evalTokens(evalTokens).prompts(prompts).promptWords(promptWords).promptsFrom(promptsFrom)
                .genTokens(genTokens).lmHeadBits(lmHeadBits).plainBits(plainBits()).noE8Bits(noE8Bits).finetuneRows(finetuneRows).ftSamples(ftSamples).ftContext(ftContext).ftEpochs(ftEpochs).seed(seed)
                .threads(threads);
        CompareResult r = CompareRunner.run(o, quiet ? null : System.err::println);
        System.out.print(CompareReport.markdown(r));
        if (out != null) System.err.println("wrote " + out.resolve(CompareReport.MARKDOWN) + " and " + out.resolve(CompareReport.JSON));
        return 0;
    }

    /** --plain-quip-bits: "none" or comma-separated bit widths. */
    private int[] plainBits() {
        if (plainBits.length == 1 && plainBits[0].equalsIgnoreCase("none")) return new int[0];
        int[] b = new int[plainBits.length];
        for (int i = 0; i < b.length; i++) {
            try {
                b[i] = Integer.parseInt(plainBits[i].trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--plain-quip-bits must be 'none' or bit widths 2, 3, 4, got '" + plainBits[i] + "'");
            }
        }
        return b;
    }
}
