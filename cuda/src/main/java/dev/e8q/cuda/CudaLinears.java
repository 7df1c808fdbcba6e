package dev.e8q.cuda;

import dev.e8q.codec.E8Matrix;
import dev.e8q.llama.Linear;
import dev.e8q.llama.model.DecoderBlock;
import dev.e8q.llama.model.DenseLinear;
import dev.e8q.llama.model.LinearKind;
import dev.e8q.llama.model.LlamaModel;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The hook for the command line ({@code --device cuda}): moves a loaded model's linears to the GPU without the
 * CLI knowing any CUDA class. Quantized linears become {@link CudaE8Linear}s (pieces of a fused QuIP# matrix share
 * one, see {@link CudaFusedSlice}); optionally, dense ones without bias become {@link CudaFp16Linear}s. Embedding,
 * norms, attention and sampling stay on the CPU.
 *
 * <pre>{@code
 * try (CudaLinears.Placement p = CudaLinears.moveToGpu(model,
 *         l -> l instanceof QuantizedLinear q ? new CudaLinears.Quantized(q.matrix(), q.rowOffset(), q.scale()) : null,
 *         true)) {
 *     System.err.println(p);          // "21 quantized and 1 dense linears on CUDA device 0 (...)"
 *     ... generate / evaluate with model ...
 * }
 * }</pre>
 */
public final class CudaLinears {
    private CudaLinears() {}

    /**
     * What the GPU needs to know of a quantized {@link Linear}: its {@link E8Matrix} (for a piece of a fused
     * matrix, the whole fused matrix), the first row of the piece and the piece's fuse scale (0 and 1 unfused).
     * The piece's row count is the linear's {@code outFeatures()}.
     */
    public record Quantized(E8Matrix matrix, int rowOffset, float scale) {
        public static Quantized of(E8Matrix m) {
            return new Quantized(m, 0, 1f);
        }
    }

    /**
     * The command line's {@code --device} option: "cpu" does nothing and returns null; "cuda" runs
     * {@link #moveToGpu moveToGpu(model, quantized, true)}, prints the placement as one line to stderr and returns
     * it (the caller may close it, or let the process end).
     *
     * @throws IllegalArgumentException for any other device name
     * @throws CudaUnavailableException  when the GPU cannot be used, with a one-line reason
     */
    public static Placement onDevice(String device, LlamaModel model, Function<Linear, Quantized> quantized) {
        return switch (device == null ? "cpu" : device.trim().toLowerCase(java.util.Locale.ROOT)) {
            case "cpu" -> null;
            case "cuda", "gpu" -> {
                Placement p = moveToGpu(model, quantized, true);
                System.err.println("e8q: " + p);
                yield p;
            }
            default -> throw new IllegalArgumentException("--device must be cpu or cuda, got '" + device + "'");
        };
    }

    /** Null when a CUDA GPU can be used, else a one-line reason (for "--device cuda" error messages). */
    public static String unavailableReason() {
        return CudaContext.unavailableReason();
    }

    /** What {@link #moveToGpu} did; closing it frees the device memory and the context. */
    public static final class Placement implements AutoCloseable {
        private final Device dev;
        private final List<AutoCloseable> layers = new ArrayList<>();
        private final Map<E8Matrix, CudaFusedSlice.Product> fused = new IdentityHashMap<>();
        private int quantized, dense, cpu;
        private String denseNote = "";

        Placement(Device dev) {
            this.dev = dev;
        }

        /** Linears now running the E8P kernels (each piece of a fused matrix counted). */
        public int quantized() {
            return quantized;
        }

        /** Dense linears now running FP16 cuBLAS. */
        public int dense() {
            return dense;
        }

        /** Linears left on the CPU. */
        public int onCpu() {
            return cpu;
        }

        @Override
        public String toString() {
            return quantized + " quantized and " + dense + " dense linears on " + dev + ", " + cpu + " on the CPU"
                    + denseNote;
        }

