package dev.e8q.cli;

import dev.e8q.codec.Parallel;
import dev.e8q.codec.kernel.E8Kernel;
import dev.e8q.convert.QuantizedLinear;
import dev.e8q.cuda.CudaLinears;
import dev.e8q.cuda.CudaUnavailableException;
import dev.e8q.llama.model.DType;
import dev.e8q.llama.model.LlamaModel;
import dev.e8q.llama.model.ModelLoader;
import dev.e8q.llama.tokenizer.HfTokenizer;
import dev.e8q.llama.tokenizer.Tokenizer;
import java.io.IOException;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The options every command that runs a model shares (picocli mixin), and loading the model they describe. */
final class ModelOptions {
    @Option(names = "--model", required = true, description = "llama2.c .bin, Hugging Face directory, or quantized checkpoint")
    Path model;

    @Option(names = "--tokenizer", description = "tokenizer .bin (llama2.c) or tokenizer.json; default: found beside the model")
    Path tokenizer;

    @Option(names = "--no-prefix-space", description = "tokenizer.json only: do not prepend the dummy-prefix space")
    boolean noPrefixSpace;

    @Option(names = "--dtype", defaultValue = "f32", description = "storage of dense weights: f32, bf16, f16 (default: ${DEFAULT-VALUE})")
    String dtype;

    @Option(names = "--threads", description = "worker threads (default: all cores)")
    Integer threads;

    @Option(names = "--device", defaultValue = "cpu", description = "cpu, or cuda: run the linears on a CUDA GPU (default: ${DEFAULT-VALUE})")
    String device;

    @Option(names = "--int8-activations", description = "cpu: round the activations of e8q linears to int8 (one scale per "
            + "32 values) in their products: faster matrix-vector products, slightly different results (docs/kernels.md)")
    boolean int8Activations;

    /**
     * Sets the thread count and the activation rounding, loads the model and, with {@code --device cuda}, moves its linears to the GPU (module
     * cuda, docs/cuda.md; freed when the process ends).
     */
    LlamaModel load() throws IOException, CudaUnavailableException {
        if (int8Activations && !"cpu".equalsIgnoreCase(device == null ? "cpu" : device.trim()))
            throw new IllegalArgumentException("--int8-activations applies to the CPU kernel; it cannot be combined with --device " + device);
        if (threads != null) Parallel.setThreads(threads);
        E8Kernel.int8Activations(int8Activations);
        LlamaModel m = ModelLoader.load(model, DType.parse(dtype));
        CudaLinears.onDevice(device, m, l -> l instanceof QuantizedLinear q ? new CudaLinears.Quantized(q.matrix(), q.rowOffset(), q.scale()) : null);
        return m;
    }

    /**
     * The directory of the tokenizer's configuration (tokenizer_config.json, generation_config.json, the chat template):
     * the one {@code --tokenizer} names or lies in, else the model directory; null for a llama2.c model file.
     */
    Path configDir() {
        if (tokenizer != null) return java.nio.file.Files.isDirectory(tokenizer) ? tokenizer : tokenizer.toAbsolutePath().getParent();
        return java.nio.file.Files.isDirectory(model) ? model : null;
    }

    /** The model's file or directory name, as reports and the server call it. */
    String modelName() {
        return model.toAbsolutePath().normalize().getFileName().toString();
    }

    /** The model's tokenizer; {@code fuseUnk} null keeps tokenizer.json's own setting. */
    Tokenizer tokenizer(Boolean fuseUnk) throws IOException {
        return ModelLoader.tokenizer(model, tokenizer, new HfTokenizer.Options(!noPrefixSpace, fuseUnk));
    }
}
