package dev.e8q.cli;

import dev.e8q.codec.Parallel;
import dev.e8q.convert.QuantizedLinear;
import dev.e8q.cuda.CudaLinears;
import dev.e8q.cuda.CudaUnavailableException;
import dev.e8q.llama.generate.Generator;
import dev.e8q.llama.generate.Sampler;
import dev.e8q.llama.model.DType;
import dev.e8q.llama.model.LlamaModel;
import dev.e8q.llama.model.ModelLoader;
import dev.e8q.llama.tokenizer.StreamingDecoder;
import dev.e8q.llama.tokenizer.HfTokenizer;
import dev.e8q.llama.tokenizer.Tokenizer;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code e8q generate}: streams a continuation of a prompt to stdout, speed to stderr. */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Generate text from a prompt (streams to stdout; tokens/s on stderr).")
public final class GenerateCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "llama2.c .bin, Hugging Face directory, or quantized checkpoint")
    Path model;

    @Option(names = "--prompt", defaultValue = "", description = "prompt text (default: empty, start from BOS)")
    String prompt;

    @Option(names = "--tokenizer", description = "tokenizer .bin (llama2.c) or tokenizer.json; default: found beside the model")
    Path tokenizer;

    @Option(names = "--steps", defaultValue = "256", description = "maximum new tokens (default: ${DEFAULT-VALUE})")
    int steps;

    @Option(names = "--temperature", defaultValue = "1.0", description = "0 = greedy (default: ${DEFAULT-VALUE})")
    float temperature;

    @Option(names = "--top-p", defaultValue = "0.9", description = "nucleus sampling threshold, 1 = off (default: ${DEFAULT-VALUE})")
    float topP;

    @Option(names = "--seed", description = "random seed (default: from the clock)")
    Long seed;

    @Option(names = "--no-prefix-space", description = "tokenizer.json only: do not prepend the dummy-prefix space")
    boolean noPrefixSpace;

    @Option(names = "--dtype", defaultValue = "f32", description = "storage of dense weights: f32, bf16, f16 (default: ${DEFAULT-VALUE})")
    String dtype;

    @Option(names = "--threads", description = "worker threads (default: all cores)")
    Integer threads;

    @Option(names = "--device", defaultValue = "cpu", description = "cpu, or cuda: run the linears on a CUDA GPU (default: ${DEFAULT-VALUE})")
    String device;

    @Override
    public Integer call() throws Exception {
        if (threads != null) Parallel.setThreads(threads);
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        LlamaModel m = ModelLoader.load(model, DType.parse(dtype));
        try { // --device cuda: linears on the GPU (module cuda, docs/cuda.md); freed when the process ends
            CudaLinears.onDevice(device, m, l -> l instanceof QuantizedLinear q ? new CudaLinears.Quantized(q.matrix(), q.rowOffset(), q.scale()) : null);
        } catch (CudaUnavailableException e) {
            System.err.println("e8q: --device cuda: " + e.getMessage());
            return 2;
        }
        Tokenizer tok = ModelLoader.tokenizer(model, tokenizer, new HfTokenizer.Options(!noPrefixSpace, null));
        int[] ids = tok.encode(prompt, true, false);
        long s = seed != null ? seed : System.nanoTime();
        Sampler sampler = new Sampler(temperature, topP, s);
        out.print(prompt);
        StreamingDecoder dec = new StreamingDecoder(tok, ids[ids.length - 1]);
        Generator.Result r = new Generator(m).generate(ids, steps, sampler, (prev, id) -> out.print(dec.next(id)));
        out.println(dec.flush());
        System.err.printf(Locale.ROOT, "prompt %d tokens in %.3f s (%.1f tok/s); generated %d tokens at %.2f tok/s%s%n",
                r.prompt().length, r.promptSeconds(), r.promptTokensPerSecond(), r.generated().length, r.tokensPerSecond(),
                r.stoppedAt() >= 0 ? " (stopped at end of text)" : "");
        return 0;
    }
}