        @Override
        public void close() {
            for (AutoCloseable l : layers) {
                try {
                    l.close();
                } catch (Exception ignored) {
                    // freeing one layer failed; releasing the context below frees the rest
                }
            }
            layers.clear();
            fused.clear();
            if (dev instanceof AutoCloseable c) {
                try {
                    c.close();
                } catch (Exception e) {
                    throw new IllegalStateException("closing " + dev + " failed", e);
                }
            }
        }
    }

    /**
     * Replaces, in every decoder block and lm_head, each linear for which {@code quantized}
     * returns a description with a GPU one, and each bias-free {@link DenseLinear} with a {@link CudaFp16Linear}
     * when {@code denseToo} and cuBLAS loads (otherwise dense linears stay on the CPU and the placement's
     * description says why). Layers the kernels cannot take (65536 or more padded rows or columns) stay on the CPU.
     * Opens the default device ({@link CudaContext#open()}).
     *
     * @param quantized describes a quantized {@link Linear}, or returns null for any other
     * @throws CudaUnavailableException no usable GPU (the model is unchanged), or too little device memory (layers
     *                                  moved before the failure are freed, and the model may hold closed ones: reload it)
     */
    public static Placement moveToGpu(LlamaModel model, Function<Linear, Quantized> quantized, boolean denseToo) {
        return moveTo(CudaContext.open(), model, quantized, denseToo);
    }

    /** {@link #moveToGpu} onto any {@link Device} (the tests use array-backed ones; dense layers need the GPU). */
    static Placement moveTo(Device dev, LlamaModel model, Function<Linear, Quantized> quantized, boolean denseToo) {
        if (denseToo && !(dev instanceof CudaContext))
            throw new IllegalArgumentException("dense layers need cuBLAS, i.e. a CudaContext");
        Placement p = new Placement(dev);
        if (denseToo) {
            // cuBLAS is a separate library from the driver: without it the quantized layers still run on the GPU.
            try {
                ((CudaContext) dev).cublas();
            } catch (CudaUnavailableException e) {
                denseToo = false;
                p.denseNote = " (dense linears stay on the CPU: " + e.getMessage() + ")";
            }
        }
        try {
            for (DecoderBlock b : model.blocks()) {
                for (LinearKind k : LinearKind.values()) {
                    Linear g = toGpu(p, b.linear(k), quantized, denseToo);
                    if (g != null) b.setLinear(k, g);
                }
            }
            Linear head = toGpu(p, model.lmHead(), quantized, denseToo);
            if (head != null) model.setLmHead(head);
        } catch (RuntimeException e) {
            p.close();
            throw e;
        }
        return p;
    }

    private static Linear toGpu(Placement p, Linear l, Function<Linear, Quantized> quantized, boolean denseToo) {
        Quantized q = quantized.apply(l);
        if (q != null) {
            E8Matrix m = q.matrix();
            if (!m.isE8() || !QidxsLayout.supports(m.paddedRows(), m.paddedCols()) || m.cols() != l.inFeatures()) {
                p.cpu++;
                return null;
            }
            p.quantized++;
            if (q.rowOffset() == 0 && l.outFeatures() == m.rows() && q.scale() == 1f) {
                CudaE8Linear g = new CudaE8Linear(p.dev, QuantizedWeights.of(m));
                p.layers.add(g);
                return g;
            }
            CudaFusedSlice.Product prod = p.fused.computeIfAbsent(m, mm -> {
                CudaE8Linear g = new CudaE8Linear(p.dev, QuantizedWeights.of(mm));
                p.layers.add(g);
                return new CudaFusedSlice.Product(g);
            });
            return new CudaFusedSlice(prod, q.rowOffset(), l.outFeatures(), q.scale());
        }
        if (denseToo && l instanceof DenseLinear d && d.bias() == null) {
            CudaFp16Linear g = CudaFp16Linear.of((CudaContext) p.dev, d.weights(), d.outFeatures(), d.inFeatures());
            p.layers.add(g);
            p.dense++;
            return g;
        }
        p.cpu++;
        return null;
    }
}
